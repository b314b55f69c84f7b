// SSE conversions between binary32, binary64 and int32 (CVT*): rounding by
// MXCSR.RC or by truncation (the CVTT forms); a NaN or an out-of-range value
// converted to an integer is invalid and gives the "integer indefinite"
// 0x80000000.

import {
  F64, IE, PE, RC_ZERO, raiseFp, dazOn, source, isNaN, isSignaling, isInf, isZero, quiet, signOf, signBit, infinity,
  frac, expField, unpackA, sigA, expA, roundPack, roundBits, lastExact, shiftRightJam, withRounding,
} from './softfloat';

export const INTEGER_INDEFINITE: u32 = 0x80000000;

/** binary32 <-> binary64 (`to` the other format). */
export function convertFloat(a: u64, from: u32, to: u32): u64 {
  a = source(a, from);
  const s = signOf(a, from);
  if (isNaN(a, from)) {
    if (isSignaling(a, from)) raiseFp(IE);
    const payload = to == F64 ? frac(a, from) << 29 : frac(a, from) >> 29;
    return quiet(infinity(s, to) | payload, to);
  }
  if (isInf(a, from)) return infinity(s, to);
  if (isZero(a, from)) return signBit(s, to);
  unpackA(a, from);
  return roundPack(s, expA, sigA, to);
}

/** CVTSI2SS, CVTSI2SD, CVTDQ2PS, CVTDQ2PD. */
export function intToFloat(v: i32, f: u32): u64 {
  if (v == 0) return 0;
  const s: u32 = v < 0 ? 1 : 0;
  const mag: u64 = v < 0 ? <u64>(-(<i64>v)) : <u64>v;
  const k = <i32>clz(mag) - 1;
  return roundPack(s, 62 - k, mag << <u64>k, f);
}

/** CVT(T)SS2SI, CVT(T)SD2SI, CVT(T)PS2DQ, CVT(T)PD2DQ. No DE: these raise only IE and PE. */
export function floatToInt(a: u64, f: u32, truncate: bool): u32 {
  if (expField(a, f) == 0 && frac(a, f) != 0 && dazOn()) return 0;
  if (isNaN(a, f) || isInf(a, f)) return invalidInt();
  if (isZero(a, f)) return 0;
  const s = signOf(a, f);
  unpackA(a, f);
  if (expA > 31) return invalidInt();
  let sig = sigA;
  let shift = 62 - expA;
  if (shift > 62) {
    sig = shiftRightJam(sig, shift - 62);
    shift = 62;
  }
  const old = truncate ? withRounding(RC_ZERO) : 0;
  const mag = roundBits(s, sig, shift);
  if (truncate) withRounding(old);
  if (mag > (s != 0 ? <u64>0x80000000 : <u64>0x7fffffff)) return invalidInt();
  if (!lastExact) raiseFp(PE);
  return s != 0 ? <u32>(-(<i64>mag)) : <u32>mag;
}

function invalidInt(): u32 {
  raiseFp(IE);
  return INTEGER_INDEFINITE;
}
