// The HPET's registers and timers as the IA-PC HPET specification 1.0a
// defines them, driven as Linux's arch/x86/kernel/hpet.c drives them in
// 32-bit accesses: the capabilities (hpet_enable's checks), the counter
// running at the period it states, legacy replacement routing with timer 0
// periodic (set with VAL_SET as hpet_clkevt_set_state_periodic does) and
// one-shot (hpet_clkevt_set_next_event), level-triggered status, and the
// Debian kernel finding and using it in test/machine/debian-kernel-boot.test.ts.

import { describe, expect, it } from 'vitest';
import { Hpet } from '../../src/devices/hpet.ts';

function hpet() {
  let now = 0;
  const edges: string[] = [];
  const lines = new Map<string, boolean>();
  const h = new Hpet(
    () => now,
    (line, high, legacy) => {
      const name = `${legacy ? 'irq' : 'pin'}${line}`;
      if (high && !lines.get(name)) edges.push(name);
      lines.set(name, high);
    },
    () => {},
  );
  const r = (off: number) => h.mmioRead(off, 4);
  const w = (off: number, v: number) => h.mmioWrite(off, 4, v);
  /** Advances guest time to `ns`, firing what is due as the run loop does at each event. */
  const runTo = (ns: number) => {
    for (let next = h.nextEventNs(); next !== undefined && next <= ns; next = h.nextEventNs()) {
      now = Math.max(now, next);
      h.tick();
    }
    now = ns;
  };
  return {
    h,
    r,
    w,
    runTo,
    edges,
    lines,
    setNow: (ns: number) => {
      now = ns;
    },
  };
}

describe('HPET', () => {
  it('states three 64-bit-capable timers, legacy routing and a 10 ns period that Linux accepts', () => {
    const { r } = hpet();
    const id = r(0x000);
    expect(id & 0xff).toBe(1); // revision
    expect(((id >>> 8) & 0x1f) + 1).toBe(3);
    expect(id & (1 << 15)).not.toBe(0); // LEG_RT_CAP
    expect(id >>> 16).toBe(0x8086);
    const period = r(0x004);
    expect(period).toBe(10_000_000);
    expect(period).toBeGreaterThanOrEqual(100_000); // Linux's HPET_MIN_PERIOD
    expect(period).toBeLessThanOrEqual(100_000_000); // HPET_MAX_PERIOD
    expect(r(0x100) & (1 << 4)).not.toBe(0); // timer 0 periodic-capable
    expect(r(0x120) & (1 << 4)).toBe(0);
    expect(r(0x104)).toBe(0x00ff0104); // IO-APIC pins 2, 8, 16-23
  });

  it('counts at 100 MHz only while enabled, and keeps its count when halted', () => {
    const { r, w, setNow } = hpet();
    setNow(1000);
    expect(r(0x0f0)).toBe(0);
    w(0x010, 1);
    setNow(1000 + 1_000_000); // 1 ms
    expect(r(0x0f0)).toBe(100_000);
    w(0x010, 0);
    setNow(5_000_000);
    expect(r(0x0f0)).toBe(100_000);
    w(0x0f0, 7); // writable while halted
    expect(r(0x0f0)).toBe(7);
  });

  it('ticks periodically on IRQ 0 in legacy mode, as Linux sets up its 250 Hz tick', () => {
    const t = hpet();
    t.w(0x010, 3); // enable, legacy routing
    const period = 400_000; // 4 ms at 100 MHz
    const cfg = (1 << 2) | (1 << 3) | (1 << 6) | (1 << 8); // enable, periodic, VAL_SET, 32-bit
    t.w(0x100, t.r(0x100) | cfg);
    t.w(0x108, t.r(0x0f0) + period);
    t.w(0x108, period); // VAL_SET has cleared itself: this is the period
    expect(t.r(0x100) & (1 << 6)).toBe(0);
    t.runTo(1_000_000_000); // one second
    expect(t.edges.filter((e) => e === 'irq0').length).toBe(250);
    expect(t.edges.every((e) => e === 'irq0')).toBe(true);
  });

  it('fires a one-shot comparator once, and level-triggered on an IO-APIC pin until its status is cleared', () => {
    const t = hpet();
    t.w(0x010, 1);
    // Timer 2 on pin 20, level-triggered.
    t.w(0x140, (20 << 9) | (1 << 2) | (1 << 1));
    t.w(0x148, 1000); // 10 µs
    t.w(0x14c, 0);
    t.runTo(9_990);
    expect(t.edges).toEqual([]);
    t.runTo(10_000);
    expect(t.edges).toEqual(['pin20']);
    expect(t.r(0x020)).toBe(1 << 2);
    t.runTo(1_000_000_000);
    expect(t.edges).toEqual(['pin20']); // a one-shot 64-bit comparator does not come round
    t.w(0x020, 1 << 2);
    expect(t.lines.get('pin20')).toBe(false);
    expect(t.r(0x020)).toBe(0);
  });
});
