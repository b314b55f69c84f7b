// x87 arithmetic on f64 values: the four operations, compares, and the
// one-operand functions of the D9 E0-FF row. NaN operands follow the x87
// rules explicitly, since wasm's own NaN results are not specified bit for bit.

import {
  signal, sw, setSw, SW_IE, SW_ZE, SW_OE, SW_PE, SW_C0, SW_C1, SW_C2, SW_C3, INDEFINITE,
} from './stack';
import { isNan, isSignalingNan, quiet, roundRc, roundedInexact } from './formats';

export const OP_ADD: u32 = 0;
export const OP_MUL: u32 = 1;
export const OP_SUB: u32 = 4;
export const OP_SUBR: u32 = 5;
export const OP_DIV: u32 = 6;
export const OP_DIVR: u32 = 7;

// Set when the last operation hit an unmasked exception: the destination stays as it was.
export let blocked: bool = false;

/** The x87 result of an operation with at least one NaN operand. */
function nanResult(a: f64, b: f64): f64 {
  const sa = isSignalingNan(a), sb = isSignalingNan(b);
  if (sa || sb) blocked = signal(SW_IE);
  if (!isNan(a)) return quiet(b);
  if (!isNan(b)) return quiet(a);
  // A quiet NaN beats a signaling one; between two of a kind the larger
  // significand wins, ties to the positive one (SDM vol. 1, table 4-7).
  if (sa != sb) return sa ? b : a;
  const ma = reinterpret<u64>(a) & 0xfffffffffffff;
  const mb = reinterpret<u64>(b) & 0xfffffffffffff;
  if (ma != mb) return quiet(ma > mb ? a : b);
  return quiet((reinterpret<u64>(a) >> 63) == 0 ? a : b);
}

// A non-NaN result that is NaN means an invalid operation; infinity from finite operands an overflow.
function finish(r: f64, a: f64, b: f64): f64 {
  if (isNan(r)) {
    blocked = signal(SW_IE);
    return INDEFINITE;
  }
  if (!isFinite(r) && isFinite(a) && isFinite(b)) blocked = signal(SW_OE | SW_PE);
  return r;
}

// Precision: `err` is the exact result minus the rounded result r (error-free
// transformations below). Non-zero means SW_PE, and SW_C1 says whether r was
// rounded away from zero.
function inexact(r: f64, err: f64): void {
  if (err == 0 || !isFinite(r) || !isFinite(err)) return;
  signal(SW_PE);
  if (r > 0 ? err < 0 : err > 0) setSw(sw() | SW_C1);
}

// Dekker's split: hi + lo == x with hi holding the top 26 bits.
const SPLITTER: f64 = 134217729.0; // 2^27 + 1
let productErr: f64 = 0;

/** a * b rounded, with the exact error in productErr (no overflow or underflow assumed). */
function twoProduct(a: f64, b: f64): f64 {
  const p = a * b;
  const ta = SPLITTER * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLITTER * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  productErr = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return p;
}

function sumError(s: f64, a: f64, b: f64): f64 {
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

// The residual n - q*d, exactly: its sign tells the direction q was rounded.
function quotientError(q: f64, n: f64, d: f64): f64 {
  const p = twoProduct(q, d);
  const rem = (n - p) - productErr;
  if (rem == 0) return 0;
  return (rem > 0) == (d > 0) ? 1 : -1; // only the sign of rem / d matters
}

export function arith(op: u32, a: f64, b: f64): f64 {
  blocked = false;
  if (isNan(a) || isNan(b)) return nanResult(a, b);
  switch (op) {
    case OP_ADD: return sum(a, b);
    case OP_MUL: {
      const p = twoProduct(a, b);
      inexact(p, productErr);
      return finish(p, a, b);
    }
    case OP_SUB: return sum(a, -b);
    case OP_SUBR: return sum(b, -a);
    case OP_DIV: return divide(a, b);
    default: return divide(b, a);
  }
}

function sum(a: f64, b: f64): f64 {
  const s = a + b;
  inexact(s, sumError(s, a, b));
  return finish(s, a, b);
}

function divide(n: f64, d: f64): f64 {
  if (d == 0 && n != 0 && isFinite(n)) {
    blocked = signal(SW_ZE);
    return n / d;
  }
  const q = n / d;
  if (isFinite(q) && q != 0 && isFinite(d)) inexact(q, quotientError(q, n, d));
  return finish(q, n, d);
}

/**
 * Compares a with b into SW_C0/C2/C3 (or returns the same code for FCOMI as
 * ZF/PF/CF bits). Unordered raises SW_IE, for any NaN unless `quietNans`.
 */
export const UNORDERED: u32 = SW_C0 | SW_C2 | SW_C3;
// Set when the last compare raised an unmasked invalid operation.
export let compareBlocked: bool = false;

export function compare(a: f64, b: f64, quietNans: bool): u32 {
  compareBlocked = false;
  if (isNan(a) || isNan(b)) {
    if (!quietNans || isSignalingNan(a) || isSignalingNan(b)) compareBlocked = signal(SW_IE);
    return UNORDERED;
  }
  if (a < b) return SW_C0;
  if (a > b) return 0;
  return SW_C3;
}

/** SW_C0/C2/C3 of a compare as EFLAGS CF/PF/ZF. */
export function ccToEflags(cc: u32): u32 {
  return ((cc & SW_C0) != 0 ? 1 : 0) | ((cc & SW_C2) != 0 ? 4 : 0) | ((cc & SW_C3) != 0 ? 0x40 : 0);
}

/** FXAM's class code for a value (not for an empty register). */
export function fxamClass(x: f64): u32 {
  const sign = (reinterpret<u64>(x) >> 63) != 0 ? SW_C1 : 0;
  if (isNan(x)) return sign | SW_C0;
  if (!isFinite(x)) return sign | SW_C0 | SW_C2;
  if (x == 0) return sign | SW_C3;
  // f64 subnormals are normal numbers in the 80-bit format.
  return sign | SW_C2;
}

export function sqrt(x: f64): f64 {
  blocked = false;
  if (isNan(x)) return nanResult(x, x);
  if (x < 0) {
    blocked = signal(SW_IE);
    return INDEFINITE;
  }
  const r = Math.sqrt(x);
  if (isFinite(r) && r != 0) {
    const p = twoProduct(r, r);
    inexact(r, ((x - p) - productErr) / (2 * r));
  }
  return r;
}

export function rndint(x: f64): f64 {
  blocked = false;
  if (isNan(x)) return nanResult(x, x);
  const r = roundRc(x);
  roundedInexact(r, x);
  return r;
}

/** ST0 * 2^trunc(ST1). */
export function scale(x: f64, s: f64): f64 {
  blocked = false;
  if (isNan(x) || isNan(s)) return nanResult(x, s);
  if (!isFinite(s)) {
    if ((s > 0 && x == 0) || (s < 0 && !isFinite(x))) {
      blocked = signal(SW_IE);
      return INDEFINITE;
    }
    return s > 0 ? x * Infinity : (x == 0 ? x : x * 0);
  }
  let n = trunc<f64>(s);
  if (n > 4096) n = 4096;
  if (n < -4096) n = -4096;
  return finish(NativeMath.scalbn(x, <i32>n), x, 0);
}

// Second result of FXTRACT (the significand); its first is the return value.
export let significand: f64 = 0;

/** FXTRACT: returns the unbiased exponent, leaves the significand in `significand`. */
export function extract(x: f64): f64 {
  blocked = false;
  if (isNan(x)) {
    significand = nanResult(x, x);
    return significand;
  }
  if (x == 0) {
    blocked = signal(SW_ZE);
    significand = x;
    return -Infinity;
  }
  if (!isFinite(x)) {
    significand = x;
    return Infinity;
  }
  const b = reinterpret<u64>(x);
  let e = <i32>((b >> 52) & 0x7ff);
  let m = x;
  if (e == 0) {
    m = x * 18014398509481984.0; // 2^54 makes a subnormal normal
    e = <i32>((reinterpret<u64>(m) >> 52) & 0x7ff) - 54;
  }
  significand = reinterpret<f64>((reinterpret<u64>(m) & 0x800fffffffffffff) | 0x3ff0000000000000);
  return <f64>(e - 1023);
}

/**
 * FPREM (ieee false: truncated quotient) and FPREM1 (ieee true: nearest).
 * Sets SW_C0/C3/C1 to the quotient's low bits and SW_C2 when the reduction is partial.
 */
export function partialRemainder(x: f64, y: f64, ieee: bool): f64 {
  blocked = false;
  if (isNan(x) || isNan(y)) return nanResult(x, y);
  if (!isFinite(x) || y == 0) {
    blocked = signal(SW_IE);
    return INDEFINITE;
  }
  setSw(sw() & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3));
  if (x == 0 || !isFinite(y)) return x;
  const d = exponentOf(x) - exponentOf(y);
  if (d >= 64) {
    // Partial reduction: subtract a multiple of y * 2^(d - 32), as the SDM
    // allows (any N from 32 to 63); the guest loops until SW_C2 clears.
    const ys = NativeMath.scalbn(Math.abs(y), d - 32);
    setSw(sw() | SW_C2);
    return NativeMath.mod(x, ys);
  }
  let r = NativeMath.mod(x, y);
  // The quotient's low three bits: r8 = r + (q mod 8) * |y|.
  const y8 = Math.abs(y) * 8;
  let q: u32 = isFinite(y8) ? <u32>nearest<f64>(Math.abs(NativeMath.mod(x, y8) - r) / Math.abs(y)) & 7 : 0;
  if (ieee) {
    const ay = Math.abs(y);
    const ar = Math.abs(r);
    if (ar * 2 > ay || (ar * 2 == ay && (q & 1) != 0)) {
      r = r > 0 ? r - ay : r + ay;
      q = (q + 1) & 7;
    }
  }
  if (r == 0) r = x < 0 ? -0.0 : 0.0;
  setSw(sw() | ((q & 4) != 0 ? SW_C0 : 0) | ((q & 2) != 0 ? SW_C3 : 0) | ((q & 1) != 0 ? SW_C1 : 0));
  return r;
}

function exponentOf(x: f64): i32 {
  const e = <i32>((reinterpret<u64>(x) >> 52) & 0x7ff);
  if (e != 0) return e - 1023;
  return -1022 - (<i32>clz<u64>(reinterpret<u64>(x) & 0xfffffffffffff) - 12);
}
