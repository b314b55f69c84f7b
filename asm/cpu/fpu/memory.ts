// x87 memory operands wider than 32 bits, as sequences of checked accesses.
// Stores check the whole operand is writable before writing any of it.

import { readMem, writeMem } from '../decode';
import { linWrite } from '../segments';
import { faulted } from '../fault';
import { prepareWrite } from '../memory';

export function read64(seg: i32, off: u32): u64 {
  const lo = readMem(seg, off, 2);
  if (faulted) return 0;
  const hi = readMem(seg, off + 4, 2);
  return (<u64>hi << 32) | <u64>lo;
}

/**
 * Faults (and returns false) unless `len` bytes at seg:off can be written.
 * A #PF on the second page reports its first byte, as the CPU does (measured).
 */
export function probeWrite(seg: i32, off: u32, len: u32): bool {
  const lin = linWrite(seg, off, len);
  if (faulted) return false;
  prepareWrite(lin, 0);
  if (!faulted) prepareWrite(secondPage(lin, len), 0);
  return !faulted;
}

/** The first byte of the page holding the operand's last byte, or `lin` when it holds all of it. */
export function secondPage(lin: u32, len: u32): u32 {
  const last = lin + len - 1;
  return ((last ^ lin) & 0xfffff000) != 0 ? last & 0xfffff000 : lin;
}

export function write64(seg: i32, off: u32, v: u64): void {
  if (!probeWrite(seg, off, 8)) return;
  writeMem(seg, off, 2, <u32>v);
  writeMem(seg, off + 4, 2, <u32>(v >> 32));
}

export function write80(seg: i32, off: u32, lo: u64, hi: u32): void {
  if (!probeWrite(seg, off, 10)) return;
  writeMem(seg, off, 2, <u32>lo);
  writeMem(seg, off + 4, 2, <u32>(lo >> 32));
  writeMem(seg, off + 8, 1, hi);
}
