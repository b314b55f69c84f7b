// Execution control for the inspector: single-step, and run to a
// linear-address breakpoint (armed in the core's inspect block, checked by
// the run loop only while armed). Pausing is not calling run(); resuming is
// calling it again, which steps over a breakpoint the CPU stopped on.

import type { PcMachine } from '../machine/machine.ts';
import { OFF_BP_ARMED, OFF_BP_LINEAR } from '../core-abi.ts';

/** The linear address of the next instruction (CS base + EIP). */
export function linearEip(m: PcMachine): number {
  return (m.core.segment(1).base + m.core.eip) >>> 0;
}

export function setBreakpoint(m: PcMachine, linear: number | null): void {
  const dv = m.core.memory;
  dv.setUint32(OFF_BP_LINEAR, (linear ?? 0) >>> 0, true);
  dv.setUint32(OFF_BP_ARMED, linear === null ? 0 : 1, true);
}

/** Executes exactly one instruction (or delivers one pending interrupt first, as the CPU would). */
export function step(m: PcMachine): void {
  m.run(1);
}

/**
 * Runs until the armed breakpoint is reached or `budget` instructions pass.
 * Returns true when the CPU stopped at the breakpoint. `run` runs the
 * instructions (a paused Machine's step, so its devices' output is delivered).
 */
export function runToBreakpoint(m: PcMachine, budget: number, run: (n: number) => void = (n) => m.run(n)): boolean {
  const dv = m.core.memory;
  if (!dv.getUint32(OFF_BP_ARMED, true)) throw new Error('no breakpoint is armed');
  const before = m.core.instructions;
  run(budget);
  return Number(m.core.instructions - before) < budget && linearEip(m) === dv.getUint32(OFF_BP_LINEAR, true);
}
