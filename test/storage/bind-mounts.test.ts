// Bind mounts of host directories through the CLI (-v /host/dir:/path[:ro]):
// the host's file system is the oracle. What a container writes appears on
// the host, what the host changes appears in the next container, :ro
// refuses writes, a stopped container started again by a new engine has its
// bind back, and a source that is not a host directory is refused by name.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/deadline.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-binds-home-'));
const host = mkdtempSync(join(tmpdir(), 'glassbox-binds-dir-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });
afterAll(() => {
  glassbox(['engine', 'stop']);
  rmSync(home, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

describe('bind mounts', () => {
  it('share a host directory both ways, read-only when asked, and again after an engine restart', async () => {
    writeFileSync(join(host, 'from-host'), 'written on the host\n');
    const w = glassbox(['run', '--name', 'w', '-v', `${host}:/data`, 'busybox', 'sh', '-c', 'cat /data/from-host; mkdir -p /data/d; echo from-container > /data/d/new']);
    expect(w.stderr).toBe('');
    expect(w.stdout).toBe('written on the host\n');
    expect(readFileSync(join(host, 'd', 'new'), 'utf8')).toBe('from-container\n');

    writeFileSync(join(host, 'from-host'), 'changed on the host\n');
    const changed = glassbox(['run', '--rm', '-v', `${host}:/mnt`, 'busybox', 'cat', '/mnt/from-host']);
    expect(changed.stdout, changed.stderr).toBe('changed on the host\n');

    const ro = glassbox(['run', '--rm', '-v', `${host}:/data:ro`, 'busybox', 'sh', '-c', 'cat /data/d/new; echo x > /data/x']);
    expect(ro.stdout, ro.stderr).toBe('from-container\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(ro.status).toBe(1);
    expect(existsSync(join(host, 'x'))).toBe(false);

    // A new engine (a new guest) mounts the bind again when the container starts.
    expect(glassbox(['engine', 'stop']).status).toBe(0);
    rmSync(join(host, 'd'), { recursive: true });
    expect(glassbox(['start', 'w']).status).toBe(0);
    await until('the restarted container writing d/new on the host', () => existsSync(join(host, 'd', 'new')), 300_000);
    expect(glassbox(['rm', '-f', 'w']).status).toBe(0);
    // Removing the container leaves the host's files alone.
    expect(readFileSync(join(host, 'from-host'), 'utf8')).toBe('changed on the host\n');
  }, 1_800_000);

  it('refuses a source that is not a host directory, naming it', () => {
    const missing = join(host, 'none');
    const r = glassbox(['run', '--rm', '-v', `${missing}:/x`, 'busybox', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toBe(`glassbox: -v ${missing}:/x: host directory ${missing} does not exist\n`);
    const file = join(host, 'from-host');
    const f = glassbox(['run', '--rm', '-v', `${file}:/x`, 'busybox', 'true']);
    expect(f.status).toBe(125);
    expect(f.stderr).toBe(`glassbox: -v ${file}:/x: ${file} is not a directory (a bind mount shares a host directory)\n`);
    mkdirSync(join(host, 'empty'));
    expect(glassbox(['run', '--rm', '-v', `${join(host, 'empty')}:/x:rw`, 'busybox', 'ls', '-A', '/x']).stdout).toBe('');
  }, 1_800_000);
});
