// Lane shifts on `n` bytes (an XMM or an MM register): PSRLW/D/Q, PSRAW/D,
// PSLLW/D/Q by a register or memory count (its low 64 bits) or an immediate, and PSRLDQ/PSLLDQ by whole bytes. A count past
// the lane width gives zero (the arithmetic shifts: the sign in every bit).

export const SRL: u32 = 0;
export const SRA: u32 = 1;
export const SLL: u32 = 2;

export function shiftLanes(kind: u32, sizeLog: u32, g: u32, count: u64, n: u32): void {
  const bits: u64 = 8 << sizeLog;
  const big = count >= bits;
  const by = <i64>(big ? bits - 1 : count);
  for (let i: u32 = 0; i < n; i += 1 << sizeLog) {
    if (sizeLog == 3) {
      const v = load<u64>(g + i);
      store<u64>(g + i, kind == SLL ? (big ? 0 : v << by) : big ? 0 : v >> by);
    } else if (sizeLog == 2) {
      const v = load<u32>(g + i);
      const c = <u32>by;
      store<u32>(g + i, kind == SRA ? <u32>(load<i32>(g + i) >> c) : big ? 0 : kind == SLL ? v << c : v >> c);
    } else {
      const v = <u32>load<u16>(g + i);
      const c = <u32>by;
      store<u16>(g + i, <u16>(kind == SRA ? <u32>(<i32>load<i16>(g + i) >> c) : big ? 0 : kind == SLL ? v << c : v >> c));
    }
  }
}

/** PSRLDQ (left = false) and PSLLDQ: the whole register by `n` bytes. */
export function shiftBytes(left: bool, g: u32, n: u32, scratch: u32): void {
  memory.copy(scratch, g, 16);
  for (let i: u32 = 0; i < 16; i++) {
    const from: i32 = left ? <i32>i - <i32>n : <i32>i + <i32>n;
    store<u8>(g + i, from >= 0 && from < 16 ? load<u8>(scratch + <u32>from) : 0);
  }
}
