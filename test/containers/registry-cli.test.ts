// The registry commands as a user runs them (the bundled CLI in child
// processes) against Debian's docker-registry: login/logout with htpasswd
// basic auth (credentials kept 0600, never printed), pull and push with
// Docker's progress lines (a bar redrawn in place on a terminal, plain lines
// otherwise, nothing but the name with --quiet), images --digests, tag, and
// system prune reclaiming the blobs a re-pointed tag left behind.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { freePort, hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { GLASSBOX_BIN, glassboxSync } from '../support/glassbox-cli.ts';
import { multiPlatformLayout } from './support/registry-images.ts';

const PASSWORD = 'pw-Zq81-never-shown';
const newHome = () => mkdtempSync(join(tmpdir(), 'glassbox-regcli-'));

function glassbox(home: string, args: string[], input = '') {
  const r = glassboxSync(args, { input, timeoutMs: 300_000, env: { ...process.env, GLASSBOX_HOME: home } });
  // Whatever happens, the password never reaches the terminal.
  expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  return r;
}

/** The same command on a terminal (script's pty), its output as the terminal got it. */
function onTerminal(home: string, args: string[]): string {
  const cmd = [process.execPath, GLASSBOX_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, GLASSBOX_HOME: home } });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe.skipIf(!hasRegistry())('registry commands (glassbox CLI) against docker-registry with htpasswd', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ kind: 'htpasswd', users: { alice: PASSWORD } });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('login refuses a wrong password and keeps nothing; with the right one, push and pull work and logout forgets it', () => {
    const home = newHome();
    const auth = join(home, 'auth.json');
    expect(glassbox(home, ['tag', 'busybox', `${reg.host}/private:1`]).status).toBe(0);

    const anonymous = glassbox(home, ['push', `${reg.host}/private:1`]);
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toBe(`glassbox: ${reg.host} requires authentication: run glassbox login ${reg.host}\n`);

    const wrong = glassbox(home, ['login', reg.host, '-u', 'alice', '--password-stdin'], 'not-the-password\n');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^glassbox: ${reg.host} refused the credentials of user alice: 401 Unauthorized`));
    expect(existsSync(auth)).toBe(false);

    const right = glassbox(home, ['login', reg.host, '-u', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(right.stderr).toBe('');
    expect(right.stdout).toBe(`Login Succeeded (alice at ${reg.host})\n`);
    expect(statSync(auth).mode & 0o777).toBe(0o600);

    const push = glassbox(home, ['push', `${reg.host}/private:1`]);
    expect(push.stderr).toBe('');
    expect(push.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    const other = newHome();
    // Another home has no credentials: the registry refuses it.
    expect(glassbox(other, ['pull', `${reg.host}/private:1`]).stderr).toMatch(/requires authentication/);
    expect(glassbox(home, ['rmi', `${reg.host}/private:1`]).status).toBe(0);
    expect(glassbox(home, ['pull', '-q', `${reg.host}/private:1`]).stdout).toBe(`${reg.host}/private:1\n`);

    expect(glassbox(home, ['logout', reg.host]).stdout).toBe(`Removing login credentials for ${reg.host}\n`);
    expect(JSON.parse(readFileSync(auth, 'utf8')).auths).toEqual({});
    expect(glassbox(home, ['pull', `${reg.host}/private:1`]).stderr).toMatch(/requires authentication/);
  });

  it('shows pull progress per layer: plain lines in a pipe, a bar redrawn in place on a terminal; images --digests shows what the registry names it by', () => {
    const home = newHome();
    glassbox(home, ['login', reg.host, '-u', 'alice', '--password-stdin'], PASSWORD);
    glassbox(home, ['tag', 'busybox', `${reg.host}/progress:1`]);
    const pushed = glassbox(home, ['push', `${reg.host}/progress:1`]).stdout;
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]!;
    const layer = ImageStore.open(home).image('busybox').layers[0]!;
    const id = layer.digest.slice(7, 19);
    glassbox(home, ['rmi', 'busybox', `${reg.host}/progress:1`]);

    const piped = glassbox(home, ['pull', `${reg.host}/progress:1`]);
    expect(piped.status).toBe(0);
    expect(piped.stdout.split('\n').filter((l) => l.startsWith(id))).toEqual([
      `${id}: Pulling fs layer`,
      `${id}: Downloading`,
      `${id}: Verifying Checksum`,
      `${id}: Download complete`,
    ]);
    expect(piped.stdout).toContain(`Digest: ${digest}\nStatus: Downloaded newer image for ${reg.host}/progress:1\n${reg.host}/progress:1\n`);

    const images = glassbox(home, ['images', '--digests']).stdout.split('\n');
    expect(images[0]).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
    expect(images[1]).toMatch(new RegExp(`^${reg.host}/progress\\s+1\\s+${digest}\\s`));

    glassbox(home, ['rmi', `${reg.host}/progress:1`]);
    const tty = onTerminal(home, ['pull', `${reg.host}/progress:1`]);
    // The bar with the byte count, and the cursor moved up to redraw the layer's line.
    expect(tty).toMatch(new RegExp(`${id}: Downloading \\[=*>? *\\] [0-9.]+[km]B/1\\.07MB`, 'i'));
    expect(tty).toMatch(new RegExp(`\\x1b\\[1A\\x1b\\[2K\\r${id}: Download complete`));
    expect(glassbox(home, ['rmi', `${reg.host}/progress:1`]).status).toBe(0);
    expect(glassbox(home, ['pull', '--quiet', `${reg.host}/progress:1`]).stdout).toBe(`${reg.host}/progress:1\n`);
  });

  it('run and build pull an image the store lacks (FROM too), and a failed pull ends the command with 125 before any engine starts', async () => {
    const home = newHome();
    const down = `127.0.0.1:${await freePort()}/gone:1`;
    const failed = glassbox(home, ['run', '--rm', down, 'true']);
    expect(failed.status).toBe(125);
    expect(failed.stderr).toMatch(new RegExp(`^Unable to find image '${down}' locally\nglassbox: cannot reach registry .*connection refused`));
    expect(glassbox(home, ['engine', 'status']).stdout).toBe('engine: not running\n');

    glassbox(home, ['login', reg.host, '-u', 'alice', '--password-stdin'], PASSWORD);
    glassbox(home, ['tag', 'busybox', `${reg.host}/runme:1`]);
    glassbox(home, ['push', `${reg.host}/runme:1`]);
    glassbox(home, ['rmi', `${reg.host}/runme:1`]);
    try {
      const run = glassbox(home, ['run', '--rm', `${reg.host}/runme:1`, 'echo', 'from the registry']);
      expect(run.stderr).toMatch(new RegExp(`^Unable to find image '${reg.host}/runme:1' locally\n[0-9a-f]{12}: Already exists\n$`)); // busybox, in the store, has that layer
      expect(run.stdout).toBe('from the registry\n');
      expect(run.status).toBe(0);

      glassbox(home, ['rmi', `${reg.host}/runme:1`]);
      const context = mkdtempSync(join(tmpdir(), 'glassbox-regbuild-'));
      writeFileSync(join(context, 'Dockerfile'), `FROM ${reg.host}/runme:1 AS base\nRUN echo built > /f\nFROM base\nCMD ["cat", "/f"]\n`);
      const built = glassbox(home, ['build', '-t', 'built:1', context]);
      expect(built.stderr).toMatch(new RegExp(`^Unable to find image '${reg.host}/runme:1' locally\n`));
      expect(built.status).toBe(0);
      expect(glassbox(home, ['run', '--rm', 'built:1']).stdout).toBe('built\n');
    } finally {
      glassbox(home, ['engine', 'stop']);
    }
  }, 600_000);

  it('system prune reclaims the blobs of an image whose tag a newer pull moved', () => {
    const home = newHome();
    glassbox(home, ['login', reg.host, '-u', 'alice', '--password-stdin'], PASSWORD);
    const ref = `${reg.host}/moving:1`;
    glassbox(home, ['tag', 'busybox', ref]);
    glassbox(home, ['push', ref]);
    glassbox(home, ['pull', ref]);
    glassbox(home, ['rmi', 'busybox']); // the pulled image alone holds its blobs now
    // Point the tag at another image (the same layer, an amd64 config) with skopeo, and pull again.
    const layout = multiPlatformLayout([{ os: 'linux', architecture: 'amd64' }], 'amd');
    const copied = spawnSync(
      'skopeo',
      ['--insecure-policy', '--override-arch', 'amd64', 'copy', '--dest-creds', `alice:${PASSWORD}`, '--dest-tls-verify=false', `oci:${layout.dir}:amd`, `docker://${ref}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(copied.stderr).toBe('');
    const again = glassbox(home, ['pull', ref]);
    expect(again.stderr).toMatch(/warning: .* is for linux\/amd64, not linux\/386/);
    const store = ImageStore.open(home);
    const blobs = () => readdirSync(join(store.root, 'blobs/sha256')).sort();
    const live = store.list().flatMap((i) => {
      const m = store.manifestOf(i.manifest);
      return [i.manifest.digest, m.config.digest, ...m.layers.map((l) => l.digest)].map((d) => d.slice(7));
    });
    const orphans = blobs().filter((b) => !live.includes(b));
    expect(orphans).toHaveLength(2); // the busybox manifest and config
    const freed = orphans.reduce((n, b) => n + statSync(join(store.root, 'blobs/sha256', b)).size, 0);
    const prune = glassbox(home, ['system', 'prune', '-f']);
    expect(prune.stdout).toBe(`Total reclaimed space: ${(freed / 1e3).toFixed(1)}kB\n`);
    expect(blobs()).toEqual([...new Set(live)].sort());
  });
});
