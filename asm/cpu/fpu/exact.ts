// The exact 80-bit contents of a physical register, where the f64 register
// file cannot hold them: an MM register (its 64-bit integer is the
// significand, with sign and exponent all ones), the registers FXRSTOR
// and FRSTOR load, and what FLD m80 loads. The bits live beside the f64
// (OFF_FPU_BITS) and are valid while bit n of OFF_FPU_EXACT is set; an x87
// write of a computed value (setPhysValue) clears it, and the f64 (the value
// rounded once) is what x87 arithmetic then reads. The moves between
// registers (FLD ST(i), FXCH, FST/FSTP ST(i), FCMOVcc) carry the bits with
// the value, FCHS and FABS change their sign, and FSTP m80, FXAM, FXSAVE,
// FNSAVE, the tag word and MMX reads use them when they are there: an 80-bit value is only rounded when it is
// computed with.

import { OFF_FPU_EXACT, OFF_FPU_BITS } from '../state';
import { physValue, setPhysValue, phys, setSt } from './stack';
import { fromF80, toF80, f80Mant, f80Se } from './formats';

@inline export function hasBits(p: u32): bool {
  return (load<u32>(OFF_FPU_EXACT) & (1 << p)) != 0;
}

/** Physical register p := the 80-bit value (mant, se), kept exactly. */
export function setPhysBits(p: u32, mant: u64, se: u32): void {
  setPhysValue(p, fromF80(mant, se));
  store<u64>(OFF_FPU_BITS + (p << 4), mant);
  store<u16>(OFF_FPU_BITS + (p << 4) + 8, <u16>se);
  store<u32>(OFF_FPU_EXACT, load<u32>(OFF_FPU_EXACT) | (1 << p));
}

/** Physical register p as 80 bits, into exactMant and exactSe. */
export let exactMant: u64 = 0;
export let exactSe: u32 = 0;
export function physBits(p: u32): void {
  if (hasBits(p)) {
    exactMant = load<u64>(OFF_FPU_BITS + (p << 4));
    exactSe = <u32>load<u16>(OFF_FPU_BITS + (p << 4) + 8);
    return;
  }
  toF80(physValue(p));
  exactMant = f80Mant;
  exactSe = f80Se;
}

/** The significand of physical register p: MMi is physical register i's. */
export function physMantissa(p: u32): u64 {
  physBits(p);
  return exactMant;
}

/** The tag of a register in use, from its 80 bits: 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unnormal). */
export function physTag(p: u32): u32 {
  physBits(p);
  const exp = exactSe & 0x7fff;
  if (exp == 0x7fff) return 2;
  if (exp == 0) return exactMant == 0 ? 1 : 2;
  return (exactMant >> 63) == 0 ? 2 : 0;
}

/** ST(i) := physical register p with its exact bits, and in use (the register moves). */
export function setStFrom(i: u32, p: u32): void {
  const exact = hasBits(p);
  const mant = load<u64>(OFF_FPU_BITS + (p << 4));
  const se = <u32>load<u16>(OFF_FPU_BITS + (p << 4) + 8);
  setSt(i, physValue(p));
  if (exact) setPhysBits(phys(i), mant, se);
}

/** Exchanges physical registers a and b with their exact bits (FXCH; both are in use). */
export function swapPhys(a: u32, b: u32): void {
  const va = physValue(a), ma = load<u64>(OFF_FPU_BITS + (a << 4)), sa = <u32>load<u16>(OFF_FPU_BITS + (a << 4) + 8);
  const ea = hasBits(a);
  const vb = physValue(b), mb = load<u64>(OFF_FPU_BITS + (b << 4)), sb = <u32>load<u16>(OFF_FPU_BITS + (b << 4) + 8);
  const eb = hasBits(b);
  setPhysValue(a, vb);
  if (eb) setPhysBits(a, mb, sb);
  setPhysValue(b, va);
  if (ea) setPhysBits(b, ma, sa);
}

/** FXAM's C3 C2 C1 C0 for physical register p from its exact 80 bits (it has them; in use). */
export function examineBits(p: u32): u32 {
  physBits(p);
  const exp = exactSe & 0x7fff;
  const sign: u32 = (exactSe & 0x8000) != 0 ? 0x200 : 0;
  const integer = (exactMant >> 63) != 0;
  if (exp == 0x7fff) return sign | (!integer ? 0 : (exactMant << 1) == 0 ? 0x500 : 0x100); // unsupported, infinity, NaN
  if (exp == 0) return sign | (exactMant == 0 ? 0x4000 : 0x4400); // zero, denormal
  return sign | (integer ? 0x400 : 0); // normal, unnormal (unsupported)
}
