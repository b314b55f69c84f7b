// The engine keeps its layers and its containers' files on an ext4 disk in
// $GLASSBOX_HOME/disk.img: made on first use, written out and unmounted by
// `engine stop` (the host's e2fsck finds it clean, and its debugfs finds the
// container's file in its writable layer), whole after the engine is killed
// with SIGKILL in the middle of writes (its journal replayed, the host's
// e2fsck -fn finds nothing wrong), and a foreign image refused by name.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_DISK_BYTES, engineDiskPath, inspectEngineDisk } from '../../src/containers/engine/disk.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-disk-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });
const disk = engineDiskPath(home);
afterAll(() => {
  glassbox(['engine', 'stop']);
  rmSync(home, { recursive: true, force: true });
});

/** e2fsck's verdict on a copy of the disk, its journal replayed first as a mount would: 0 is clean. */
function fsckAfterReplay(): { status: number | null; out: string } {
  const copy = join(home, 'check.img');
  copyFileSync(disk, copy);
  spawnSync('e2fsck', ['-E', 'journal_only', '-y', copy], { encoding: 'utf8' });
  const r = spawnSync('e2fsck', ['-fn', copy], { encoding: 'utf8' });
  rmSync(copy);
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('the engine on its disk', () => {
  it("keeps a container's files on the disk, which engine stop leaves clean", () => {
    const id = glassbox(['run', '-d', '--name', 'keep', 'busybox', 'sh', '-c', 'echo kept > /keep.txt']).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(glassbox(['wait', 'keep']).stdout.trim()).toBe('0');
    expect(glassbox(['engine', 'stop']).status).toBe(0);
    expect(statSync(disk).size).toBe(ENGINE_DISK_BYTES);
    expect(statSync(disk).blocks * 512).toBeLessThan(512 << 20); // sparse
    const fsck = spawnSync('e2fsck', ['-fn', disk], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(execFileSync('debugfs', ['-R', `cat /rw/${id}/upper/keep.txt`, disk], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toBe('kept\n');
    expect(execFileSync('debugfs', ['-R', 'ls -l /layers', disk], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toMatch(/[0-9a-f]{64}/);
  }, 1_200_000);

  it('is whole after the engine is killed with SIGKILL during writes, and the engine starts again', async () => {
    glassbox(['run', '-d', '--name', 'writer', 'busybox', 'sh', '-c', 'i=0; while true; do dd if=/dev/zero of=/f$((i%4)) bs=4k count=64 2>/dev/null; i=$((i+1)); done']);
    await new Promise((r) => setTimeout(r, 5_000));
    const pid = Number(readFileSync(join(home, 'engine.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    for (let t = Date.now(); Date.now() - t < 10_000; ) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
    const { status, out } = fsckAfterReplay();
    expect(status, out).toBe(0);
    const ps = glassbox(['ps', '-a']);
    expect(ps.status, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/writer/);
  }, 1_200_000);

  it('refuses a disk image that is not its own, naming it', () => {
    const foreign = join(home, 'foreign.img');
    writeFileSync(foreign, new Uint8Array(1 << 20).fill(0x5a));
    expect(() => inspectEngineDisk(foreign)).toThrow(
      `engine disk ${foreign}: not a glassbox disk (an ext4 filesystem of ${ENGINE_DISK_BYTES} bytes); move it away and the engine makes a new one`,
    );
    expect(inspectEngineDisk(join(home, 'missing.img'))).toBe('new');
  });
});
