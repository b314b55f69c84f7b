// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 on f64, through
// the standard library's correctly-rounded-or-nearly functions. Hardware
// computes with a 64-bit significand and a 66-bit pi, so results can differ
// in the last bits (README.md lists the tolerance the differential test uses).

import { signal, SW_IE, SW_ZE, SW_PE, INDEFINITE } from './stack';
import { isNan, isSignalingNan, quiet } from './formats';

// Set when an unmasked exception leaves the destination alone.
export let blockedT: bool = false;
// Trig operands at or above 2^63 in magnitude are out of range: C2 set, ST0 unchanged.
export const TRIG_LIMIT: f64 = 9223372036854775808.0;

function nan1(x: f64): f64 {
  if (isSignalingNan(x)) blockedT = signal(SW_IE);
  return quiet(x);
}
function invalid(): f64 {
  blockedT = signal(SW_IE);
  return INDEFINITE;
}

/** 0 sin, 1 cos, 2 tan. The caller checked the range. */
export function trig(kind: u32, x: f64): f64 {
  blockedT = false;
  if (isNan(x)) return nan1(x);
  if (!isFinite(x)) return invalid();
  if (x != 0) signal(SW_PE);
  if (kind == 0) return Math.sin(x);
  if (kind == 1) return Math.cos(x);
  return Math.tan(x);
}

export function atan2(y: f64, x: f64): f64 {
  blockedT = false;
  if (isNan(y) || isNan(x)) {
    if (isSignalingNan(y) || isSignalingNan(x)) blockedT = signal(SW_IE);
    return quiet(isNan(x) ? x : y);
  }
  signal(SW_PE);
  return Math.atan2(y, x);
}

export function f2xm1(x: f64): f64 {
  blockedT = false;
  if (isNan(x)) return nan1(x);
  if (x != 0) signal(SW_PE);
  return Math.expm1(x * Math.LN2);
}

/** y * log2(x); `plusOne` computes y * log2(x + 1). */
export function ylog2(y: f64, x: f64, plusOne: bool): f64 {
  blockedT = false;
  if (isNan(y) || isNan(x)) {
    if (isSignalingNan(y) || isSignalingNan(x)) blockedT = signal(SW_IE);
    return quiet(isNan(x) ? x : y);
  }
  const arg = plusOne ? x + 1 : x;
  if (arg < 0 || (arg == 0 && y == 0) || (arg == 1 && !isFinite(y)) || (!isFinite(arg) && y == 0)) return invalid();
  if (arg == 0 && !plusOne) {
    blockedT = signal(SW_ZE);
    return y > 0 ? -Infinity : Infinity;
  }
  const l = plusOne ? Math.log1p(x) / Math.LN2 : Math.log2(x);
  if (l != 0 || !isFinite(y)) signal(SW_PE);
  const r = y * l;
  return isNan(r) ? invalid() : r;
}
