// SSE comparisons: CMPPS/PD/SS/SD's eight predicates, COMISS/UCOMISS
// (EFLAGS), and MIN/MAX with their x86 rule (a NaN or two zeros give the
// second operand, whatever it is). Operands are raw bits, as in softfloat.ts;
// once DAZ and the NaNs are dealt with, wasm's comparisons are exact.

import { F32, IE, raiseFp, isNaN, isSignaling, isZero, source, underDaz } from './softfloat';

@inline function asF64(a: u64, f: u32): f64 {
  return f == F32 ? <f64>reinterpret<f32>(<u32>a) : reinterpret<f64>(a);
}

function signal(a: u64, b: u64, f: u32, onQuiet: bool): void {
  if (onQuiet || isSignaling(a, f) || isSignaling(b, f)) raiseFp(IE);
}

/** CMPccPS/PD/SS/SD: predicate `p` (imm8 bits 0-2) of a (destination) and b (source). */
export function comparePredicate(a: u64, b: u64, f: u32, p: u32): bool {
  const unordered = isNaN(a, f) || isNaN(b, f);
  if (!unordered) { // a NaN operand hides a denormal one: no DE (measured)
    a = source(a, f);
    b = source(b, f);
  }
  const x = asF64(a, f), y = asF64(b, f);
  // LT, LE, NLT and NLE signal invalid on any NaN; the rest only on a signalling one.
  if (unordered) signal(a, b, f, (p & 3) == 1 || (p & 3) == 2);
  switch (p & 7) {
    case 0: return !unordered && x == y;
    case 1: return !unordered && x < y;
    case 2: return !unordered && x <= y;
    case 3: return unordered;
    case 4: return unordered || x != y;
    case 5: return unordered || !(x < y);
    case 6: return unordered || !(x <= y);
    default: return !unordered;
  }
}

/** COMISx (`ordered`: invalid on any NaN) and UCOMISx: ZF PF CF as the SDM gives them. */
export function compareFlags(a: u64, b: u64, f: u32, ordered: bool): u32 {
  if (isNaN(a, f) || isNaN(b, f)) {
    signal(a, b, f, ordered);
    return 0x45; // unordered: ZF PF CF
  }
  a = source(a, f);
  b = source(b, f);
  const x = asF64(a, f), y = asF64(b, f);
  return x == y ? 0x40 : x < y ? 0x01 : 0;
}

/** MINxx (`max` false) and MAXxx. */
export function minMax(a: u64, b: u64, f: u32, max: bool): u64 {
  if (isNaN(a, f) || isNaN(b, f)) {
    raiseFp(IE);
    return underDaz(b, f); // a denormal second operand comes back as zero under DAZ, without DE (measured)
  }
  a = source(a, f);
  b = source(b, f);
  if (isZero(a, f) && isZero(b, f)) return b;
  const x = asF64(a, f), y = asF64(b, f);
  return (max ? x > y : x < y) ? a : b;
}
