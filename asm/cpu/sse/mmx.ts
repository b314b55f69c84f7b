// The MM registers and the rules of MMX (SDM vol. 1, chapter 9): MMi is the
// 64-bit significand of x87 physical register i (whatever TOP is). Writing
// one sets that register's sign and exponent to all ones, and every MMX
// instruction sets TOP to 0 and every tag to valid; EMMS empties them. The
// exact bits are kept beside the f64 register file (fpu/exact.ts), so
// FXSAVE, FNSAVE and the next MMX read see what was written.

import { OFF_CR0, OFF_FPU_EMPTY, CR0_EM, CR0_TS } from '../state';
import { raise, ud, VEC_NM } from '../fault';
import { sw, setSw } from '../fpu/stack';
import { pendingException } from '../fpu/escape';
import { physMantissa, setPhysBits } from '../fpu/exact';

@inline export function mm(i: u32): u64 {
  return physMantissa(i);
}

export function setMm(i: u32, v: u64): void {
  setPhysBits(i, v, 0xffff);
}

/** TOP := 0 and every tag valid: what any MMX instruction does to the x87 state. */
export function mmxTransition(): void {
  setSw(sw() & ~(<u32>7 << 11));
  store<u32>(OFF_FPU_EMPTY, 0);
}

/** EMMS: every tag empty (TOP := 0 as for the other MMX instructions). */
export function emms(): void {
  setSw(sw() & ~(<u32>7 << 11));
  store<u32>(OFF_FPU_EMPTY, 0xff);
}

/** Whether an MMX instruction may run: #UD under CR0.EM, #NM under CR0.TS, then a pending x87 exception (#MF). */
export function mmxUsable(): bool {
  const cr0 = load<u32>(OFF_CR0);
  if ((cr0 & CR0_EM) != 0) {
    ud();
    return false;
  }
  if ((cr0 & CR0_TS) != 0) {
    raise(VEC_NM, 0, false);
    return false;
  }
  return !pendingException();
}
