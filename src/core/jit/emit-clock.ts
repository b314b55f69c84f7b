// RDTSC compiled: the core computes the TSC (asm/cpu/system.ts, the one
// definition of guest time) with the instructions the region has retired so
// far lent to the slice, so the value is the interpreter's at this
// instruction; no registers or flags go through the state block but EDX.

import { L_REG, L_T3, F_RDTSC } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { faultCheck, syncSlice } from './emit-exits.ts';
import { pending } from './emit-memory.ts';

export function rdtsc(e: Emitter, ins: Insn): void {
  e.i32(pending(e));
  syncSlice(e);
  e.call(F_RDTSC);
  e.set(L_T3);
  faultCheck(e, ins); // #GP(0) when CR4.TSD denies it at this CPL
  e.get(L_T3);
  e.set(L_REG);
  e.load(e.layout.OFF_REGS + 2 * 4);
  e.set(L_REG + 2);
}
