// The SSE2 integer forms i686 libc's string functions run (strlen, memchr,
// memcpy: loads, compares, byte masks, logic, unpacks, shuffles), compiled
// to wasm SIMD on the XMM registers where the interpreter keeps them (the
// core's state block, asm/cpu/sse): nothing to load or write back around
// them. Each checks first, as asm/cpu/sse/mxcsr.ts sseUsable does, that
// SSE may run (#UD or #NM otherwise, raised by the core).

import { OFF_CR0, OFF_CR4, OFF_XMM, CR0_EM, CR0_TS, CR4_OSFXSR } from '../../core-abi.ts';
import { Op, Simd, SIMD_PREFIX } from './wasm.ts';
import { L_T3, F_SSE_FAULT } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { faultCheck } from './emit-exits.ts';
import { readSource16, readE, writeE } from './emit-memory.ts';
import type { SSE_BINARY } from './sse-forms.ts';

function simd(e: Emitter, op: Simd): void {
  e.op(SIMD_PREFIX);
  e.b.u32(op);
}

/** v128.load or v128.store at the i32 address below it (byte alignment: guest operands may be unaligned). */
function memOp(e: Emitter, op: Simd, offset = 0): void {
  simd(e, op);
  e.b.u32(0);
  e.b.u32(offset);
}

/** Pushes XMM register r. */
function xmm(e: Emitter, r: number): void {
  e.i32(0);
  memOp(e, Simd.V128Load, OFF_XMM + r * 16);
}

/** A 16-byte lane shuffle of the two vectors below it (a's bytes are 0-15, b's 16-31). */
function shuffle(e: Emitter, lanes: number[]): void {
  simd(e, Simd.I8x16Shuffle);
  for (const l of lanes) e.b.byte(l);
}

/** #UD without CR4.OSFXSR or with CR0.EM, #NM with CR0.TS: the core raises the one that applies. */
function usable(e: Emitter, ins: Insn): void {
  e.load(OFF_CR4);
  e.i32(CR4_OSFXSR);
  e.op(Op.I32And);
  e.op(Op.I32Eqz);
  e.load(OFF_CR0);
  e.i32(CR0_EM | CR0_TS);
  e.op(Op.I32And);
  e.op(Op.I32Or);
  e.open(Op.If, 'unlikely');
  e.call(F_SSE_FAULT);
  faultCheck(e, ins);
  e.close();
}

/** The low halves of a and b interleaved in units of `unit` bytes (PUNPCKLBW WD DQ QDQ). */
function unpackLow(unit: number): number[] {
  const lanes: number[] = [];
  for (let i = 0; i < 8; i += unit) {
    for (let k = 0; k < unit; k++) lanes.push(i + k);
    for (let k = 0; k < unit; k++) lanes.push(16 + i + k);
  }
  return lanes;
}

/** PSHUFD's dwords of its source by the immediate. */
function shuffleDwords(imm: number): number[] {
  const lanes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const from = (imm >> (2 * i)) & 3;
    for (let k = 0; k < 4; k++) lanes.push(from * 4 + k);
  }
  return lanes;
}

/** The two-operand forms (SSE_BINARY): XMM[reg] = XMM[reg] op W, each the wasm SIMD ops that compute it from (dest, source). */
const BINARY: Record<(typeof SSE_BINARY)[number], (e: Emitter) => void> = {
  0x160: (e) => shuffle(e, unpackLow(1)),
  0x161: (e) => shuffle(e, unpackLow(2)),
  0x162: (e) => shuffle(e, unpackLow(4)),
  0x16c: (e) => shuffle(e, unpackLow(8)),
  0x174: (e) => simd(e, Simd.I8x16Eq),
  0x175: (e) => simd(e, Simd.I16x8Eq),
  0x176: (e) => simd(e, Simd.I32x4Eq),
  0x1da: (e) => simd(e, Simd.I8x16MinU),
  0x1de: (e) => simd(e, Simd.I8x16MaxU),
  0x1db: (e) => simd(e, Simd.V128And),
  0x1eb: (e) => simd(e, Simd.V128Or),
  0x1ef: (e) => simd(e, Simd.V128Xor),
};

export function sse(e: Emitter, ins: Insn): void {
  const d = ins.d;
  const op = d.opcode;
  const m = d.modrm!;
  usable(e, ins);
  if (op === 0x1d7) {
    // PMOVMSKB Gd, U: the bytes' top bits.
    e.writeReg(2, m.reg, () => {
      xmm(e, m.rm);
      simd(e, Simd.I8x16Bitmask);
    });
    return;
  }
  if (op === 0x16e) {
    // MOVD V, Ed: the dword, zero-extended to the register.
    readE(e, ins, 2);
    e.set(L_T3);
    const at = OFF_XMM + m.reg * 16;
    e.i32(0);
    e.get(L_T3);
    e.op(Op.I64ExtendI32U);
    e.b.byte(Op.I64Store);
    e.b.u32(3);
    e.b.u32(at);
    e.i32(0);
    e.op(Op.I64Const);
    e.b.s32(0);
    e.b.byte(Op.I64Store);
    e.b.u32(3);
    e.b.u32(at + 8);
    return;
  }
  if (op === 0x17e) {
    // MOVD Ed, V: the register's low dword.
    writeE(e, ins, 2, () => e.load(OFF_XMM + m.reg * 16));
    return;
  }
  // The W operand's address: the register in the state block, or the memory source (aligned but for MOVDQU).
  if (m.mod === 3) e.i32(OFF_XMM + m.rm * 16);
  else readSource16(e, ins, !(op === 0x16f && d.rep === 0xf3));
  e.set(L_T3);
  const source = () => {
    e.get(L_T3);
    memOp(e, Simd.V128Load);
  };
  e.i32(0);
  if (op === 0x16f) source();
  else if (op === 0x170) {
    source();
    source();
    shuffle(e, shuffleDwords(d.imms[0]));
  } else if (op === 0x1df) {
    // PANDN: NOT dest AND source.
    source();
    xmm(e, m.reg);
    simd(e, Simd.V128AndNot);
  } else {
    xmm(e, m.reg);
    source();
    BINARY[op as (typeof SSE_BINARY)[number]](e);
  }
  memOp(e, Simd.V128Store, OFF_XMM + m.reg * 16);
}
