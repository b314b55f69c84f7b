// A full host disk as a user meets it: $GLASSBOX_HOME on a file system that
// fills up (a small tmpfs, mounted in a mount namespace of this test's own,
// so the host is unchanged and the mount goes with the test), the engine
// started by the CLI in it. Once the engine's disk is made and the image is
// unpacked, the tmpfs is shrunk to a little more than that; a container then
// writes more than fits. Its dd gets an I/O error from the guest kernel, the
// CLI says the engine's disk image met a full host disk, and the engine goes
// on answering: `ps -a` lists the container and `engine stop` stops it.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { engineDiskPath } from '../../src/containers/engine/disk.ts';
import { GLASSBOX_BIN } from '../support/glassbox-cli.ts';
import { privateTmpfs } from '../support/host-features.ts';

const tmpfs = privateTmpfs();
const dir = mkdtempSync(join(tmpdir(), 'glassbox-full-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Room left on the host once the engine is up: the container writes four times as much. */
const HEADROOM_KIB = 16 * 1024;

/**
 * The user's session, in the namespace: each step's stdout, stderr and
 * status go to files in $out (outside the tmpfs, which is gone with the
 * namespace). The engine is stopped however the steps end.
 */
const SESSION = `
set -u
home=$1 out=$2
mount -t tmpfs -o size=512m,mode=700 tmpfs "$home" || exit 90
glassbox() { "${process.execPath}" "${GLASSBOX_BIN}" "$@"; }
step() { name=$1; shift; "$@" >"$out/$name.out" 2>"$out/$name.err"; echo $? >"$out/$name.status"; }
trap 'step stop glassbox engine stop' EXIT
step up glassbox run --rm busybox true
used=$(df -k --output=used "$home" | tail -1)
mount -o remount,size=$((used + ${HEADROOM_KIB}))k "$home" || exit 91
step fill glassbox run --name filler busybox dd if=/dev/zero of=/big bs=1M count=${(4 * HEADROOM_KIB) / 1024} conv=fsync
step ps glassbox ps -a --format '{{.Names}}={{.Status}}'
`;

describe('a full host disk under the engine, from the CLI', () => {
  it.skipIf(!tmpfs.ok)(
    `is an I/O error in the container and a message naming the disk image and the cause${tmpfs.ok ? '' : ` (skipped: ${tmpfs.reason})`}`,
    () => {
      const home = join(dir, 'home');
      const out = join(dir, 'out');
      mkdirSync(home);
      mkdirSync(out);
      const r = spawnSync('unshare', ['-m', 'bash', '-c', SESSION, 'session', home, out], {
        encoding: 'utf8',
        timeout: 1_500_000,
        env: { ...process.env, GLASSBOX_HOME: home, GLASSBOX_SNAPSHOT_CACHE: snapshotCacheDir() },
      });
      expect(r.error, 'the session did not finish within 25 min').toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      const step = (name: string) => ({
        out: readFileSync(join(out, `${name}.out`), 'utf8'),
        err: readFileSync(join(out, `${name}.err`), 'utf8'),
        status: Number(readFileSync(join(out, `${name}.status`), 'utf8')),
      });
      const up = step('up');
      expect(up.status, up.err).toBe(0);

      const fill = step('fill');
      // dd's fsync (or a write) fails with EIO: the guest's block layer got the device's I/O error status.
      expect(fill.status, fill.err).not.toBe(0);
      expect(fill.out + fill.err).toMatch(/I\/O error/);
      expect(fill.err).toContain(`glassbox: the guest got I/O errors on the engine's disk during this command: disk image ${engineDiskPath(home)}: writing: the host disk is full`);

      // The engine did not crash: it still answers, and knows the container.
      const ps = step('ps');
      expect(ps.status, ps.err).toBe(0);
      expect(ps.out).toMatch(/^filler=/m);
      const stop = step('stop');
      expect(stop.status, stop.err).toBe(0);
    },
    1_600_000,
  );
});
