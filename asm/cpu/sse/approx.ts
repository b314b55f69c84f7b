// RCPPS, RCPSS, RSQRTPS, RSQRTSS: approximations of 1/x and 1/sqrt(x) on
// binary32 lanes. The SDM (vol. 2, RCPPS) promises only a relative error of
// at most 1.5 * 2^-12, and each CPU model returns its own table's bits: an
// AMD EPYC and a Pentium 4 give different answers, and software can rely on
// nothing more than the bound. So the result here is deterministic (the same
// on every host, from integer rounding of a correctly rounded f64) and
// exactly as good as the contract: the true value rounded to nearest (even)
// at 12 fraction bits, a relative error of at most 2^-13.
//
// The special cases are the SDM's: neither MXCSR.RC nor DAZ/FZ matter, no
// exception flag is raised; a zero or denormal source reads as a zero of its
// sign (RCP: infinity of that sign; RSQRT: -0 and negative denormals give
// -infinity); RCP of an infinity is a zero of its sign and a source of
// magnitude 2^126 or more gives a tiny result, flushed to a zero of its sign
// (the SDM guarantees tiny from 1.00000000000110000000001B * 2^126 up and
// leaves the band below it, down to 1.11111111110100000000000B * 2^125, to
// the implementation: here it starts at 2^126); RSQRT of a negative nonzero
// value or -infinity is the indefinite QNaN, of +infinity +0; a NaN comes
// back quiet.

const SIGN: u32 = 0x80000000;
const INFINITY: u32 = 0x7f800000;
const INDEFINITE: u32 = 0xffc00000;
const QUIET: u32 = 0x00400000;

/** f64 v (positive, normal in binary32 range) rounded to 12 fraction bits, as binary32 bits. */
function round12(v: f64): u32 {
  let bits = reinterpret<u64>(v);
  const drop: u64 = 52 - 12;
  bits += ((<u64>1 << (drop - 1)) - 1) + ((bits >> drop) & 1);
  bits &= ~((<u64>1 << drop) - 1);
  return reinterpret<u32>(<f32>reinterpret<f64>(bits)); // exact: 12 fraction bits, exponent in range
}

/** RCP of one binary32 lane. */
export function reciprocal(a: u32): u32 {
  const sign = a & SIGN;
  const exp = (a >> 23) & 0xff;
  if (exp == 0xff) return (a & 0x7fffff) != 0 ? a | QUIET : sign;
  if (exp == 0) return sign | INFINITY;
  if (exp >= 127 + 126) return sign;
  return sign | round12(1.0 / <f64>reinterpret<f32>(a & ~SIGN));
}

/** RSQRT of one binary32 lane. */
export function reciprocalSqrt(a: u32): u32 {
  const sign = a & SIGN;
  const exp = (a >> 23) & 0xff;
  if (exp == 0xff && (a & 0x7fffff) != 0) return a | QUIET;
  if (exp == 0) return sign | INFINITY;
  if (sign != 0) return INDEFINITE;
  if (exp == 0xff) return 0;
  return round12(1.0 / Math.sqrt(<f64>reinterpret<f32>(a)));
}
