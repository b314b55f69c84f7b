// Integer lane arithmetic and bitwise logic on `n` bytes (16: an XMM
// register, 8: an MM one): dest = dest op src, lane by lane.

export const ADD: u32 = 0;
export const SUB: u32 = 1;
export const CMPEQ: u32 = 2;

/** Lanes of 1 << sizeLog bytes (0: bytes ... 3: quadwords). */
export function laneOp(op: u32, sizeLog: u32, d: u32, s: u32, n: u32): void {
  for (let i: u32 = 0; i < n; i += 1 << sizeLog) {
    if (sizeLog == 3) store<u64>(d + i, lane64(op, load<u64>(d + i), load<u64>(s + i)));
    else {
      const bits: u32 = 8 << sizeLog;
      const mask: u32 = sizeLog == 2 ? 0xffffffff : (1 << bits) - 1;
      const a = sizeLog == 2 ? load<u32>(d + i) : sizeLog == 1 ? <u32>load<u16>(d + i) : <u32>load<u8>(d + i);
      const b = sizeLog == 2 ? load<u32>(s + i) : sizeLog == 1 ? <u32>load<u16>(s + i) : <u32>load<u8>(s + i);
      const r = (op == ADD ? a + b : op == SUB ? a - b : a == b ? 0xffffffff : 0) & mask;
      if (sizeLog == 2) store<u32>(d + i, r);
      else if (sizeLog == 1) store<u16>(d + i, <u16>r);
      else store<u8>(d + i, <u8>r);
    }
  }
}

function lane64(op: u32, a: u64, b: u64): u64 {
  return op == ADD ? a + b : op == SUB ? a - b : a == b ? <u64>-1 : 0;
}

export const AND: u32 = 0;
export const ANDN: u32 = 1;
export const OR: u32 = 2;
export const XOR: u32 = 3;

/** Bitwise logic on all `n` bytes; ANDN is (NOT dest) AND src. */
export function logic(op: u32, d: u32, s: u32, n: u32): void {
  for (let i: u32 = 0; i < n; i += 8) {
    const a = load<u64>(d + i);
    const b = load<u64>(s + i);
    store<u64>(d + i, op == AND ? a & b : op == ANDN ? ~a & b : op == OR ? a | b : a ^ b);
  }
}
