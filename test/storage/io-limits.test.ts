// --device-write-bps / --device-read-bps through the CLI: crun writes io.max
// on the engine's disk for the container's cgroup, and the guest kernel's
// blk-throttle holds a direct-I/O dd to the rate, by the guest's own clock.
// The same dd without a limit, in the same engine, is the peer that shows the
// limit is what slows it (the disk alone is several times faster). The
// engine's guest has just started: its kernel throttles within its first
// 300 s of uptime without the BUG 6.1 has there (guest-images/kernel/patches).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-io-limits-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 900_000, env: { ...process.env, GLASSBOX_HOME: home } });
afterAll(() => {
  glassbox(['engine', 'stop']);
  rmSync(home, { recursive: true, force: true });
});

const MiB = 1024 ** 2;
/** What each dd moves: 4 MiB, four seconds at 1 MiB/s, in 64 KiB direct writes. */
const BYTES = 4 * MiB;

/** A dd in a container, its rate in bytes a second by the guest's /proc/uptime around it. */
function ddRate(limit: string[], dd: string): number {
  const script = `a=$(cut -d' ' -f1 /proc/uptime); ${dd} 2>/dev/null || echo dd-failed; echo $a $(cut -d' ' -f1 /proc/uptime)`;
  const r = glassbox(['run', '--rm', ...limit, '-v', 'io:/io', 'busybox', 'sh', '-c', script]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(/dd-failed/);
  const [t0, t1] = r.stdout.trim().split(' ').map(Number);
  return BYTES / (t1! - t0!);
}

const WRITE = `dd if=/dev/zero of=/io/f bs=64k count=${BYTES / (64 * 1024)} oflag=direct`;
const READ = `dd if=/io/f of=/dev/null bs=64k iflag=direct`;

describe('disk I/O limits (io.max)', () => {
  it('sets io.max on the engine disk for the container', () => {
    const r = glassbox(['run', '--rm', '--device-write-bps', '/dev/vda:1mb', '--device-read-bps', '2mb', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/io.max']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+:0 rbps=2097152 wbps=1048576 riops=max wiops=max\n$/);
  }, 1_800_000);

  it('holds a direct-I/O dd to --device-write-bps and --device-read-bps, which the disk alone exceeds', () => {
    const free = ddRate([], WRITE);
    const limited = ddRate(['--device-write-bps', '1mb'], WRITE);
    const freeRead = ddRate([], READ);
    const limitedRead = ddRate(['--device-read-bps', '1mb'], READ);
    console.log(
      `dd 4 MiB, bs=64k, direct, guest clock: write ${(free / MiB).toFixed(2)} MiB/s free, ${(limited / MiB).toFixed(2)} MiB/s at --device-write-bps 1mb; read ${(freeRead / MiB).toFixed(2)} free, ${(limitedRead / MiB).toFixed(2)} at --device-read-bps 1mb`,
    );
    // The first slice may go before the throttle starts counting: a little above 1 MiB/s, never far.
    expect(limited).toBeGreaterThan(0.8 * MiB);
    expect(limited).toBeLessThan(1.35 * MiB);
    expect(free).toBeGreaterThan(3 * limited);
    expect(limitedRead).toBeGreaterThan(0.8 * MiB);
    expect(limitedRead).toBeLessThan(1.35 * MiB);
    expect(freeRead).toBeGreaterThan(3 * limitedRead);
  }, 1_800_000);

  it('refuses a device other than the engine disk, naming it', () => {
    const r = glassbox(['run', '--rm', '--device-write-bps', '/dev/sdb:1mb', 'busybox', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/\/dev\/sdb:1mb: the engine's containers have one disk, \/dev\/vda, not \/dev\/sdb/);
  }, 900_000);
});
