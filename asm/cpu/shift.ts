// Shifts and rotates (group 2: ROL ROR RCL RCR SHL SHR SAL SAR) and SHLD/SHRD.
//
// The count is masked to 5 bits; a masked count of 0 changes nothing, flags
// included. OF is defined only for a count of 1 and AF never; for larger
// counts we compute OF with the count-1 formula, which the tests mask as the
// SDM allows.

import { CF, OF, AF, PF, ZF, SF } from './state';
import { K_LOGIC, setLazy, setFlagBits, getCF, sizeMask, signBit } from './flags';

export const ROL: u32 = 0;
export const ROR: u32 = 1;
export const RCL: u32 = 2;
export const RCR: u32 = 3;
export const SHL: u32 = 4;
export const SHR: u32 = 5;
export const SAL: u32 = 6;
export const SAR: u32 = 7;

@inline function resultFlags(sz: u32, r: u32, cf: u32, ovf: bool): void {
  // Direct bits first: they leave the lazy record, so recording the result
  // below has nothing stale to resolve.
  setFlagBits(CF | OF | AF, cf | (ovf ? OF : 0));
  setLazy(K_LOGIC, sz, 0, 0, r, PF | ZF | SF);
}

@inline function rotateFlags(cf: u32, ovf: bool): void {
  setFlagBits(CF | OF, cf | (ovf ? OF : 0));
}

/** Applies shift/rotate `op` to v (size sz) by `count`; returns the new value. */
export function shift(op: u32, v: u32, count: u32, sz: u32): u32 {
  count &= 31;
  if (count == 0) return v;
  const bits: u32 = 8 << sz;
  const m = sizeMask(sz);
  const sign = signBit(sz);
  v &= m;
  switch (op) {
    case ROL: {
      const c = count & (bits - 1);
      const r = c == 0 ? v : ((v << c) | (v >>> (bits - c))) & m;
      const cf = r & 1;
      rotateFlags(cf, ((r & sign) != 0) != (cf != 0));
      return r;
    }
    case ROR: {
      const c = count & (bits - 1);
      const r = c == 0 ? v : ((v >>> c) | (v << (bits - c))) & m;
      const msb = (r & sign) != 0;
      const next = (r & (sign >>> 1)) != 0;
      rotateFlags(msb ? 1 : 0, msb != next);
      return r;
    }
    case RCL: {
      const c = sz == 2 ? count : count % (bits + 1);
      const cin = getCF();
      if (c == 0) return v;
      // Rotate the (bits+1)-wide value CF:v.
      const wide: u64 = (<u64>cin << bits) | <u64>v;
      const w = bits + 1;
      const rot = ((wide << c) | (wide >>> (w - c))) & ((<u64>1 << w) - 1);
      const r = <u32>rot & m;
      const cf = <u32>(rot >>> bits) & 1;
      rotateFlags(cf, ((r & sign) != 0) != (cf != 0));
      return r;
    }
    case RCR: {
      const c = sz == 2 ? count : count % (bits + 1);
      const cin = getCF();
      if (c == 0) return v;
      const wide: u64 = (<u64>cin << bits) | <u64>v;
      const w = bits + 1;
      const rot = ((wide >>> c) | (wide << (w - c))) & ((<u64>1 << w) - 1);
      const r = <u32>rot & m;
      const cf = <u32>(rot >>> bits) & 1;
      // OF for a count of 1: the MSB of the input XOR the carry-in.
      rotateFlags(cf, ((r & sign) != 0) != ((r & (sign >>> 1)) != 0));
      return r;
    }
    case SHR: {
      const r = count >= bits ? 0 : v >>> count;
      const cf = count > bits ? 0 : (v >>> (count - 1)) & 1;
      resultFlags(sz, r, cf, (v & sign) != 0);
      return r;
    }
    case SAR: {
      const sh = 32 - bits;
      const sv = (<i32>(v << sh)) >> sh; // sign-extended to 32 bits
      const c = count >= bits ? bits - 1 : count;
      const r = <u32>(sv >> c) & m;
      const cf = <u32>(sv >> (count >= bits ? bits - 1 : count - 1)) & 1;
      resultFlags(sz, r, cf, false);
      return r;
    }
    default: { // SHL, SAL
      const r = count >= bits ? 0 : (v << count) & m;
      const cf = count > bits ? 0 : (v >>> (bits - count)) & 1;
      resultFlags(sz, r, cf, ((r & sign) != 0) != (cf != 0));
      return r;
    }
  }
}

/**
 * SHLD (left = true) or SHRD: shifts dst, filling from src. For 16-bit
 * operands a count above 16 is undefined; we shift through dst:src:dst.
 */
export function shiftDouble(left: bool, dst: u32, src: u32, count: u32, sz: u32): u32 {
  count &= 31;
  if (count == 0) return dst;
  const sign = signBit(sz);
  let r: u32;
  let cf: u32;
  if (sz == 2) {
    if (left) {
      r = (dst << count) | (src >>> (32 - count));
      cf = (dst >>> (32 - count)) & 1;
    } else {
      r = (dst >>> count) | (src << (32 - count));
      cf = (dst >>> (count - 1)) & 1;
    }
  } else {
    dst &= 0xffff;
    src &= 0xffff;
    if (left) {
      const wide: u64 = (<u64>dst << 32) | (<u64>src << 16) | <u64>dst;
      r = <u32>(wide << count >>> 32) & 0xffff;
      cf = <u32>(wide >>> (48 - count)) & 1;
    } else {
      const wide: u64 = (<u64>dst << 32) | (<u64>src << 16) | <u64>dst;
      r = <u32>(wide >>> count) & 0xffff;
      cf = <u32>(wide >>> (count - 1)) & 1;
    }
  }
  resultFlags(sz, r, cf, ((r ^ dst) & sign) != 0);
  return r;
}
