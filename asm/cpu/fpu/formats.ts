// Conversions between the internal f64 and the x87 memory formats.
//
// Loads and stores of f32, f64 and the 80-bit format are done on the bits, so
// NaN payloads and signs survive (wasm's float conversions may change a NaN).

import { signal, SW_IE, SW_DE, SW_PE, SW_OE, SW_UE, SW_C1, cw, sw, setSw } from './stack';

export const QUIET64: u64 = 0x0008000000000000;

@inline export function isNan(x: f64): bool {
  return x != x;
}
export function isSignalingNan(x: f64): bool {
  return x != x && (reinterpret<u64>(x) & QUIET64) == 0;
}
export function quiet(x: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(x) | QUIET64);
}

// Set by fromF32/fromF64 when the load raised an unmasked SW_IE (a signaling
// NaN): FLD then loads nothing. A denormal still loads, even with SW_DE unmasked.
export let loadInvalid: bool = false;

// Whether decodeF32/decodeF64 found a denormal in a memory operand. The arithmetic forms
// take a signaling NaN as it is (the NaN rules tell it from a quiet one) and
// signal a denormal themselves, after the checks that outrank it (SDM vol. 1,
// 8.7: stack underflow first, a NaN operand before a denormal one).
export let loadedDenormal: bool = false;

/** f32 bits -> f64, exact, NaNs keeping their payload and kind. */
export function decodeF32(bits: u32): f64 {
  const exp = (bits >> 23) & 0xff;
  const frac = bits & 0x7fffff;
  loadedDenormal = exp == 0 && frac != 0;
  if (exp == 0xff && frac != 0) return reinterpret<f64>((<u64>(bits >> 31) << 63) | (<u64>0x7ff << 52) | (<u64>frac << 29));
  return <f64>reinterpret<f32>(bits);
}

/** f64 bits -> f64. */
export function decodeF64(bits: u64): f64 {
  const x = reinterpret<f64>(bits);
  loadedDenormal = ((bits >> 52) & 0x7ff) == 0 && (bits & 0xfffffffffffff) != 0;
  return x;
}

/** An integer source: never a denormal. */
export function clearLoaded(): void {
  loadedDenormal = false;
}

// FLD's own signals: SW_IE for a signaling NaN, which loads quieted, SW_DE for a denormal.
function loaded(v: f64): f64 {
  loadInvalid = false;
  if (isSignalingNan(v)) {
    loadInvalid = signal(SW_IE);
    return quiet(v);
  }
  if (loadedDenormal) signal(SW_DE);
  return v;
}

/** f32 bits -> f64 for FLD, signaling as it loads. */
export function fromF32(bits: u32): f64 {
  return loaded(decodeF32(bits));
}

/** f64 bits -> f64 for FLD, signaling as it loads. */
export function fromF64(bits: u64): f64 {
  return loaded(decodeF64(bits));
}

/**
 * Rounds to f32 and returns its bits, raising SW_IE for a signaling NaN and
 * SW_OE/UE/PE as the narrowing demands. Rounding is to nearest (see README).
 */
// Set by toF32/toF64 when an unmasked exception forbids the store.
export let narrowBlocked: bool = false;

export function toF32(x: f64): u32 {
  narrowBlocked = false;
  if (isNan(x)) {
    if (isSignalingNan(x)) narrowBlocked = signal(SW_IE);
    const b = reinterpret<u64>(x);
    return (<u32>(b >> 63) << 31) | 0x7fc00000 | (<u32>(b >> 29) & 0x3fffff);
  }
  const f = <f32>x;
  const tiny = f != 0 ? Math.abs(<f64>f) < 1.1754943508222875e-38 : x != 0;
  if (tiny && (cw() & SW_UE) == 0) {
    // Unmasked underflow is reported for any tiny result, exact or not.
    narrowBlocked = signal(SW_UE);
    return 0;
  }
  if (<f64>f != x) {
    let flags = SW_PE;
    if (isFinite(x) && !isFinite(f)) flags |= SW_OE;
    else if (tiny) flags |= SW_UE;
    narrowBlocked = signal(flags) && (flags & ~cw() & SW_OE) != 0;
  }
  return reinterpret<u32>(f);
}

/** The bits of x for an m64 store, SW_IE for a signaling NaN (stored quieted). */
export function toF64(x: f64): u64 {
  narrowBlocked = false;
  if (isSignalingNan(x)) {
    narrowBlocked = signal(SW_IE);
    return reinterpret<u64>(quiet(x));
  }
  // Subnormal doubles are normal in the registers: storing one underflows.
  if (x != 0 && Math.abs(x) < 2.2250738585072014e-308 && (cw() & SW_UE) == 0) narrowBlocked = signal(SW_UE);
  return reinterpret<u64>(x);
}

/** 80-bit extended (64-bit significand, 16-bit sign+exponent) -> f64, rounded to nearest. */
export function fromF80(mant: u64, se: u32): f64 {
  const sign: u64 = <u64>((se >> 15) & 1) << 63;
  const exp = <i32>(se & 0x7fff);
  if (exp == 0x7fff) {
    if ((mant << 1) == 0) return reinterpret<f64>(sign | 0x7ff0000000000000);
    let frac = (mant >> 11) & 0xfffffffffffff;
    if (frac == 0) frac = QUIET64; // payload only in the low bits: keep it a NaN
    return reinterpret<f64>(sign | 0x7ff0000000000000 | frac);
  }
  // Unnormals (integer bit clear, exponent non-zero) are invalid operands on a
  // 387 and later: they load as the indefinite NaN.
  if (exp != 0 && (mant >> 63) == 0) return reinterpret<f64>(0xfff8000000000000);
  if (mant == 0) return reinterpret<f64>(sign);
  // Denormals (exp 0) use the minimum exponent 1 - 16383 with the integer bit clear.
  const e = (exp == 0 ? 1 : exp) - 16383 - 63;
  const mag = scaled(<f64>mant, e, mant);
  return sign != 0 ? -mag : mag;
}

// mant * 2^e rounded once to nearest, also where the result is an f64 subnormal.
function scaled(approx: f64, e: i32, mant: u64): f64 {
  // Exponent of the top bit of mant in the result.
  const topExp = e + 63 - <i32>clz<u64>(mant);
  if (topExp >= -1022) {
    // approx is mant rounded to 53 bits; scaling by a power of two is exact unless it overflows.
    return NativeMath.scalbn(approx, e);
  }
  // Subnormal result: keep only the bits above 2^-1074, rounding to nearest even by hand.
  const shift = -1074 - e; // bits of mant below the subnormal unit
  if (shift >= 64) return shift == 64 && mant > 0x8000000000000000 ? 4.9406564584124654e-324 : 0.0;
  let q = mant >> <u64>shift;
  const rem = mant - (q << <u64>shift);
  const half: u64 = <u64>1 << <u64>(shift - 1);
  if (rem > half || (rem == half && (q & 1) != 0)) q++;
  return reinterpret<f64>(q); // q <= 2^52, so this is the subnormal (or the smallest normal)
}

// Out-parameters of toF80 (no allocation on the hot path).
export let f80Mant: u64 = 0;
export let f80Se: u32 = 0;

/** f64 -> 80-bit extended, exact. */
export function toF80(x: f64): void {
  const b = reinterpret<u64>(x);
  const sign = <u32>(b >> 63) << 15;
  const exp = <u32>(b >> 52) & 0x7ff;
  const frac = b & 0xfffffffffffff;
  if (exp == 0x7ff) {
    f80Se = sign | 0x7fff;
    f80Mant = 0x8000000000000000 | (frac << 11);
  } else if (exp == 0) {
    if (frac == 0) {
      f80Se = sign;
      f80Mant = 0;
    } else {
      const lz = <u32>clz<u64>(frac);
      f80Mant = frac << lz;
      f80Se = sign | <u32>(63 - <i32>lz - 1074 + 16383);
    }
  } else {
    f80Se = sign | (exp - 1023 + 16383);
    f80Mant = 0x8000000000000000 | (frac << 11);
  }
}

/** SW_PE when rounding changed x, and SW_C1 when it went away from zero. */
export function roundedInexact(r: f64, x: f64): void {
  if (r == x) return;
  signal(SW_PE);
  if (Math.abs(r) > Math.abs(x)) setSw(sw() | SW_C1);
}

/** Rounds to an integer under the control word's rounding mode. */
export function roundRc(x: f64): f64 {
  switch ((cw() >> 10) & 3) {
    case 0: return nearest<f64>(x);
    case 1: return floor<f64>(x);
    case 2: return ceil<f64>(x);
    default: return trunc<f64>(x);
  }
}

// Set by toInt when x was NaN or out of range: the caller raises SW_IE and stores the integer indefinite.
export let intInvalid: bool = false;

/** Rounds x to an integer in [lo, hiExclusive) under RC; SW_PE when inexact. */
export function toInt(x: f64, lo: f64, hiExclusive: f64, chop: bool = false): i64 {
  intInvalid = false;
  if (isNan(x)) {
    intInvalid = true;
    return 0;
  }
  const r = chop ? Math.trunc(x) : roundRc(x); // chop: FISTTP, whatever RC says
  if (r < lo || r >= hiExclusive) {
    intInvalid = true;
    return 0;
  }
  roundedInexact(r, x);
  return <i64>r;
}

/** Packed BCD (18 digits, sign in bit 79) -> f64. Invalid digits load as garbage, as on hardware. */
export function fromBcd(lo: u64, hi: u32): f64 {
  let v: f64 = <f64>(((hi >> 4) & 0xf) * 10 + (hi & 0xf));
  for (let i = 7; i >= 0; i--) {
    const byte = <u32>(lo >> (<u64>i << 3)) & 0xff;
    v = v * 100 + <f64>((byte >> 4) * 10 + (byte & 0xf));
  }
  return (hi & 0x8000) != 0 ? -v : v;
}

// Out-parameters of toBcd.
export let bcdLo: u64 = 0;
export let bcdHi: u32 = 0;

/** f64 -> packed BCD under the rounding mode; false when out of range (SW_IE). */
export function toBcd(x: f64): bool {
  const r = toInt(x, -999999999999999872.0, 1e18);
  if (intInvalid) return false;
  let m: u64 = <u64>(r < 0 ? -r : r);
  bcdLo = 0;
  for (let i: u64 = 0; i < 16; i++) {
    bcdLo |= (m % 10) << (i << 2);
    m /= 10;
  }
  bcdHi = <u32>(m % 10) | (<u32>((m / 10) % 10) << 4);
  if (x < 0 || (x == 0 && (reinterpret<u64>(x) >> 63) != 0)) bcdHi |= 0x8000;
  return true;
}
