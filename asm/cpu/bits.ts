// Bit tests (BT BTS BTR BTC), bit scans (BSF BSR), BSWAP.

import { CF, ZF } from './state';
import { setFlagBits } from './flags';

export const BT: u32 = 0;
export const BTS: u32 = 1;
export const BTR: u32 = 2;
export const BTC: u32 = 3;

/**
 * Applies a bit-test op to v for bit `bit` (already reduced to the operand
 * size), sets CF to the old bit and returns the new value. ZF is unchanged;
 * OF, SF, AF and PF are undefined and left unchanged.
 */
export function bitOp(op: u32, v: u32, bit: u32): u32 {
  const mask: u32 = 1 << bit;
  setFlagBits(CF, (v & mask) != 0 ? CF : 0);
  switch (op) {
    case BTS: return v | mask;
    case BTR: return v & ~mask;
    case BTC: return v ^ mask;
    default: return v;
  }
}

/**
 * BSF/BSR: returns the index, or `old` (the destination, unchanged) when the
 * source is zero, which sets ZF. The other flags are undefined and kept.
 */
export function bitScan(forward: bool, v: u32, old: u32, sz: u32): u32 {
  if (sz == 1) v &= 0xffff;
  if (v == 0) {
    setFlagBits(ZF, ZF);
    return old;
  }
  setFlagBits(ZF, 0);
  return forward ? ctz<u32>(v) : 31 - clz<u32>(v);
}

export function bswap(v: u32): u32 {
  return bswap<u32>(v);
}
