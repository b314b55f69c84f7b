// The integer forms that rearrange or combine lanes: unpacks, packs with
// saturation, shuffles, compares, multiplies, saturating arithmetic,
// min/max, averages, PSADBW and PMOVMSKB, on `n` bytes: 16 for an XMM
// register (SSE2), 8 for an MM one (MMX, and SSE's forms on MM registers).
// Each reads copies of both operands, so a source that is the destination
// reads its old value.

import { OFF_SSE_SOURCE } from '../state';

const S: u32 = OFF_SSE_SOURCE; // the source (sourceW leaves memory operands here)
const D: u32 = OFF_SSE_SOURCE + 16; // the destination's old value

@inline function sb(v: i32): i32 {
  return v < -128 ? -128 : v > 127 ? 127 : v;
}
@inline function ub(v: i32): i32 {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
@inline function sw(v: i32): i32 {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}
@inline function uw(v: i32): i32 {
  return v < 0 ? 0 : v > 65535 ? 65535 : v;
}
@inline function b(at: u32, i: u32): i32 {
  return <i32>load<u8>(at + i);
}
@inline function sbyte(at: u32, i: u32): i32 {
  return <i32>load<i8>(at + i);
}
@inline function w(at: u32, i: u32): i32 {
  return <i32>load<u16>(at + (i << 1));
}
@inline function swd(at: u32, i: u32): i32 {
  return <i32>load<i16>(at + (i << 1));
}
@inline function setB(g: u32, i: u32, v: i32): void {
  store<u8>(g + i, <u8>v);
}
@inline function setW(g: u32, i: u32, v: i32): void {
  store<u16>(g + (i << 1), <u16>v);
}

/** Copies the operands so that writing `g` cannot change what is read. */
function snapshot(g: u32, s: u32): void {
  if (s != S) memory.copy(S, s, 16);
  memory.copy(D, g, 16);
}

/** 0F `op` on `n` bytes with the destination at `g` and the source at `s`; false when `op` is not one of these. */
export function packedOp(op: u32, g: u32, s: u32, imm: u32, n: u32): bool {
  const h = n >> 1; // bytes in a half
  const words = n >> 1;
  snapshot(g, s);
  switch (op) {
    case 0x60: case 0x61: case 0x62: case 0x6c: unpack(g, op == 0x6c ? 3 : op - 0x60, 0, h); return true;
    case 0x68: case 0x69: case 0x6a: case 0x6d: unpack(g, op == 0x6d ? 3 : op - 0x68, h, h); return true;
    case 0x63: for (let i: u32 = 0; i < n; i++) setB(g, i, sb(swd(i < h ? D : S, i % h))); return true; // PACKSSWB
    case 0x67: for (let i: u32 = 0; i < n; i++) setB(g, i, ub(swd(i < h ? D : S, i % h))); return true; // PACKUSWB
    case 0x6b: // PACKSSDW
      for (let i: u32 = 0; i < words; i++) setW(g, i, sw(load<i32>((i < words / 2 ? D : S) + ((i % (words / 2)) << 2))));
      return true;
    case 0x64: for (let i: u32 = 0; i < n; i++) setB(g, i, sbyte(D, i) > sbyte(S, i) ? 0xff : 0); return true;
    case 0x65: for (let i: u32 = 0; i < words; i++) setW(g, i, swd(D, i) > swd(S, i) ? 0xffff : 0); return true;
    case 0x66:
      for (let i: u32 = 0; i < n; i += 4) store<u32>(g + i, load<i32>(D + i) > load<i32>(S + i) ? 0xffffffff : 0);
      return true;
    case 0x70: // PSHUFD (PSHUFHW/PSHUFLW are shuffleWords)
      for (let i: u32 = 0; i < 4; i++) store<u32>(g + (i << 2), load<u32>(S + (((imm >> (i << 1)) & 3) << 2)));
      return true;
    case 0xd5: for (let i: u32 = 0; i < words; i++) setW(g, i, swd(D, i) * swd(S, i)); return true; // PMULLW
    case 0xe5: for (let i: u32 = 0; i < words; i++) setW(g, i, (swd(D, i) * swd(S, i)) >> 16); return true; // PMULHW
    case 0xe4: for (let i: u32 = 0; i < words; i++) setW(g, i, <i32>((<u32>w(D, i) * <u32>w(S, i)) >> 16)); return true; // PMULHUW
    case 0xf4: // PMULUDQ
      store<u64>(g, <u64>load<u32>(D) * <u64>load<u32>(S));
      if (n == 16) store<u64>(g + 8, <u64>load<u32>(D + 8) * <u64>load<u32>(S + 8));
      return true;
    case 0xf5: // PMADDWD: the one overflow (all four -32768) wraps to 0x80000000
      for (let i: u32 = 0; i < n >> 2; i++) {
        store<i32>(g + (i << 2), swd(D, 2 * i) * swd(S, 2 * i) + swd(D, 2 * i + 1) * swd(S, 2 * i + 1));
      }
      return true;
    case 0xd8: for (let i: u32 = 0; i < n; i++) setB(g, i, ub(b(D, i) - b(S, i))); return true; // PSUBUSB
    case 0xd9: for (let i: u32 = 0; i < words; i++) setW(g, i, uw(w(D, i) - w(S, i))); return true; // PSUBUSW
    case 0xdc: for (let i: u32 = 0; i < n; i++) setB(g, i, ub(b(D, i) + b(S, i))); return true; // PADDUSB
    case 0xdd: for (let i: u32 = 0; i < words; i++) setW(g, i, uw(w(D, i) + w(S, i))); return true; // PADDUSW
    case 0xe8: for (let i: u32 = 0; i < n; i++) setB(g, i, sb(sbyte(D, i) - sbyte(S, i))); return true; // PSUBSB
    case 0xe9: for (let i: u32 = 0; i < words; i++) setW(g, i, sw(swd(D, i) - swd(S, i))); return true; // PSUBSW
    case 0xec: for (let i: u32 = 0; i < n; i++) setB(g, i, sb(sbyte(D, i) + sbyte(S, i))); return true; // PADDSB
    case 0xed: for (let i: u32 = 0; i < words; i++) setW(g, i, sw(swd(D, i) + swd(S, i))); return true; // PADDSW
    case 0xda: for (let i: u32 = 0; i < n; i++) setB(g, i, min(b(D, i), b(S, i))); return true; // PMINUB
    case 0xde: for (let i: u32 = 0; i < n; i++) setB(g, i, max(b(D, i), b(S, i))); return true; // PMAXUB
    case 0xea: for (let i: u32 = 0; i < words; i++) setW(g, i, min(swd(D, i), swd(S, i))); return true; // PMINSW
    case 0xee: for (let i: u32 = 0; i < words; i++) setW(g, i, max(swd(D, i), swd(S, i))); return true; // PMAXSW
    case 0xe0: for (let i: u32 = 0; i < n; i++) setB(g, i, (b(D, i) + b(S, i) + 1) >> 1); return true; // PAVGB
    case 0xe3: for (let i: u32 = 0; i < words; i++) setW(g, i, (w(D, i) + w(S, i) + 1) >> 1); return true; // PAVGW
    case 0xf6: // PSADBW
      for (let q: u32 = 0; q < n; q += 8) {
        let sum: i32 = 0;
        for (let i: u32 = 0; i < 8; i++) sum += abs(b(D, q + i) - b(S, q + i));
        store<u64>(g + q, <u64>sum);
      }
      return true;
  }
  return false;
}

/** PUNPCKLxx and PUNPCKHxx: interleave the low (`from` 0) or high (`from` h) halves of h bytes in lanes of 1 << sizeLog bytes. */
function unpack(g: u32, sizeLog: u32, from: u32, h: u32): void {
  const n: u32 = 1 << sizeLog;
  for (let i: u32 = 0; i < h; i += n) {
    memory.copy(g + 2 * i, D + from + i, n);
    memory.copy(g + 2 * i + n, S + from + i, n);
  }
}

/** PSHUFHW (high) and PSHUFLW: shuffle four words of one half by `imm`, copy the other half. */
export function shuffleWords(g: u32, s: u32, imm: u32, high: bool): void {
  if (s != S) memory.copy(S, s, 16);
  const half: u32 = high ? 4 : 0;
  memory.copy(g, S, 16);
  for (let i: u32 = 0; i < 4; i++) setW(g, half + i, w(S, half + ((imm >> (i << 1)) & 3)));
}

/** PMOVMSKB: the top bit of each of `n` bytes. */
export function moveMaskBytes(s: u32, n: u32): u32 {
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i++) m |= (<u32>load<u8>(s + i) >> 7) << i;
  return m;
}
