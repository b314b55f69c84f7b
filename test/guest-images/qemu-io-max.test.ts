// The guest kernel's io.max in QEMU (microvm with a virtio-blk disk on
// virtio-mmio, TCG): an oracle for the kernel independent of glassbox's CPU
// and devices. A dd with oflag=direct in a cgroup with wbps=1 MiB/s takes the
// time the limit gives it, by the guest's clock. Unpatched, Linux 6.1 stops
// with "kernel BUG at block/blk-throttle.c:751" on the first throttled write
// in the first five minutes after boot (guest-images/kernel/patches/
// blk-throttle-initial-slice.patch says why).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/deadline.ts';
import { microvmDiskArgs } from '../support/qemu-microvm.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DIST = join(ROOT, 'guest-images/dist');
const QEMU = 'qemu-system-i386';
const haveQemu = spawnSync(QEMU, ['--version']).status === 0;
if (!haveQemu) console.warn(`guest-images QEMU io.max test skipped: ${QEMU} is not installed (Debian package qemu-system-x86)`);

/** The committed kernel was built with the fix when build.sh's MANIFEST names the patch. */
const patched = readFileSync(join(DIST, 'MANIFEST'), 'utf8').includes('kernel-patch guest-images/kernel/patches/blk-throttle-initial-slice.patch');
if (!patched)
  console.warn(
    'guest-images QEMU io.max test skipped: guest-images/dist/bzImage was not built with kernel/patches/blk-throttle-initial-slice.patch (its MANIFEST does not name it): run bash guest-images/build.sh kernel sums',
  );

const MiB = 1024 ** 2;
const dir = mkdtempSync(join(tmpdir(), 'gb-qemu-io-max-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveQemu || !patched)('guest kernel io.max on QEMU', () => {
  it('holds a direct-I/O dd to wbps=1 MiB/s without a kernel BUG', async () => {
    const disk = join(dir, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 64 * MiB);
    // The guest's QEMU peer (support/qemu-microvm.ts); panic=-1 and -no-reboot: a BUG ends QEMU.
    const q = spawn(QEMU, microvmDiskArgs({ disk, memoryMiB: 256, append: 'console=ttyS0 panic=-1' }), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let exited = false;
    q.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
    q.stderr!.on('data', (d: Buffer) => (out += `[qemu stderr] ${d}`));
    q.on('exit', () => (exited = true));
    try {
      await until('the guest shell (glassbox: init done)', () => exited || /glassbox: init done/.test(out), 600_000, 200);
      expect(exited, out.slice(-2000)).toBe(false);
      // 4 MiB at 1 MiB/s in the cgroup t; the marker is computed so the echoed command line does not match it.
      q.stdin!.write(
        [
          'mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; echo +io > /sys/fs/cgroup/cgroup.subtree_control; mkdir /sys/fs/cgroup/t',
          'echo "$(cat /sys/block/vda/dev) wbps=1048576" > /sys/fs/cgroup/t/io.max',
          'sh -c \'echo $$ > /sys/fs/cgroup/t/cgroup.procs; a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/zero of=/dev/vda bs=64k count=64 oflag=direct 2>/dev/null; echo R=$a,$(cut -d" " -f1 /proc/uptime),$((6*7))\'',
          '',
        ].join('\n'),
      );
      await until("the dd's end marker", () => exited || /R=[\d.]+,[\d.]+,42/.test(out), 600_000, 200);
      expect(out).not.toMatch(/kernel BUG/);
      expect(exited, out.slice(-2000)).toBe(false);
      const [, t0, t1] = /R=([\d.]+),([\d.]+),42/.exec(out)!;
      const rate = (4 * MiB) / (Number(t1) - Number(t0));
      console.log(`QEMU microvm, dd 4 MiB bs=64k oflag=direct at io.max wbps=1048576: ${(rate / MiB).toFixed(2)} MiB/s by the guest clock`);
      expect(rate).toBeGreaterThan(0.8 * MiB);
      expect(rate).toBeLessThan(1.35 * MiB);
    } finally {
      q.kill();
    }
  }, 1_300_000);
});
