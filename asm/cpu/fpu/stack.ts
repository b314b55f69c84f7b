// The x87 register stack, status/control words and exception flags.
//
// Values are f64 (see README.md). Physical register n is at OFF_FPU_ST + 8n;
// ST(i) is physical (TOP + i) & 7. Emptiness is a bit mask; the full tag word
// is derived from the values when an environment is stored.

import {
  OFF_FPU_ST, OFF_FPU_CW, OFF_FPU_SW, OFF_FPU_EMPTY, OFF_FPU_FIP, OFF_FPU_FCS, OFF_FPU_FOP, OFF_FPU_FDP, OFF_FPU_FDS,
  OFF_FPU_FERR, OFF_FPU_EXACT,
} from '../state';

// Status word bits.
export const SW_IE: u32 = 1 << 0;
export const SW_DE: u32 = 1 << 1;
export const SW_ZE: u32 = 1 << 2;
export const SW_OE: u32 = 1 << 3;
export const SW_UE: u32 = 1 << 4;
export const SW_PE: u32 = 1 << 5;
export const SW_SF: u32 = 1 << 6;
export const SW_ES: u32 = 1 << 7;
export const SW_C0: u32 = 1 << 8;
export const SW_C1: u32 = 1 << 9;
export const SW_C2: u32 = 1 << 10;
export const SW_C3: u32 = 1 << 14;
export const SW_B: u32 = 1 << 15;
export const SW_CC: u32 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

// The x87 "real indefinite": the quiet NaN that masked invalid operations produce.
export const INDEFINITE: f64 = reinterpret<f64>(0xfff8000000000000);

@inline export function cw(): u32 {
  return load<u32>(OFF_FPU_CW);
}
@inline export function sw(): u32 {
  return load<u32>(OFF_FPU_SW);
}
@inline export function setSw(v: u32): void {
  store<u32>(OFF_FPU_SW, v & 0xffff);
}
@inline export function top(): u32 {
  return (sw() >> 11) & 7;
}
@inline function setTop(t: u32): void {
  setSw((sw() & ~(7 << 11)) | ((t & 7) << 11));
}
@inline export function phys(i: u32): u32 {
  return (top() + i) & 7;
}
@inline export function isEmpty(i: u32): bool {
  return (load<u32>(OFF_FPU_EMPTY) & (1 << phys(i))) != 0;
}
@inline export function physValue(p: u32): f64 {
  return load<f64>(OFF_FPU_ST + (p << 3));
}
/** Writes physical register p; its exact 80-bit bits, if it had them, are gone (fpu/exact.ts). */
@inline export function setPhysValue(p: u32, v: f64): void {
  store<f64>(OFF_FPU_ST + (p << 3), v);
  store<u32>(OFF_FPU_EXACT, load<u32>(OFF_FPU_EXACT) & ~(1 << p));
}
@inline export function st(i: u32): f64 {
  return physValue(phys(i));
}

/** Writes ST(i) and marks it in use. */
export function setSt(i: u32, v: f64): void {
  const p = phys(i);
  setPhysValue(p, v);
  store<u32>(OFF_FPU_EMPTY, load<u32>(OFF_FPU_EMPTY) & ~(1 << p));
}

export function markEmpty(i: u32): void {
  store<u32>(OFF_FPU_EMPTY, load<u32>(OFF_FPU_EMPTY) | (1 << phys(i)));
}

export function incTop(): void {
  setTop(top() + 1);
}
export function decTop(): void {
  setTop(top() - 1);
}

export function fpuPop(): void {
  markEmpty(0);
  incTop();
}

/** Sets SW_C0-SW_C3 to `cc` (only bits of SW_CC). */
@inline export function setCc(cc: u32): void {
  setSw((sw() & ~SW_CC) | cc);
}

/**
 * Records exception flags. Returns true when one of them is unmasked, in
 * which case SW_ES and B are set and the caller leaves its destination alone
 * (the handler sees the operands as they were).
 */
export function signal(flags: u32): bool {
  let s = sw() | flags;
  const unmasked = (flags & ~cw() & 0x3f) != 0;
  if (unmasked) s |= SW_ES | SW_B;
  setSw(s);
  return unmasked;
}

/** Stack underflow (an empty register read): true when the fault is unmasked. */
export function underflow(): bool {
  setSw(sw() & ~SW_C1);
  return signal(SW_IE | SW_SF);
}

/** Stack overflow (a push onto a full register): true when unmasked. */
export function overflow(): bool {
  setSw(sw() | SW_C1);
  return signal(SW_IE | SW_SF);
}

/**
 * Pushes v. On overflow the masked response pushes the indefinite NaN;
 * returns false when nothing may be written (unmasked fault). SW_C1 says
 * whether the stack overflowed (SDM: FLD and the other loads clear it
 * otherwise; measured after FXRSTOR left it set).
 */
export function fpuPush(v: f64): bool {
  if ((load<u32>(OFF_FPU_EMPTY) & (1 << ((top() - 1) & 7))) == 0) {
    if (overflow()) return false;
    v = INDEFINITE;
  } else {
    setSw(sw() & ~SW_C1);
  }
  decTop();
  setSt(0, v);
  return true;
}

export function finit(): void {
  store<u32>(OFF_FPU_CW, 0x37f);
  setSw(0);
  store<u32>(OFF_FPU_EMPTY, 0xff);
  store<u32>(OFF_FPU_FIP, 0);
  store<u32>(OFF_FPU_FCS, 0);
  store<u32>(OFF_FPU_FOP, 0);
  store<u32>(OFF_FPU_FDP, 0);
  store<u32>(OFF_FPU_FDS, 0);
}

/** RESET: control word 0x40, every register valid zero (tag word 0x5555). */
export function resetFpu(): void {
  memory.fill(OFF_FPU_ST, 0, 64);
  store<u32>(OFF_FPU_EXACT, 0);
  finit();
  store<u32>(OFF_FPU_CW, 0x40);
  store<u32>(OFF_FPU_EMPTY, 0);
  store<u32>(OFF_FPU_FERR, 0);
}
