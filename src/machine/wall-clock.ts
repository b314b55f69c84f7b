// The realtime clock: guest time follows the host's wall clock, and the CPU
// runs as fast as the host runs it.
//
// Guest time stays a function of the instruction count (the virtual clock's
// ten nanoseconds per instruction, PcMachine.nowNs()), but the time an
// instruction stands for is fitted as the machine runs, as QEMU's
// `-icount shift=auto` does: every FIT_MS of running, the host's own speed
// over that stretch gives the wall time an instruction takes, and the rate is
// set to it, leaning towards closing the gap to the wall within CATCH_UP_MS.
// A host slower than the nominal 100 MIPS keeps the nominal rate (the guest
// falls behind while busy and catches up when it idles); a faster one lets
// a busy guest finish in its own time instead of sleeping to 10 ns per
// instruction. Every timer (PIT, local APIC, HPET, ACPI PM, RTC) and the TSC
// read the one guest time, so they agree with one another whatever the rate.

import type { PcMachine } from './machine.ts';

/** How much running (wall time spent in run()) one fit of the rate looks back on. */
const FIT_MS = 50;
/** The stretch of running over which a fit means to close the gap between guest time and the wall. */
const CATCH_UP_MS = 500;

export class WallClock {
  /** performance.now() at guest time 0, ms. */
  private base = 0;
  /** Wall time spent in run() and the instructions retired there since the last fit. */
  private runMs = 0;
  private ran = 0n;

  constructor(private readonly pc: PcMachine) {}

  /** Follows the wall from guest time now on (at the start, and on resuming from a pause, which stops guest time). */
  start(): void {
    this.base = performance.now() - this.pc.nowNs() / 1e6;
    this.runMs = 0;
    this.ran = 0n;
  }

  /** The wall clock's reading in guest nanoseconds. */
  wallNs(): number {
    return (performance.now() - this.base) * 1e6;
  }

  /** How far guest time is ahead of the wall, in ms (negative: behind). */
  aheadMs(): number {
    return this.pc.nowNs() / 1e6 - (performance.now() - this.base);
  }

  /**
   * Runs the machine for a slice (`run` calls PcMachine.run), timing it, and
   * fits the rate once FIT_MS of running have passed. Only slices that end
   * with the CPU running count: one that ends halted waited for the wall and
   * ran a timer interrupt's few instructions, which say little of the host's
   * speed, so an idle guest keeps the rate of its last busy stretch for the
   * next.
   */
  run<T>(run: () => T): T {
    const t0 = performance.now();
    const i0 = this.pc.core.instructions;
    try {
      return run();
    } finally {
      if (this.pc.power === 'running') {
        this.runMs += performance.now() - t0;
        this.ran += this.pc.core.instructions - i0;
        if (this.runMs >= FIT_MS) this.fit();
      }
    }
  }

  /**
   * The host's wall time per instruction while running, scaled by how far
   * guest time lags the wall (behind: more guest time per instruction, to
   * catch up; ahead: less). PcMachine clamps it to its range.
   */
  private fit(): void {
    const hostNs = (this.runMs * 1e6) / Math.max(1, Number(this.ran));
    const behindNs = -this.aheadMs() * 1e6;
    this.pc.nsPerInstruction = hostNs * (1 + behindNs / (CATCH_UP_MS * 1e6));
    this.runMs = 0;
    this.ran = 0n;
  }
}
