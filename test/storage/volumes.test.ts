// Named volumes through the CLI: data one container writes to a volume is
// read by another, an empty one is filled from the image (Docker's copy),
// `:ro` is enforced by the guest's kernel, the volume and
// its data outlast the engine, a volume in use cannot be removed, and a bad
// name is refused by name (bind mounts of host directories: bind-mounts.test.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-volumes-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });
afterAll(() => {
  glassbox(['engine', 'stop']);
  rmSync(home, { recursive: true, force: true });
});

describe('named volumes', () => {
  it('carry data across containers and engine restarts, read-only when asked', () => {
    expect(glassbox(['volume', 'create', 'data']).stdout).toBe('data\n');
    expect(glassbox(['run', '--name', 'writer', '-v', 'data:/data', 'busybox', 'sh', '-c', 'echo from-writer > /data/f']).status).toBe(0);
    expect(glassbox(['run', '--rm', '-v', 'data:/mnt', 'busybox', 'cat', '/mnt/f']).stdout).toBe('from-writer\n');
    const ro = glassbox(['run', '--rm', '-v', 'data:/data:ro', 'busybox', 'sh', '-c', 'cat /data/f; echo x > /data/g']);
    expect(ro.stdout).toBe('from-writer\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(ro.status).toBe(1);
    // A volume a run names that does not exist yet is made, as Docker's.
    expect(glassbox(['run', '--rm', '-v', 'other:/o', 'busybox', 'true']).status).toBe(0);
    expect(glassbox(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean).sort()).toEqual(['data', 'other']);

    expect(glassbox(['engine', 'stop']).status).toBe(0);
    expect(glassbox(['run', '--rm', '-v', 'data:/data', 'busybox', 'cat', '/data/f']).stdout).toBe('from-writer\n');
    const [inspect] = JSON.parse(glassbox(['volume', 'inspect', 'data']).stdout);
    expect(inspect).toMatchObject({ Name: 'data', Driver: 'local', Mountpoint: '/var/lib/glassbox/volumes/data/_data', Scope: 'local' });

    const inUse = glassbox(['volume', 'rm', 'data']);
    expect(inUse.status).toBe(125);
    expect(inUse.stderr).toBe('glassbox: volume data is in use by container(s) writer: remove them first\n');
    expect(glassbox(['rm', 'writer']).status).toBe(0);
    expect(glassbox(['volume', 'rm', 'data', 'other']).stdout).toBe('data\nother\n');
    expect(glassbox(['volume', 'ls', '-q']).stdout).toBe('');
    const gone = glassbox(['volume', 'inspect', 'data']);
    expect(gone.stderr).toBe('glassbox: no such volume: data\n');
  }, 1_800_000);

  it('fills an empty volume from the image at its mount path, as Docker does, and leaves one with data alone', () => {
    const passwd = glassbox(['run', '--rm', 'busybox', 'cat', '/etc/passwd']);
    expect(passwd.stdout).toMatch(/^root:/);
    expect(glassbox(['run', '--rm', '-v', 'etc:/etc', 'busybox', 'true']).status).toBe(0);
    // Mounted elsewhere, the volume holds the image's /etc.
    expect(glassbox(['run', '--rm', '-v', 'etc:/mnt', 'busybox', 'cat', '/mnt/passwd']).stdout).toBe(passwd.stdout);
    // A path the image does not have copies nothing; a volume with data is not filled again.
    expect(glassbox(['run', '--rm', '-v', 'own:/nothere', 'busybox', 'sh', '-c', 'ls -A /nothere; echo mine > /nothere/f']).stdout).toBe('');
    expect(glassbox(['run', '--rm', '-v', 'own:/etc', 'busybox', 'ls', '-A', '/etc']).stdout).not.toMatch(/passwd/);
    expect(glassbox(['volume', 'rm', 'etc', 'own']).status).toBe(0);
  }, 1_800_000);

  it('refuses a bad name, naming it', () => {
    const bad = glassbox(['volume', 'create', 'x']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/a volume name is 2 to 128 letters/);
  });
});
