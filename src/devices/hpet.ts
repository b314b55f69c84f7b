// The High Precision Event Timer (IA-PC HPET specification 1.0a) at
// 0xFED00000, as QEMU's PC has it: a 64-bit main counter at 100 MHz and
// three comparators (timer 0 periodic-capable), legacy replacement routing
// (timer 0 on IRQ 0, timer 1 on IRQ 8, the PIT's output cut off) and
// otherwise an IO-APIC pin per timer. The ACPI HPET table
// (src/boot/acpi-tables.ts) tells the kernel where it is.
//
// Time is the machine clock's: the counter is a reading of it (10 ns a
// count, one instruction of the virtual CPU), so it is as deterministic as
// the clock. A timer's next match is kept as a counter value, and
// nextEventNs() tells the run loop when it comes, as the PIT and the local
// APIC do.
//
// The registers are 64 bits wide; a 32-bit kernel reads and writes them in
// halves, which this device merges into the whole register before acting.

import type { MmioDevice } from './mmio-bus.ts';
import { type StateRecord, type Stateful, StateError } from '../state/records.ts';

export const HPET_BASE = 0xfed00000;
export const HPET_WINDOW = 0x400;
export const HPET_TIMERS = 3;
/** Femtoseconds per count: 10 ns, 100 MHz. */
export const HPET_PERIOD_FS = 10_000_000;
const NS_PER_COUNT = HPET_PERIOD_FS / 1e6;

/** General capabilities, low half: revision 1, timers - 1, 64-bit counter, legacy replacement, Intel. */
export const HPET_ID = (0x01 | ((HPET_TIMERS - 1) << 8) | (1 << 13) | (1 << 15) | (0x8086 << 16)) >>> 0;
/** The IO-APIC pins a timer may be routed to: 2, 8 and 16-23, as QEMU's PC offers. */
const ROUTE_CAP = 0x00ff0104n;

const ENABLE_CNF = 1n;
const LEG_RT_CNF = 2n;

// Timer configuration bits.
const INT_TYPE_LEVEL = 1n << 1n;
const INT_ENB = 1n << 2n;
const TYPE_PERIODIC = 1n << 3n;
const PER_INT_CAP = 1n << 4n;
const SIZE_CAP = 1n << 5n;
const VAL_SET = 1n << 6n;
const MODE_32 = 1n << 8n;
const ROUTE_SHIFT = 9n;
/** What software may write in a timer's configuration: type, enable, periodic, value set, 32-bit mode, route. */
const TIMER_WRITABLE = INT_TYPE_LEVEL | INT_ENB | TYPE_PERIODIC | VAL_SET | MODE_32 | (0x1fn << ROUTE_SHIFT);

const MASK64 = (1n << 64n) - 1n;
const MASK32 = 0xffffffffn;

interface Timer {
  config: bigint;
  comparator: bigint;
  /** What a periodic timer adds to its comparator at each match. */
  period: bigint;
  /** The main counter value of the next match (armed timers only). */
  due: bigint | null;
}

export class Hpet implements MmioDevice, Stateful {
  readonly stateVersion = 1;
  private config = 0n;
  /** Interrupt status: bit n, timer n's level-triggered interrupt is active. */
  private status = 0n;
  /** The counter's value at `sinceNs` of guest time (it runs from then while enabled). */
  private counterBase = 0n;
  private sinceNs = 0;
  private timers: Timer[] = Array.from({ length: HPET_TIMERS }, (_, n) => Hpet.timerAtReset(n));

  /**
   * `nowNs`: the machine clock. `setLine(line, high, legacy)`: drive an ISA
   * line (legacy routing: 0 or 8) or an IO-APIC pin. `rescheduled`: the
   * next event moved (the run loop ends its slice).
   */
  constructor(
    private readonly nowNs: () => number,
    private readonly setLine: (line: number, high: boolean, legacy: boolean) => void,
    private readonly rescheduled: () => void,
  ) {}

  /** A system reset: the counter halted at 0, legacy routing off (the PIT has IRQ 0 again), every timer as at power-on. */
  reset(): void {
    this.config = 0n;
    this.status = 0n;
    this.counterBase = 0n;
    this.sinceNs = this.nowNs();
    this.timers = Array.from({ length: HPET_TIMERS }, (_, n) => Hpet.timerAtReset(n));
  }

  private static timerAtReset(n: number): Timer {
    return { config: SIZE_CAP | (n === 0 ? PER_INT_CAP : 0n) | (ROUTE_CAP << 32n), comparator: MASK64, period: 0n, due: null };
  }

  /** Legacy replacement routing is on: the PIT's IRQ 0 (and the RTC's IRQ 8) do not reach the interrupt controllers. */
  get legacy(): boolean {
    return (this.config & (ENABLE_CNF | LEG_RT_CNF)) === (ENABLE_CNF | LEG_RT_CNF);
  }

  private get running(): boolean {
    return (this.config & ENABLE_CNF) !== 0n;
  }

  private counter(): bigint {
    if (!this.running) return this.counterBase;
    return (this.counterBase + BigInt(Math.floor((this.nowNs() - this.sinceNs) / NS_PER_COUNT))) & MASK64;
  }

  /** Guest time of the next timer match, or undefined. */
  nextEventNs(): number | undefined {
    if (!this.running) return undefined;
    let first: bigint | null = null;
    for (const t of this.timers) if (t.due !== null && (first === null || t.due < first)) first = t.due;
    if (first === null) return undefined;
    return this.sinceNs + Number(first - this.counterBase) * NS_PER_COUNT;
  }

  /** Fires every timer whose match has come. */
  tick(): void {
    if (!this.running) return;
    const now = this.counter();
    this.timers.forEach((t, n) => {
      if (t.due === null || t.due > now) return;
      this.fire(n, t);
      if (t.config & TYPE_PERIODIC && t.period > 0n) {
        // The comparator goes on by the period; matches missed while the host was away are one interrupt.
        const width = t.config & MODE_32 ? MASK32 : MASK64;
        const behind = (now - t.due) / t.period + 1n;
        t.comparator = (t.comparator + behind * t.period) & width;
        t.due += behind * t.period;
      } else {
        // A one-shot comparator matches again only when the counter comes round.
        t.due += t.config & MODE_32 ? 1n << 32n : 1n << 64n;
      }
    });
  }

  private fire(n: number, t: Timer): void {
    if (!(t.config & INT_ENB)) return;
    const legacy = this.legacy && n < 2;
    const line = legacy ? (n === 0 ? 0 : 8) : Number((t.config >> ROUTE_SHIFT) & 0x1fn);
    if (t.config & INT_TYPE_LEVEL) {
      this.status |= 1n << BigInt(n);
      this.setLine(line, true, legacy);
    } else {
      this.setLine(line, true, legacy);
      this.setLine(line, false, legacy);
    }
  }

  /** Where timer `t` next matches, from its comparator and the counter now. */
  private arm(t: Timer): void {
    if (!this.running) {
      t.due = null;
      return;
    }
    const now = this.counter();
    const width = t.config & MODE_32 ? MASK32 : MASK64;
    t.due = now + ((t.comparator - (now & width)) & width);
  }

  private armAll(): void {
    for (const t of this.timers) this.arm(t);
    this.rescheduled();
  }

  private register(offset: number): bigint {
    if (offset === 0x000) return BigInt(HPET_ID) | (BigInt(HPET_PERIOD_FS) << 32n);
    if (offset === 0x010) return this.config;
    if (offset === 0x020) return this.status;
    if (offset === 0x0f0) return this.counter();
    const t = this.timerAt(offset);
    if (!t) return 0n;
    const field = offset & 0x1f;
    if (field === 0x00) return t.config;
    if (field === 0x08) return t.config & MODE_32 ? t.comparator & MASK32 : t.comparator;
    return 0n; // FSB route: no FSB delivery
  }

  private timerAt(offset: number): Timer | undefined {
    if (offset < 0x100) return undefined;
    return this.timers[(offset - 0x100) >> 5];
  }

  mmioRead(offset: number, size: number): number {
    const shift = BigInt((offset & 7) * 8);
    return Number((this.register(offset & ~7) >> shift) & ((1n << BigInt(size * 8)) - 1n));
  }

  mmioWrite(offset: number, size: number, value: number): void {
    const at = offset & ~7;
    const shift = BigInt((offset & 7) * 8);
    const mask = ((1n << BigInt(size * 8)) - 1n) << shift;
    const merge = (old: bigint) => (old & ~mask) | ((BigInt(value >>> 0) << shift) & mask);
    if (at === 0x010) this.writeConfig(merge(this.config) & (ENABLE_CNF | LEG_RT_CNF));
    else if (at === 0x020) this.clearStatus((BigInt(value >>> 0) << shift) & mask & ((1n << BigInt(HPET_TIMERS)) - 1n));
    else if (at === 0x0f0) {
      // The counter may be written only while it is halted.
      if (!this.running) this.counterBase = merge(this.counterBase);
    } else {
      const t = this.timerAt(at);
      if (!t) return;
      if ((at & 0x1f) === 0x00) this.writeTimerConfig(t, (t.config & ~TIMER_WRITABLE) | (merge(t.config) & TIMER_WRITABLE));
      else if ((at & 0x1f) === 0x08) this.writeComparator(t, offset & 7, size, merge(t.comparator));
    }
  }

  private writeConfig(value: bigint): void {
    // Keep the counter's reading across the change; it runs from now if enabled.
    this.counterBase = this.counter();
    this.sinceNs = this.nowNs();
    this.config = value;
    this.armAll();
  }

  private clearStatus(bits: bigint): void {
    this.status &= ~bits;
    this.timers.forEach((t, n) => {
      if (bits & (1n << BigInt(n))) {
        const legacy = this.legacy && n < 2;
        this.setLine(legacy ? (n === 0 ? 0 : 8) : Number((t.config >> ROUTE_SHIFT) & 0x1fn), false, legacy);
      }
    });
  }

  private writeTimerConfig(t: Timer, value: bigint): void {
    // A route the timer cannot take leaves the old one (the capability field names the pins it can).
    const route = (value >> ROUTE_SHIFT) & 0x1fn;
    if (!((ROUTE_CAP >> route) & 1n)) value = (value & ~(0x1fn << ROUTE_SHIFT)) | (t.config & (0x1fn << ROUTE_SHIFT));
    // Only timer 0 can be periodic.
    if (!(t.config & PER_INT_CAP)) value &= ~TYPE_PERIODIC;
    t.config = value;
    if (t.config & MODE_32) t.comparator &= MASK32;
    this.arm(t);
    this.rescheduled();
  }

  /**
   * A write to the comparator: a one-shot timer's match value; in periodic
   * mode with VAL_SET it sets the comparator and the period, without it the
   * period only (the next match stays), and VAL_SET clears itself.
   */
  private writeComparator(t: Timer, byte: number, size: number, merged: bigint): void {
    const width = t.config & MODE_32 ? MASK32 : MASK64;
    if (t.config & MODE_32 && byte >= 4) return;
    const value = merged & width;
    const periodic = (t.config & TYPE_PERIODIC) !== 0n;
    if (!periodic || t.config & VAL_SET) t.comparator = value;
    if (periodic) {
      const mask = ((1n << BigInt(size * 8)) - 1n) << BigInt(byte * 8);
      t.period = ((t.period & ~mask) | (value & mask)) & (width >> 1n);
    }
    t.config &= ~VAL_SET;
    this.arm(t);
    this.rescheduled();
  }

  saveState(): StateRecord {
    return {
      config: this.config.toString(),
      status: this.status.toString(),
      counterBase: this.counterBase.toString(),
      sinceNs: this.sinceNs,
      timers: this.timers.map((t) => ({
        config: t.config.toString(),
        comparator: t.comparator.toString(),
        period: t.period.toString(),
        due: t.due === null ? null : t.due.toString(),
      })),
    };
  }

  loadState(r: StateRecord): void {
    const big = (v: unknown, name: string): bigint => {
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new StateError(`field ${name} should be a decimal string`);
      return BigInt(v);
    };
    if (typeof r.sinceNs !== 'number') throw new StateError('field sinceNs should be a number');
    if (!Array.isArray(r.timers) || r.timers.length !== HPET_TIMERS) throw new StateError(`field timers should be ${HPET_TIMERS} records`);
    this.config = big(r.config, 'config');
    this.status = big(r.status, 'status');
    this.counterBase = big(r.counterBase, 'counterBase');
    this.sinceNs = r.sinceNs;
    this.timers = (r.timers as StateRecord[]).map((t, n) => ({
      config: big(t.config, `timers[${n}].config`),
      comparator: big(t.comparator, `timers[${n}].comparator`),
      period: big(t.period, `timers[${n}].period`),
      due: t.due === null ? null : big(t.due, `timers[${n}].due`),
    }));
  }
}
