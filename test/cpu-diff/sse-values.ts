// Operand values for the XMM floating-point cases. The data pages (and the
// FXRSTOR image in them) are random words from the case seed, which as
// floats are mostly ordinary normal numbers; one preset word per case puts
// an edge value in one lane of one operand instead: a zero, an infinity, a
// NaN (quiet or signalling), a denormal, the largest and smallest normals,
// integers at the int32 limits, ties of the rounding modes, or the other
// operand's lane changed a little (equal, negated, one ulp away, the same
// exponent, the exponent moved to the edge of alignment), which gives exact
// results, cancellation to zero and values at the rounding boundaries.

import { DATA_ADDR, fillPages } from './case.ts';
import type { Form } from '../../src/isa/table.ts';
import type { Rng } from '../support/rng.ts';

/** What the lanes of a form's operands hold: binary32, binary64 or int32. */
export type LaneKind = 'f32' | 'f64' | 'i32';

const KIND: Record<string, LaneKind> = { PS: 'f32', SS: 'f32', PD: 'f64', SD: 'f64', DQ: 'i32', SI: 'i32', PI: 'i32' };

/** The source lanes' kind of a floating-point form, undefined for the other XMM forms. */
export function laneKind(f: Form): LaneKind | undefined {
  if (!f.note?.startsWith('MXCSR rounding')) return undefined;
  const m = /^CVTT?(\w\w)2/.exec(f.mnemonic.toUpperCase());
  return KIND[m ? m[1] : f.mnemonic.toUpperCase().slice(-2)];
}

/** Whether the form works on lane 0 only (scalar forms, COMIS, CVTSx2SI). */
export function scalar(f: Form): boolean {
  return /S[SD]( |2)|^U?COMIS|2S[SD] /.test(f.id);
}

/** The random word at `addr` in the data pages of a case seeded with `seed`. */
export function filledWord(seed: number, addr: number): number {
  const data = new Uint32Array(((addr - DATA_ADDR) >>> 2) + 1); // the fill up to that word
  fillPages(seed, data, new Uint32Array(0));
  return data[data.length - 1];
}

const bit31 = 0x80000000;

/** An edge binary32 value, or one near `other`. */
export function edgeF32(r: Rng, other: number): number {
  const sign = r.chance(0.5) ? bit31 : 0;
  const exp = (other >>> 23) & 0xff;
  const choices: (() => number)[] = [
    () => sign,
    () => sign | 0x7f800000,
    () => sign | 0x7fc00000 | (r.next() & 0x3fffff), // QNaN
    () => sign | 0x7f800000 | (r.next() & 0x3fffff || 1), // SNaN
    () => sign | (r.next() & 0x7fffff || 1), // denormal
    () => sign | 0x00800000 | (r.below(2) ? r.next() & 0xff : 0), // the smallest normals
    () => sign | (0x7f7fffff - r.below(4)), // the largest
    () => sign | 0x3f800000, // 1.0
    () => sign | r.pick([0x4f000000, 0x4effffff, 0x4f000001]), // 2^31 and its neighbours
    () => sign | r.pick([0x3f000000, 0x3fc00000, 0x40200000, 0x3ec00000, 0x4b000001]), // ties: 0.5 1.5 2.5 0.375, 2^23+1
    () => other, // equal
    () => (other ^ bit31) >>> 0, // negated: a sum cancels to zero
    () => (other + (r.chance(0.5) ? 1 : -1)) >>> 0, // one ulp away
    () => ((other & 0xff800000) | (r.next() & 0x7fffff)) >>> 0, // same exponent
    () => ((other & 0x807fffff) | (Math.max(1, Math.min(254, exp + r.pick([-26, -25, -24, -23, 23, 24, 25]))) << 23)) >>> 0,
    () => (other ^ (r.next() & 0xff)) >>> 0, // the low bits differ
  ];
  return r.pick(choices)() >>> 0;
}

/** The high word of an edge binary64 value, or one near `other` (a high word too); the low word stays random. */
export function edgeF64High(r: Rng, other: number): number {
  const sign = r.chance(0.5) ? bit31 : 0;
  const exp = (other >>> 20) & 0x7ff;
  const choices: (() => number)[] = [
    () => sign | 0x7ff00000, // an SNaN (an infinity when the low word is 0)
    () => sign | 0x7ff80000 | (r.next() & 0x7ffff), // QNaN
    () => sign | (r.next() & 0xfffff), // denormal
    () => sign | 0x00100000, // the smallest normals
    () => sign | 0x7fefffff, // the largest
    () => sign | r.pick([0x3ff00000, 0x3fe00000, 0x3ff80000, 0x36a00000, 0x47e00000]), // near 1, 0.5, 1.5, 2^-149, 2^127
    () => sign | r.pick([0x41e00000, 0x41dfffff, 0x38100000, 0x380fffff]), // 2^31, the float range's ends
    () => other,
    () => (other ^ bit31) >>> 0,
    () => ((other & 0x800fffff) | (Math.max(1, Math.min(2046, exp + r.pick([-55, -54, -53, -52, 29, 53, 54]))) << 20)) >>> 0,
  ];
  return r.pick(choices)() >>> 0;
}

/** An edge int32. */
export function edgeI32(r: Rng): number {
  return r.pick([0x80000000, 0x7fffffff, 0x80000001, 0, 1, 0xffffffff, 0x01000001, 0x00ffffff, r.next() & 0x01ffffff]) >>> 0;
}
