// MXCSR and the rules that decide whether an SSE instruction may run
// (SDM vol. 3, 13.1 and vol. 2, the "Protected Mode Exceptions" of each
// SSE instruction): #UD without CR4.OSFXSR or with CR0.EM, #NM with CR0.TS.

import { OFF_CR0, OFF_CR4, OFF_MXCSR, OFF_XMM, CR0_EM, CR0_TS, CR4_OSFXSR } from '../state';
import { raise, ud, VEC_NM } from '../fault';

// The MXCSR bits this CPU implements: flags, masks, RC, FZ and DAZ. FXSAVE
// reports it as MXCSR_MASK; setting any other bit is #GP(0).
export const MXCSR_MASK: u32 = 0xffff;
// Power-on and INIT value: every exception masked, round to nearest.
export const MXCSR_DEFAULT: u32 = 0x1f80;

@inline export function mxcsr(): u32 {
  return load<u32>(OFF_MXCSR);
}
@inline export function setMxcsr(v: u32): void {
  store<u32>(OFF_MXCSR, v);
}

/** RESET: XMM registers zero, MXCSR at its default. */
export function resetSse(): void {
  memory.fill(OFF_XMM, 0, 128);
  setMxcsr(MXCSR_DEFAULT);
}

/**
 * Whether an SSE instruction (one that touches XMM or MXCSR) may run: faults
 * with #UD without CR4.OSFXSR or with CR0.EM, then with #NM under CR0.TS.
 */
export function sseUsable(): bool {
  const cr0 = load<u32>(OFF_CR0);
  if ((load<u32>(OFF_CR4) & CR4_OSFXSR) == 0 || (cr0 & CR0_EM) != 0) {
    ud();
    return false;
  }
  if ((cr0 & CR0_TS) != 0) {
    raise(VEC_NM, 0, false);
    return false;
  }
  return true;
}

/** FXSAVE and FXRSTOR: #NM under CR0.TS or CR0.EM (they need no OSFXSR). */
export function fxsrUsable(): bool {
  if ((load<u32>(OFF_CR0) & (CR0_EM | CR0_TS)) != 0) {
    raise(VEC_NM, 0, false);
    return false;
  }
  return true;
}
