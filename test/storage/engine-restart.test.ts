// Containers outlive their engine: their bundles (config, logs, exit status)
// and writable layers are on the engine's disk, so after `engine stop` and a
// new engine, `ps -a` lists what was there with the states it had (a
// container running when the engine stopped was killed with it: 137), `logs`
// has the old output, and `start` runs a stopped container again on its own
// root, where what it wrote is still there, on its network again.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineDiskPath } from '../../src/containers/engine/disk.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-restart-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });
afterAll(() => {
  glassbox(['engine', 'stop']);
  rmSync(home, { recursive: true, force: true });
});

/** The STATUS column of each container in `ps -a`, by name. */
function statuses(): Record<string, string> {
  const r = glassbox(['ps', '-a', '--format', '{{.Names}}={{.Status}}']);
  expect(r.status, r.stderr).toBe(0);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=')),
  );
}

describe('containers across an engine restart', () => {
  it('keeps stopped and running containers, their files, logs and states, and starts them again', () => {
    expect(glassbox(['run', '-d', '--name', 'keeper', 'busybox', 'sh', '-c', 'echo written >> /data.txt; echo logged; exec sleep 1000']).status).toBe(0);
    expect(glassbox(['run', '-d', '--name', 'runner', 'busybox', 'sleep', '1000']).status).toBe(0);
    expect(glassbox(['run', '--name', 'done', 'busybox', 'sh', '-c', 'exit 3']).status).toBe(3);
    expect(glassbox(['run', '-d', '--rm', '--name', 'temporary', 'busybox', 'sleep', '1000']).status).toBe(0);
    expect(glassbox(['exec', 'keeper', 'cat', '/data.txt']).stdout).toBe('written\n');
    expect(glassbox(['stop', '-t', '1', 'keeper']).status).toBe(0);
    expect(statuses()).toEqual({ keeper: 'Exited (137)', runner: 'running', done: 'Exited (3)', temporary: 'running' });

    const stop = glassbox(['engine', 'stop']);
    expect(stop.status, stop.stderr).toBe(0);
    // Written out and unmounted: the host's e2fsck finds the filesystem clean without replaying a journal.
    const fsck = spawnSync('e2fsck', ['-fn', engineDiskPath(home)], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);

    // A new engine (started by this command) takes them back: runner was killed with the old guest; --rm went, as with Docker.
    expect(statuses()).toEqual({ keeper: 'Exited (137)', runner: 'Exited (137)', done: 'Exited (3)' });
    expect(glassbox(['logs', 'keeper']).stdout).toBe('logged\n');
    const start = glassbox(['start', 'keeper']);
    expect(start.status, start.stderr).toBe(0);
    expect(statuses().keeper).toBe('running');
    // Its own root again: the file from before the restart, and the line this run added.
    expect(glassbox(['exec', 'keeper', 'cat', '/data.txt']).stdout).toBe('written\nwritten\n');
    expect(glassbox(['logs', 'keeper']).stdout).toBe('logged\nlogged\n');
    // Connected to the bridge network again (its namespace ended with the old guest).
    expect(glassbox(['exec', 'keeper', 'ip', '-4', 'addr', 'show', 'eth0']).stdout).toMatch(/inet 172\.17\.\d+\.\d+\/16/);
    expect(glassbox(['rm', '-f', 'keeper', 'runner', 'done']).status).toBe(0);
    expect(statuses()).toEqual({});
  }, 1_800_000);
});
