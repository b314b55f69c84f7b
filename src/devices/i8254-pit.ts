// The 8254 programmable interval timer (ports 0x40-0x43) and the system
// control port B (0x61) that gates channel 2 and shows its output.
//
// A counter is never stepped: its state is computed from the time elapsed
// since it was loaded, read from the machine clock in PIT input ticks
// (1.193182 MHz). Channel 0 drives IRQ 0; nextEvent() tells the run loop
// when the next IRQ 0 edge is due, so a halted CPU can skip straight to it.
//
// Modes per the 8254 datasheet: 0 (interrupt on terminal count), 1
// (hardware-retriggerable one-shot), 2 (rate generator), 3 (square wave),
// 4 (software strobe), 5 (hardware strobe); LSB/MSB/word access, counter
// latch and read-back commands, BCD counting is not supported (no PC
// software uses it) and is reported as binary.

import type { PortDevice } from './port-bus.ts';
import { loadFields, ownFields, recordsField, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const PIT_HZ = 1_193_182;
/** The four ports of the 8254, for the inspector. */
export const PIT_REGISTERS = ['counter 0', 'counter 1', 'counter 2', 'mode/command'] as const;

/** A counter's whole state (times in PIT ticks of the machine clock, which a snapshot restores too). */
const COUNTER_STATE = [
  'mode',
  'access',
  'reload',
  'loadedAt',
  'armed',
  'gate',
  'writeLow',
  'pendingLow',
  'latched',
  'latchedLowNext',
  'readLow',
  'statusLatched',
  'nullCount',
] as const;
const COUNTER_OPTIONAL = ['latched', 'statusLatched'] as const;
const PIT_STATE = ['speaker', 'irqs', 'lastIrqTick'];

class Counter {
  mode = 0;
  access = 3; // 1: LSB, 2: MSB, 3: LSB then MSB
  reload = 0x10000; // N, with 0 meaning 65536
  loadedAt = 0; // tick at which counting started
  armed = false; // a count has been written and counting began
  gate = true;
  writeLow = true; // next byte written is the LSB (access mode 3)
  pendingLow = 0;
  latched: number | undefined;
  latchedLowNext = true;
  readLow = true;
  statusLatched: number | undefined;
  nullCount = true;

  /** Ticks counted since loading (0 while the gate holds a gated mode). */
  elapsed(now: number): number {
    return this.armed ? Math.max(0, now - this.loadedAt) : 0;
  }

  count(now: number): number {
    if (!this.armed) return this.reload & 0xffff;
    const n = this.reload;
    const e = this.elapsed(now);
    switch (this.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        // Counts down by two, twice per period.
        const half = Math.ceil(n / 2);
        const inHalf = e % n < half ? e % n : (e % n) - half;
        return (n - 2 * inHalf) & 0xfffe;
      }
      default:
        return (n - e) & 0xffff; // 0, 1, 4, 5 wrap through 0xFFFF and keep counting
    }
  }

  output(now: number): boolean {
    if (!this.armed) return this.mode !== 0;
    const n = this.reload;
    const e = this.elapsed(now);
    switch (this.mode) {
      case 0:
        return e >= n;
      case 1:
        return e >= n;
      case 2:
        return e % n !== n - 1;
      case 3:
        return e % n < Math.ceil(n / 2);
      default: // 4, 5: one low tick at terminal count
        return e !== n;
    }
  }

  /** Tick of the next rising edge of the output strictly after `now`, or undefined. */
  nextRisingEdge(now: number): number | undefined {
    if (!this.armed) return undefined;
    const n = this.reload;
    const e = this.elapsed(now);
    switch (this.mode) {
      case 0:
      case 1:
        return e < n ? this.loadedAt + n : undefined;
      case 2:
        return this.loadedAt + (Math.floor(e / n) + 1) * n;
      case 3:
        return this.loadedAt + (Math.floor(e / n) + 1) * n;
      default:
        return e <= n ? this.loadedAt + n + 1 : undefined;
    }
  }
}

export class I8254Pit implements PortDevice, Stateful {
  readonly stateVersion = 1;
  readonly counters = [new Counter(), new Counter(), new Counter()];
  private speaker = 0; // port 0x61 bits 0-1
  /** IRQ 0 edges raised, for the inspector. */
  irqs = 0;
  private lastIrqTick = 0;

  /**
   * `now` gives the current time in PIT ticks; `raiseIrq0` pulses IRQ 0 on
   * the interrupt controller; `rearmed` is told whenever counter 0 is
   * reprogrammed, so a run loop that planned its slice by nextEvent() can
   * plan again (a one-shot kernel programs the next tick while running).
   */
  constructor(
    private readonly now: () => number,
    private readonly raiseIrq0: () => void,
    /**
     * Channel 0 was loaded while the CPU runs: its next IRQ 0 edge moved, and
     * the run loop, which sized its slice to the old one, must size it again
     * (or the edge is raised late, at the slice's end).
     */
    private readonly rearmed: () => void = () => {},
  ) {
    this.counters[2].gate = false;
  }

  saveState(): StateRecord {
    return { counters: this.counters.map((c) => saveFields(c, COUNTER_STATE)), ...saveFields(ownFields(this), PIT_STATE) };
  }

  loadState(r: StateRecord): void {
    const counters = recordsField(r, 'counters', 3);
    this.counters.forEach((c, i) => loadFields(c, counters[i]!, COUNTER_STATE, COUNTER_OPTIONAL));
    loadFields(ownFields(this), r, PIT_STATE);
  }

  /** Delivers every IRQ 0 edge that is due by now. Called by the run loop. */
  tick(): void {
    const c = this.counters[0];
    const t = this.now();
    for (;;) {
      const edge = c.nextRisingEdge(this.lastIrqTick);
      if (edge === undefined || edge > t) break;
      this.lastIrqTick = edge;
      this.irqs++;
      this.raiseIrq0();
    }
  }

  /** Tick of the next IRQ 0 edge, if any: where a halted CPU may skip to. */
  nextEvent(): number | undefined {
    return this.counters[0].nextRisingEdge(Math.max(this.lastIrqTick, this.now()));
  }

  private load(i: number, value: number): void {
    const c = this.counters[i];
    c.reload = value === 0 ? 0x10000 : value;
    c.nullCount = false;
    // Modes 1 and 5 wait for a gate edge; the others start now (if gated on).
    if (c.mode === 1 || c.mode === 5) return;
    c.armed = c.gate || i !== 2;
    c.loadedAt = this.now();
    if (i === 0) {
      this.lastIrqTick = this.now();
      this.rearmed();
    }
  }

  read(port: number, _size = 1): number {
    if (port === 0x61) {
      const out2 = this.counters[2].output(this.now());
      // Bit 4 toggles with DRAM refresh (every 15 us); software polls it to wait.
      const refresh = Math.floor(this.now() / 18) & 1;
      return this.speaker | (refresh << 4) | (out2 ? 0x20 : 0);
    }
    if (port === 0x43) return 0xff;
    const c = this.counters[port - 0x40];
    if (c.statusLatched !== undefined) {
      const s = c.statusLatched;
      c.statusLatched = undefined;
      return s;
    }
    let v: number;
    if (c.latched !== undefined) {
      v = c.latched;
      if (c.access !== 3 || !c.latchedLowNext) c.latched = undefined;
      const byte = c.access === 2 || (c.access === 3 && !c.latchedLowNext) ? v >> 8 : v & 0xff;
      c.latchedLowNext = c.access === 3 ? !c.latchedLowNext : true;
      return byte;
    }
    v = c.count(this.now());
    if (c.access === 1) return v & 0xff;
    if (c.access === 2) return (v >> 8) & 0xff;
    const byte = c.readLow ? v & 0xff : (v >> 8) & 0xff;
    c.readLow = !c.readLow;
    return byte;
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === 0x61) {
      const gate = (v & 1) !== 0;
      const c = this.counters[2];
      if (gate && !c.gate) {
        // A rising gate edge (re)starts modes 1, 2, 3 and 5, and lets 0 and 4 count.
        c.gate = true;
        if (!c.nullCount) {
          c.armed = true;
          c.loadedAt = this.now();
        }
      } else if (!gate) {
        c.gate = false;
      }
      this.speaker = v & 3;
      return;
    }
    if (port === 0x43) {
      this.control(v);
      return;
    }
    const i = port - 0x40;
    const c = this.counters[i];
    if (c.access === 1) this.load(i, v);
    else if (c.access === 2) this.load(i, v << 8);
    else if (c.writeLow) {
      c.pendingLow = v;
      c.writeLow = false;
      if (c.mode === 0) c.armed = false; // writing the first byte stops mode 0
    } else {
      c.writeLow = true;
      this.load(i, c.pendingLow | (v << 8));
    }
  }

  private control(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back: bit 5 clear latches counts, bit 4 clear latches status.
      for (let i = 0; i < 3; i++) {
        if (!(v & (2 << i))) continue;
        const c = this.counters[i];
        if (!(v & 0x20) && c.latched === undefined) {
          c.latched = c.count(this.now());
          c.latchedLowNext = true;
        }
        if (!(v & 0x10) && c.statusLatched === undefined) {
          c.statusLatched = (c.output(this.now()) ? 0x80 : 0) | (c.nullCount ? 0x40 : 0) | (c.access << 4) | (c.mode << 1);
        }
      }
      return;
    }
    const c = this.counters[sel];
    const access = (v >> 4) & 3;
    if (access === 0) {
      // Counter latch command.
      if (c.latched === undefined) {
        c.latched = c.count(this.now());
        c.latchedLowNext = true;
      }
      return;
    }
    c.access = access;
    c.mode = (v >> 1) & 7;
    if (c.mode > 5) c.mode -= 4; // 6 and 7 are aliases of 2 and 3
    c.writeLow = true;
    c.readLow = true;
    c.latched = undefined;
    c.armed = false;
    c.nullCount = true;
  }
}
