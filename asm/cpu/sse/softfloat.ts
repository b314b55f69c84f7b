// IEEE 754 binary32/binary64 arithmetic as an SSE unit does it (SDM vol. 1,
// 4.8 and 11.5): the four rounding modes of MXCSR.RC, DAZ (denormal
// sources read as zero) and FZ (tiny results flushed to zero when underflow
// is masked), and the six exception flags. WebAssembly rounds to nearest
// and keeps no flags, so the arithmetic is done here on integer
// significands; only the square root starts from wasm's (correctly rounded)
// one and fixes it up.
//
// Values travel as raw bits in a u64 (binary32 in the low half). Finite
// nonzero operands are unpacked to a significand with its leading one at
// bit 62 and an unbiased exponent: value = sig * 2^(exp - 62).
//
// x86 rules beyond IEEE: a NaN result is the first operand if it is a NaN,
// else the second, made quiet; an invalid operation without a NaN operand
// gives the "indefinite" QNaN (sign set, top fraction bit only);
// underflow is detected after rounding.

export const IE: u32 = 1;
export const DE: u32 = 2;
export const ZE: u32 = 4;
export const OE: u32 = 8;
export const UE: u32 = 16;
export const PE: u32 = 32;

export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

// The environment of the instruction being executed, set by `beginFp`.
let rc: u32 = RC_NEAREST;
let daz: bool = false;
let ftz: bool = false;
let underflowMasked: bool = true;
/** The exception flags raised so far by the current instruction. */
export let fpFlags: u32 = 0;

/** Starts an instruction under MXCSR value `csr`. */
export function beginFp(csr: u32): void {
  rc = (csr >> 13) & 3;
  daz = (csr & 0x40) != 0;
  ftz = (csr & 0x8000) != 0;
  underflowMasked = (csr & 0x800) != 0;
  fpFlags = 0;
}

/** Adds exception flags (the comparisons and integer conversions raise theirs here). */
export function raiseFp(flags: u32): void {
  fpFlags |= flags;
}

/** Whether DAZ is on for the current instruction. */
export function dazOn(): bool {
  return daz;
}

/** Forces a rounding mode (the truncating conversions). */
export function withRounding(mode: u32): u32 {
  const old = rc;
  rc = mode;
  return old;
}

// Formats: 0 binary32, 1 binary64.
export const F32: u32 = 0;
export const F64: u32 = 1;
@inline export function fracBits(f: u32): u32 {
  return f == F32 ? 23 : 52;
}
@inline export function expMax(f: u32): i32 {
  return f == F32 ? 0xff : 0x7ff;
}
@inline export function bias(f: u32): i32 {
  return f == F32 ? 127 : 1023;
}
@inline export function signOf(a: u64, f: u32): u32 {
  return <u32>(a >> (f == F32 ? 31 : 63)) & 1;
}
@inline export function signBit(s: u32, f: u32): u64 {
  return <u64>s << (f == F32 ? 31 : 63);
}
@inline export function expField(a: u64, f: u32): i32 {
  return <i32>(a >> fracBits(f)) & expMax(f);
}
@inline export function frac(a: u64, f: u32): u64 {
  return a & ((<u64>1 << fracBits(f)) - 1);
}
export function infinity(s: u32, f: u32): u64 {
  return signBit(s, f) | (<u64>expMax(f) << fracBits(f));
}
/** The x86 QNaN "indefinite". */
export function indefinite(f: u32): u64 {
  return f == F32 ? 0xffc00000 : 0xfff8000000000000;
}

export function isNaN(a: u64, f: u32): bool {
  return expField(a, f) == expMax(f) && frac(a, f) != 0;
}
export function isSignaling(a: u64, f: u32): bool {
  return isNaN(a, f) && (a & (<u64>1 << (fracBits(f) - 1))) == 0;
}
export function quiet(a: u64, f: u32): u64 {
  return a | (<u64>1 << (fracBits(f) - 1));
}
export function isInf(a: u64, f: u32): bool {
  return expField(a, f) == expMax(f) && frac(a, f) == 0;
}

/** The operand as the unit reads it: a denormal is zero under DAZ, else it raises DE. */
export function source(a: u64, f: u32): u64 {
  if (expField(a, f) != 0 || frac(a, f) == 0) return a;
  if (daz) return signBit(signOf(a, f), f);
  fpFlags |= DE;
  return a;
}

/** The operand with DAZ applied, raising nothing. */
export function underDaz(a: u64, f: u32): u64 {
  return daz && expField(a, f) == 0 ? signBit(signOf(a, f), f) : a;
}

/** Whether the (sourced) operand is zero. */
export function isZero(a: u64, f: u32): bool {
  return (a & ~signBit(1, f)) == 0;
}

/** NaN propagation for two operands (at least one a NaN): IE for a signalling one. */
function nanOf(a: u64, b: u64, f: u32): u64 {
  if (isSignaling(a, f) || isSignaling(b, f)) fpFlags |= IE;
  return isNaN(a, f) ? quiet(a, f) : quiet(b, f);
}

function invalid(f: u32): u64 {
  fpFlags |= IE;
  return indefinite(f);
}

// Unpacked finite nonzero operand (set by unpack; two slots for the two operands).
export let sigA: u64 = 0;
export let expA: i32 = 0;
let sigB: u64 = 0;
let expB: i32 = 0;

export function unpackA(a: u64, f: u32): void {
  const e = expField(a, f);
  const fb = fracBits(f);
  let s = frac(a, f);
  if (e != 0) s |= <u64>1 << fb;
  s <<= <u64>(62 - fb);
  const shift = <i32>clz(s) - 1; // a denormal's leading one is lower
  sigA = s << <u64>shift;
  expA = (e == 0 ? 1 : e) - bias(f) - shift;
}
function unpackB(b: u64, f: u32): void {
  const s = sigA, e = expA;
  unpackA(b, f);
  sigB = sigA;
  expB = expA;
  sigA = s;
  expA = e;
}

/** Shifts right by n, folding every bit shifted out into bit 0. */
export function shiftRightJam(v: u64, n: i32): u64 {
  if (n <= 0) return v;
  if (n >= 64) return <u64>(v != 0);
  return (v >> <u64>n) | <u64>((v << <u64>(64 - n)) != 0);
}

/**
 * Rounds sign * sig * 2^(exp - 62) (sig's leading one at bit 62, or 0 < sig
 * below it with a correspondingly smaller value) to format `f` under the
 * current mode, with OE, UE, PE and the FZ flush.
 */
export function roundPack(sign: u32, exp: i32, sig: u64, f: u32): u64 {
  const fb = fracBits(f);
  if (sig >> 63 != 0) { // a product may come in one bit above
    sig = shiftRightJam(sig, 1);
    exp++;
  }
  const norm = <i32>clz(sig) - 1; // a difference or a quotient may come in below bit 62
  sig <<= <u64>norm;
  exp -= norm;
  const be = exp + bias(f); // biased exponent if normal
  const baseShift = 62 - <i32>fb;
  // Tininess after rounding: tiny unless rounding to full precision reaches 2^emin.
  let tiny = be < 1;
  if (be == 0) {
    const r = roundBits(sign, sig, baseShift);
    if (r >> <u64>(fb + 1) != 0) tiny = false;
  }
  if (tiny && ftz && underflowMasked) {
    fpFlags |= UE | PE;
    return signBit(sign, f);
  }
  let shift = tiny ? baseShift + (1 - be) : baseShift;
  if (shift > 62) {
    sig = shiftRightJam(sig, shift - 62); // keeps the shifts below defined
    shift = 62;
  }
  const q = roundBits(sign, sig, shift);
  const exact = lastExact;
  if (!exact) fpFlags |= PE;
  if (tiny && (!exact || !underflowMasked)) fpFlags |= UE;
  if (tiny) return signBit(sign, f) | q; // a carry into bit fb makes the smallest normal
  const bits = (<u64><i64>(be - 1) << fb) + q; // be 0 rounded up to 2^emin: the carry makes exponent 1
  if (<i32>(bits >> fb) >= expMax(f)) return overflow(sign, f);
  return signBit(sign, f) | bits;
}

export let lastExact: bool = true;

/** sig >> shift rounded by the current mode for a value of sign `sign`; lastExact says whether it was. */
export function roundBits(sign: u32, sig: u64, shift: i32): u64 {
  const q = sig >> <u64>shift;
  const rem = sig & ((<u64>1 << <u64>shift) - 1);
  const half = <u64>1 << <u64>(shift - 1);
  lastExact = rem == 0;
  let up = false;
  if (rc == RC_NEAREST) up = rem > half || (rem == half && (q & 1) != 0);
  else if (rc == RC_UP) up = rem != 0 && sign == 0;
  else if (rc == RC_DOWN) up = rem != 0 && sign != 0;
  return up ? q + 1 : q;
}

function overflow(sign: u32, f: u32): u64 {
  fpFlags |= OE | PE;
  const toInf = rc == RC_NEAREST || (rc == RC_UP && sign == 0) || (rc == RC_DOWN && sign != 0);
  return toInf ? infinity(sign, f) : infinity(sign, f) - 1;
}

/** a + b, or a - b with `subtract`. */
export function add(a: u64, b: u64, f: u32, subtract: bool): u64 {
  if (isNaN(a, f) || isNaN(b, f)) return nanOf(a, b, f); // before DE: a NaN operand hides a denormal one (measured)
  a = source(a, f);
  b = source(b, f);
  const sa = signOf(a, f);
  const sb = signOf(b, f) ^ <u32>subtract;
  if (isInf(a, f)) return isInf(b, f) && sa != sb ? invalid(f) : a;
  if (isInf(b, f)) return infinity(sb, f);
  if (isZero(b, f)) {
    if (!isZero(a, f)) return roundA(a, f);
    return signBit(sa == sb ? sa : <u32>(rc == RC_DOWN), f);
  }
  if (isZero(a, f)) return roundA(b ^ signBit(<u32>subtract, f), f);
  unpackA(a, f);
  unpackB(b, f);
  // The larger magnitude first.
  let s1 = sa, s2 = sb;
  let m1 = sigA, m2 = sigB, e1 = expA, e2 = expB;
  if (expB > expA || (expB == expA && sigB > sigA)) {
    s1 = sb; s2 = sa; m1 = sigB; m2 = sigA; e1 = expB; e2 = expA;
  }
  m2 = shiftRightJam(m2, e1 - e2);
  if (s1 == s2) {
    let sum = m1 + m2; // below 2^64
    if (sum >> 63 != 0) {
      sum = shiftRightJam(sum, 1);
      e1++;
    }
    return roundPack(s1, e1, sum, f);
  }
  const diff = m1 - m2;
  if (diff == 0) return signBit(<u32>(rc == RC_DOWN), f);
  return roundPack(s1, e1, diff, f);
}

/** A finite nonzero operand passed through as a result (x + 0): FZ still applies to a denormal. */
function roundA(a: u64, f: u32): u64 {
  unpackA(a, f);
  return roundPack(signOf(a, f), expA, sigA, f);
}

export function mul(a: u64, b: u64, f: u32): u64 {
  if (isNaN(a, f) || isNaN(b, f)) return nanOf(a, b, f); // before DE: a NaN operand hides a denormal one (measured)
  a = source(a, f);
  b = source(b, f);
  const s = signOf(a, f) ^ signOf(b, f);
  if (isInf(a, f) || isInf(b, f)) return isZero(a, f) || isZero(b, f) ? invalid(f) : infinity(s, f);
  if (isZero(a, f) || isZero(b, f)) return signBit(s, f);
  unpackA(a, f);
  unpackB(b, f);
  // The 126-bit product of two 63-bit significands, in 32-bit pieces.
  const a0 = sigA & 0xffffffff, a1 = sigA >> 32, b0 = sigB & 0xffffffff, b1 = sigB >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  const lo = (mid << 32) | (p00 & 0xffffffff);
  const hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  // product = hi:lo in [2^124, 2^126): keep the bits from 62 up, the rest as a sticky bit.
  const sig = (hi << 2) | (lo >> 62);
  return roundPack(s, expA + expB, sig | <u64>((lo << 2) != 0), f);
}

export function div(a: u64, b: u64, f: u32): u64 {
  if (isNaN(a, f) || isNaN(b, f)) return nanOf(a, b, f); // before DE: a NaN operand hides a denormal one (measured)
  a = source(a, f);
  b = source(b, f);
  const s = signOf(a, f) ^ signOf(b, f);
  if (isInf(a, f)) return isInf(b, f) ? invalid(f) : infinity(s, f);
  if (isInf(b, f)) return signBit(s, f);
  if (isZero(b, f)) {
    if (isZero(a, f)) return invalid(f);
    fpFlags |= ZE;
    return infinity(s, f);
  }
  if (isZero(a, f)) return signBit(s, f);
  unpackA(a, f);
  unpackB(b, f);
  // Restoring division: 63 quotient bits with the leading one at bit 62, the remainder as sticky.
  let r = sigA;
  let e = expA - expB;
  if (r < sigB) {
    r <<= 1;
    e--;
  }
  let q: u64 = 0;
  for (let i: i32 = 62; i >= 0; i--) {
    if (r >= sigB) {
      r -= sigB;
      q |= <u64>1 << <u64>i;
    }
    r <<= 1;
  }
  return roundPack(s, e, q | <u64>(r != 0), f);
}

export function sqrt(a: u64, f: u32): u64 {
  // A negative denormal is invalid without being a denormal operand (measured).
  if (!daz && signOf(a, f) != 0 && !isNaN(a, f) && !isZero(a, f)) return invalid(f);
  a = source(a, f);
  if (isNaN(a, f)) return nanOf(a, a, f);
  if (isZero(a, f)) return a;
  if (signOf(a, f) != 0) return invalid(f);
  if (isInf(a, f)) return a;
  // wasm's root is correctly rounded to nearest (and never tiny, never inexact by overflow).
  let r: u64 = f == F32
    ? <u64>reinterpret<u32>(Mathf.sqrt(reinterpret<f32>(<u32>a)))
    : reinterpret<u64>(Math.sqrt(reinterpret<f64>(a)));
  // Compare r*r with a exactly: r = sigR * 2^(eR-62), so r^2 = sigR^2 * 2^(2eR-124).
  unpackA(a, f);
  const sa = sigA, ea = expA;
  unpackB(r, f);
  const cmp = compareSquare(sigB, expB, sa, ea);
  if (cmp != 0) {
    fpFlags |= PE;
    if (cmp > 0 && (rc == RC_DOWN || rc == RC_ZERO)) r--; // r above the root
    else if (cmp < 0 && rc == RC_UP) r++;
  }
  return r;
}

/** The sign of sigR^2 * 2^(2eR-124) - sigA * 2^(eA-62), both significands with the leading one at bit 62. */
function compareSquare(sigR: u64, eR: i32, sa: u64, ea: i32): i32 {
  // sigR has at most 53 significant bits (62..10): r = m * 2^10 with m < 2^53.
  const m = sigR >> 10;
  const m0 = m & 0xffffffff, m1 = m >> 32;
  const p00 = m0 * m0, p01 = m0 * m1, p11 = m1 * m1;
  const mid = (p00 >> 32) + ((p01 & 0xffffffff) << 1);
  const lo = (mid << 32) | (p00 & 0xffffffff);
  const hi = p11 + ((p01 >> 32) << 1) + (mid >> 32);
  // r^2 = m^2 * 2^(2eR - 104); a = (sa >> 10) * 2^(ea - 52) with sa >> 10 exact (at most 53 bits as well).
  // Compare m^2 with n * 2^t, t = ea - 52 - 2eR + 104.
  const n = sa >> 10;
  const t = ea - 2 * eR + 52;
  if (t < 0 || t > 63) return t < 0 ? 1 : -1; // cannot happen for a rounded root; keeps the shifts defined
  const nh = t == 0 ? 0 : n >> <u64>(64 - t);
  const nl = n << <u64>t;
  if (hi != nh) return hi > nh ? 1 : -1;
  if (lo != nl) return lo > nl ? 1 : -1;
  return 0;
}
