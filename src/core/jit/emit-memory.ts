// Memory operands: the effective address, and loads and stores through an
// inline TLB fast path (one table load, a compare, the access), with misses,
// MMIO, page-crossing and writes to code pages on the core's own slow path.
// PUSH and POP are the stack's accesses.

import type { Decoded } from '../../isa/decode.ts';
import { Op } from './wasm.ts';
import {
  GS,
  CS,
  F_READ,
  F_WRITE,
  F_RMW_READ,
  F_RMW_WRITE,
  F_READ_SOURCE,
  L_REG,
  L_E,
  L_T0,
  L_T3,
  L_ADDR,
  L_LIN,
  L_H,
  L_V,
  L_HITS,
  SS,
  FS,
  ESP,
  T_VALID,
  T_USER,
  T_WSUP,
  T_WUSER,
  T_MMIO,
  T_CODE,
} from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { faultCheck, markSlow, syncSlice } from './emit-exits.ts';

/** Instructions of this block before the current one that the slice does not have yet (a helper lends them to it). */
export function pending(e: Emitter): number {
  return e.done - e.flushed;
}

/** A write through CS always faults: the core's slow path raises it. */
function writeFaults(seg: number): boolean {
  return seg === CS;
}

/**
 * Leaves 1 when the access at offset L_ADDR through `seg` may take the
 * inline path, and returns the local holding its linear address then. The
 * mode key makes ES SS DS (and CS for reads) flat with base 0: the linear
 * address is the offset. FS and GS keep their own base and limit (a
 * distribution kernel's per-CPU segment, glibc's TLS), so the test is the
 * interpreter's linRead/linWrite: the segment's fast bit (a usable,
 * expand-up 4 GiB segment of the right type, as its cache says now) and no
 * wrap of the offset past 4 GiB; anything else takes the slow path, which
 * checks the limit and type and faults as the interpreter does.
 */
function inlineHit(e: Emitter, seg: number, sz: number, write: boolean): number {
  if (seg !== FS && seg !== GS) {
    tlbHit(e, sz, write, L_ADDR);
    return L_ADDR;
  }
  const l = e.layout;
  e.get(L_ADDR);
  e.load(l.OFF_SEG_BASE + seg * 4);
  e.op(Op.I32Add);
  e.set(L_LIN);
  e.i32(0);
  e.b.byte(Op.I32Load8U);
  e.b.u32(0);
  e.b.u32(l.OFF_SEG_FAST + seg);
  e.i32(write ? l.SEG_FAST_WRITE : l.SEG_FAST_READ);
  e.op(Op.I32And);
  e.i32(0);
  e.op(Op.I32Ne);
  if (sz > 0) {
    e.get(L_ADDR);
    e.i32(0xffffffff - ((1 << sz) - 1));
    e.op(Op.I32LeU);
    e.op(Op.I32And);
  }
  tlbHit(e, sz, write, L_LIN);
  e.op(Op.I32And);
  return L_LIN;
}

export function segOf(d: Decoded, dflt: number): number {
  return d.seg >= 0 ? d.seg : dflt;
}

/** Pushes the effective address of the ModRM memory operand. */
export function address(e: Emitter, d: Decoded): void {
  const m = d.modrm!;
  e.i32(m.disp);
  if (m.base >= 0) {
    e.get(L_REG + m.base);
    e.op(Op.I32Add);
  }
  if (m.index >= 0) {
    e.get(L_REG + m.index);
    if (m.scale) {
      e.i32(m.scale);
      e.op(Op.I32Shl);
    }
    e.op(Op.I32Add);
  }
}

/**
 * The TLB fast path the interpreter's readLin/writeLin/prepareWrite take,
 * inline: leaves 1 on the stack when the entry for the linear address in
 * local `lin` allows the access at this privilege and it stays in one page
 * (then L_E holds the entry).
 */
function tlbHit(e: Emitter, sz: number, write: boolean, lin: number): void {
  e.get(lin);
  e.i32(12);
  e.op(Op.I32ShrU);
  e.i32(2);
  e.op(Op.I32Shl);
  e.b.byte(Op.I32Load);
  e.b.u32(2);
  e.b.u32(e.layout.TLB_BASE);
  e.b.byte(Op.LocalTee);
  e.b.u32(L_E);
  const mask = write ? (e.user ? T_WUSER : T_WSUP) | T_MMIO | T_CODE : (e.user ? T_VALID | T_USER : T_VALID) | T_MMIO;
  const need = write ? (e.user ? T_WUSER : T_WSUP) : e.user ? T_VALID | T_USER : T_VALID;
  e.i32(mask);
  e.op(Op.I32And);
  e.i32(need);
  e.op(Op.I32Eq);
  if (sz > 0) {
    e.get(lin);
    e.i32(0xfff);
    e.op(Op.I32And);
    e.i32(0x1000 - (1 << sz));
    e.op(Op.I32LeU);
    e.op(Op.I32And);
  }
}

/** Counts the `hits` (the interpreter's counter, at the return) and pushes the host address of the linear address in `lin` through L_E. */
function hostAddress(e: Emitter, lin: number, hits = 1): void {
  e.get(L_HITS);
  e.i32(hits);
  e.op(Op.I32Add);
  e.set(L_HITS);
  e.get(L_E);
  e.i32(~0xfff);
  e.op(Op.I32And);
  e.get(lin);
  e.i32(0xfff);
  e.op(Op.I32And);
  e.op(Op.I32Add);
}

function loadOp(e: Emitter, sz: number): void {
  e.b.byte(sz === 2 ? Op.I32Load : sz === 1 ? Op.I32Load16U : Op.I32Load8U);
  e.b.u32(sz);
  e.b.u32(0);
}

function storeOp(e: Emitter, sz: number): void {
  e.b.byte(sz === 2 ? Op.I32Store : sz === 1 ? Op.I32Store16 : Op.I32Store8);
  e.b.u32(sz);
  e.b.u32(0);
}

/**
 * A read at L_ADDR through the core's own path: helper `f` (seg, offset,
 * `arg`, the pending count), its i32 result left after the fault check.
 */
function slowRead(e: Emitter, ins: Insn, f: number, seg: number, arg: number): void {
  markSlow(e);
  e.i32(seg);
  e.get(L_ADDR);
  e.i32(arg);
  e.i32(pending(e));
  syncSlice(e);
  e.call(f);
  e.set(L_T3);
  faultCheck(e, ins);
  e.get(L_T3);
}

export function readMem(e: Emitter, ins: Insn, seg: number, addr: () => void, sz: number): void {
  addr();
  e.set(L_ADDR);
  const slow = () => slowRead(e, ins, F_READ, seg, sz);
  const lin = inlineHit(e, seg, sz, false);
  e.openTyped(Op.If, 'likely');
  hostAddress(e, lin);
  loadOp(e, sz);
  e.op(Op.Else);
  slow();
  e.close();
}

/**
 * Pushes the host address of an SSE instruction's 16-byte memory source:
 * the guest's RAM on a TLB hit within one page (four dword reads' hits, as
 * the interpreter counts them), else the core's scratch, which the
 * interpreter's own path (jitReadSource) fills after checking the alignment
 * when `aligned` asks for it (#GP) and reading (#PF).
 */
export function readSource16(e: Emitter, ins: Insn, aligned: boolean): void {
  const d = ins.d;
  const seg = segOf(d, d.modrm!.defaultSeg);
  address(e, d);
  e.set(L_ADDR);
  const slow = () => slowRead(e, ins, F_READ_SOURCE, seg, aligned ? 1 : 0);
  const lin = inlineHit(e, seg, 4, false);
  if (aligned) {
    e.get(L_ADDR);
    e.i32(15);
    e.op(Op.I32And);
    e.op(Op.I32Eqz);
    e.op(Op.I32And);
  }
  e.openTyped(Op.If, 'likely');
  hostAddress(e, lin, 4);
  e.op(Op.Else);
  slow();
  e.close();
}

export function writeMem(e: Emitter, ins: Insn, seg: number, addr: () => void, sz: number, value: () => void): void {
  addr();
  e.set(L_ADDR);
  value();
  e.set(L_V);
  const slow = () => {
    markSlow(e);
    e.i32(seg);
    e.get(L_ADDR);
    e.i32(sz);
    e.get(L_V);
    e.i32(pending(e));
    syncSlice(e);
    e.call(F_WRITE);
    faultCheck(e, ins);
  };
  if (writeFaults(seg)) {
    slow();
    return;
  }
  const lin = inlineHit(e, seg, sz, true);
  e.open(Op.If, 'likely');
  hostAddress(e, lin);
  e.get(L_V);
  storeOp(e, sz);
  e.op(Op.Else);
  slow();
  e.close();
}

/** Pushes the E operand (register or memory). */
export function readE(e: Emitter, ins: Insn, sz: number): void {
  const d = ins.d;
  const m = d.modrm!;
  if (m.mod === 3) e.readReg(sz, m.rm);
  else readMem(e, ins, segOf(d, m.defaultSeg), () => address(e, d), sz);
}

export function writeE(e: Emitter, ins: Insn, sz: number, value: () => void): void {
  const d = ins.d;
  const m = d.modrm!;
  if (m.mod === 3) e.writeReg(sz, m.rm, value);
  else writeMem(e, ins, segOf(d, m.defaultSeg), () => address(e, d), sz, value);
}

/** Read half of a read-modify-write of E into T0: the write is checked first; L_H keeps the host address for the write. */
export function rmwReadE(e: Emitter, ins: Insn, sz: number): void {
  const d = ins.d;
  const m = d.modrm!;
  if (m.mod === 3) {
    e.readReg(sz, m.rm);
    e.set(L_T0);
    return;
  }
  const seg = segOf(d, m.defaultSeg);
  address(e, d);
  e.set(L_ADDR);
  const slow = () => {
    e.i32(0);
    e.set(L_H);
    slowRead(e, ins, F_RMW_READ, seg, sz);
  };
  if (writeFaults(seg)) slow();
  else {
    const lin = inlineHit(e, seg, sz, true);
    e.openTyped(Op.If, 'likely');
    hostAddress(e, lin);
    e.b.byte(Op.LocalTee);
    e.b.u32(L_H);
    loadOp(e, sz);
    e.op(Op.Else);
    slow();
    e.close();
  }
  e.set(L_T0);
}

export function rmwWriteE(e: Emitter, ins: Insn, sz: number, value: () => void): void {
  const m = ins.d.modrm!;
  if (m.mod === 3) {
    e.writeReg(sz, m.rm, value);
    return;
  }
  value();
  e.set(L_V);
  const seg = segOf(ins.d, m.defaultSeg);
  const inline = !writeFaults(seg);
  if (inline) {
    e.get(L_H);
    e.open(Op.If, 'likely');
    e.get(L_H);
    e.get(L_V);
    storeOp(e, sz);
    e.op(Op.Else);
  }
  markSlow(e);
  e.i32(sz);
  e.get(L_V);
  e.i32(pending(e));
  syncSlice(e);
  e.call(F_RMW_WRITE);
  if (inline) e.close();
}

export function push(e: Emitter, ins: Insn, sz: number, value: () => void): void {
  const n = 1 << sz;
  writeMem(
    e,
    ins,
    SS,
    () => {
      e.get(L_REG + ESP);
      e.i32(n);
      e.op(Op.I32Sub);
    },
    sz,
    value,
  );
  e.get(L_REG + ESP);
  e.i32(n);
  e.op(Op.I32Sub);
  e.set(L_REG + ESP);
}

/** Pops into T3 (ESP moves only after the read succeeded). */
export function pop(e: Emitter, ins: Insn, sz: number, release = 0): void {
  readMem(e, ins, SS, () => e.get(L_REG + ESP), sz);
  e.set(L_T3);
  e.get(L_REG + ESP);
  e.i32((1 << sz) + release);
  e.op(Op.I32Add);
  e.set(L_REG + ESP);
}
