// A busy phase under the realtime clock, and what must hold of it: sha1sum of
// 16 MiB in tmpfs keeps the guest's CPU busy for about 0.9 billion
// instructions (which the translator runs at a few hundred million a second)
// while a `sleep 2` runs beside it, and the guest reads its own clock (its
// clocksource) around both.

import { expect } from 'vitest';
import type { Machine } from '../../src/api/index.ts';
import { NS_PER_INSTRUCTION } from '../../src/machine/machine.ts';

/** Run first, then idle(): the busy phase starts with the guest's clock caught up with the wall. */
export const BUSY_SETUP = 'head -c 16777216 /dev/zero > /tmp/busy';
export const BUSY_COMMAND = 'cat /proc/uptime; sha1sum /tmp/busy & sleep 2; cat /proc/uptime; wait; cat /proc/uptime';
/** sha1sum of 16 MiB of zeros, by GNU coreutils on the host. */
const BUSY_SHA1 = '3b4417fc421cee30a9ad0fd9319220a8dae32da2';

/**
 * Waits with the guest idle until its clock has caught up with the wall. A
 * guest busier than the host can run at the nominal speed (a cold start:
 * pages coming in, code not yet translated, a loaded host) falls behind the
 * wall, and waits on timers already due by it without waiting at all; idle,
 * it skips from timer to timer up to the wall, faster than the wall goes,
 * and then at the wall's pace.
 */
export async function idle(m: Machine): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const [w0, g0] = [performance.now(), m.pc.nowNs() / 1e6];
    await new Promise((r) => setTimeout(r, 300));
    if ((m.pc.nowNs() / 1e6 - g0) / (performance.now() - w0) < 1.1) return;
    if (performance.now() > deadline) throw new Error('the idle guest did not catch up with the wall clock within 60 s');
  }
}

/** Starts measuring the machine: call the result when the command's output is in, with that output. */
export function measureBusy(m: Machine): (output: string) => void {
  const wall = () => performance.now() / 1000;
  const guest = () => m.pc.nowNs() / 1e9;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const [w0, g0, i0, c0] = [wall(), guest(), m.instructions, cpu()];
  return (output) => {
    const [w, g, i, c] = [wall() - w0, guest() - g0, Number(m.instructions - i0), cpu() - c0];
    const up = [...output.matchAll(/^(\d+\.\d+) /gm)].map((x) => Number(x[1]));
    const nominal = (i * NS_PER_INSTRUCTION) / 1e9;
    console.log(
      `busy phase: ${(i / 1e6).toFixed(0)} M instructions, ${w.toFixed(2)} s wall, ${c.toFixed(2)} s CPU, ${g.toFixed(2)} s guest, ${nominal.toFixed(2)} s at 10 ns each; the guest's uptime ${up.join(', ')}`,
    );
    expect(output).toContain(BUSY_SHA1);
    expect(up).toHaveLength(3);
    // The guest's sleep 2 took two seconds by its own clock, and the whole command no more of its clock than of the wall's.
    expect(up[1]! - up[0]!).toBeGreaterThanOrEqual(2);
    expect(up[1]! - up[0]!).toBeLessThan(2.5);
    expect(up[2]! - up[0]!).toBeLessThanOrEqual(w + 0.1);
    // Guest time kept with the wall all along.
    expect(g).toBeGreaterThan(w * 0.8);
    expect(g).toBeLessThan(w * 1.2 + 0.1);
    // And the command took less wall time than its instructions at the nominal 10 ns each: the
    // floor of a clock that paces the CPU to 100 MIPS (sleeping whenever guest time runs ahead).
    // A host too slow or too loaded to beat that floor spends the wall time computing, not
    // sleeping, which is as unpaced as it can be: then the wall may not exceed the CPU time by much.
    expect(w).toBeLessThan(Math.max(nominal * 0.8, c * 1.25 + 0.5));
  };
}
