// The stack: PUSH and POP through SS with the stack-address size of SS.B
// (ESP or SP). A push writes before it moves ESP, so a faulting push changes
// nothing; a pop reads first and the caller commits with popCommit.

import { SEG_SS, ESP, reg32, setReg32, setReg16 } from './state';
import { faulted } from './fault';
import { readMem, writeMem } from './decode';
import { stackIs32 } from './segments';

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
