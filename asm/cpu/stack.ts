// The stack: PUSH and POP through SS with the stack-address size of SS.B
// (ESP or SP). A push writes before it moves ESP, so a faulting push changes
// nothing; a pop reads first and the caller commits with popCommit.

import { SEG_SS, ESP, EBP, reg32, setReg32, reg16, setReg16 } from './state';
import { faulted } from './fault';
import { readMem, writeMem, readReg, writeReg, vSize, fetch8, fetch16 } from './decode';
import { stackIs32, loadDataSegment } from './segments';
import { setStackShadow } from './system';

@inline function sp(): u32 {
  const v = reg32(ESP);
  return stackIs32() ? v : v & 0xffff;
}

@inline function setSp(v: u32): void {
  if (stackIs32()) setReg32(ESP, v);
  else setReg16(ESP, v);
}

/** Pushes a value of size sz (1 = word, 2 = dword). */
export function push(sz: u32, v: u32): void {
  const n: u32 = 1 << sz;
  const newSp = stackIs32() ? reg32(ESP) - n : (reg32(ESP) - n) & 0xffff;
  writeMem(SEG_SS, newSp, sz, v);
  if (faulted) return;
  setSp(newSp);
}

/** Reads the value `depth` bytes above the stack top without popping it. */
export function peekStack(sz: u32, depth: u32): u32 {
  const at = stackIs32() ? sp() + depth : (sp() + depth) & 0xffff;
  return readMem(SEG_SS, at, sz);
}

/** Moves the stack pointer up by n bytes (after peekStack). */
export function popCommit(n: u32): void {
  setSp(stackIs32() ? reg32(ESP) + n : (reg32(ESP) + n) & 0xffff);
}

/** Pops a value of size sz; returns 0 and leaves ESP alone after a fault. */
export function pop(sz: u32): u32 {
  const v = peekStack(sz, 0);
  if (faulted) return 0;
  popCommit(1 << sz);
  return v;
}

/** Writes a value `depth` bytes below the current stack top (ENTER, PUSHA) without moving ESP. */
export function writeBelow(sz: u32, depth: u32, v: u32): void {
  const at = stackIs32() ? reg32(ESP) - depth : (reg32(ESP) - depth) & 0xffff;
  writeMem(SEG_SS, at, sz, v);
}

export function setStackPointer(v: u32): void {
  setSp(v);
}

/**
 * PUSH of a segment register. With a 32-bit operand size the SDM allows
 * either a zero-extended dword or a 16-bit write; we zero-extend, as the
 * host CPU we test against does.
 */
export function pushSegment(sel: u32): void {
  push(vSize(), sel);
}

/** POP into a data or stack segment register (the pop commits only after the load succeeds). */
export function popSegment(s: i32): void {
  const sz = vSize();
  const v = peekStack(sz, 0);
  if (faulted) return;
  loadDataSegment(s, v);
  if (faulted) return;
  popCommit(1 << sz);
  if (s == SEG_SS) setStackShadow();
}

/** PUSHA/PUSHAD: the eight registers, ESP as it was before the first push. */
export function pusha(): void {
  const sz = vSize();
  const n: u32 = 1 << sz;
  const sp = reg32(ESP);
  for (let r: u32 = 0; r < 8; r++) {
    writeBelow(sz, (r + 1) * n, r == ESP ? sp : readReg(sz, r));
    if (faulted) return;
  }
  if (stackIs32()) setReg32(ESP, sp - 8 * n);
  else setReg16(ESP, sp - 8 * n);
}

/** POPA/POPAD: the eight registers but ESP, read before any is written. */
export function popa(): void {
  const sz = vSize();
  const n: u32 = 1 << sz;
  const vals: StaticArray<u32> = POPA_TEMP;
  for (let i: u32 = 0; i < 8; i++) {
    vals[i] = peekStack(sz, i * n);
    if (faulted) return;
  }
  for (let i: u32 = 0; i < 8; i++) {
    const r = 7 - i;
    if (r != ESP) writeReg(sz, r, vals[i]);
  }
  popCommit(8 * n);
}
const POPA_TEMP = new StaticArray<u32>(8);

/** ENTER Iw,Ib: a frame with `level` (mod 32) copied frame pointers. */
export function enter(): void {
  const size = fetch16();
  if (faulted) return;
  const level = fetch8() & 31;
  if (faulted) return;
  const sz = vSize();
  const n: u32 = 1 << sz;
  const s32 = stackIs32();
  const mask: u32 = s32 ? 0xffffffff : 0xffff;
  push(sz, readReg(sz, EBP));
  if (faulted) return;
  const frame = reg32(ESP) & mask;
  let bp = reg32(EBP) & mask;
  if (level > 0) {
    for (let i: u32 = 1; i < level; i++) {
      bp = (bp - n) & mask;
      const v = readMem(SEG_SS, bp, sz);
      if (faulted) return;
      push(sz, v);
      if (faulted) return;
    }
    push(sz, frame);
    if (faulted) return;
  }
  const newSp = (reg32(ESP) - size) & mask;
  writeReg(sz, EBP, frame);
  if (s32) setReg32(ESP, newSp);
  else setReg16(ESP, newSp);
}

/** LEAVE: ESP = EBP, then POP EBP. */
export function leave(): void {
  const sz = vSize();
  const s32 = stackIs32();
  const bp = s32 ? reg32(EBP) : reg16(EBP);
  const v = readMem(SEG_SS, bp, sz);
  if (faulted) return;
  if (s32) setReg32(ESP, bp + (1 << sz));
  else setReg16(ESP, bp + (1 << sz));
  writeReg(sz, EBP, v);
}
