// The integer ALU: the two-operand rows and group 1, TEST, INC/DEC, NEG/NOT,
// the bit tests and IMUL, with the flags they produce.

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_T2, L_T3, L_C, L_W, CF, ZF, ARITH, K_ADD, K_SUB, K_LOGIC, sizeMask } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { condition, produce, setFlagBits, resultFlags, keepCarry } from './emit-flags.ts';
import { readE, rmwReadE, rmwWriteE } from './emit-memory.ts';

/** ALU op `kind` (ADD OR - - AND SUB XOR CMP) on T0 (a) and the value `b` pushes; result in T2, operands masked. */
export function alu(e: Emitter, kind: number, sz: number, b: () => void): void {
  const m = sizeMask(sz);
  if (sz < 2) {
    e.get(L_T0);
    e.i32(m);
    e.op(Op.I32And);
    e.set(L_T0);
  }
  b();
  if (sz < 2) {
    e.i32(m);
    e.op(Op.I32And);
  }
  e.set(L_T1);
  e.get(L_T0);
  e.get(L_T1);
  const o = kind === 0 || kind === 2 ? Op.I32Add : kind === 1 ? Op.I32Or : kind === 4 ? Op.I32And : kind === 6 ? Op.I32Xor : Op.I32Sub;
  e.op(o);
  if (kind === 2 || kind === 3) {
    e.get(L_C);
    e.op(kind === 2 ? Op.I32Add : Op.I32Sub);
  }
  if (sz < 2 && kind !== 1 && kind !== 4 && kind !== 6) {
    e.i32(m);
    e.op(Op.I32And);
  }
  e.set(L_T2);
}

export function aluFlags(e: Emitter, kind: number, sz: number): void {
  const k = kind === 0 || kind === 2 ? K_ADD : kind === 3 || kind === 5 || kind === 7 ? K_SUB : K_LOGIC;
  produce(e, k, sz, ARITH, kind === 2 || kind === 3);
}

/** The ALU rows, group 1, TEST: E op= G / G op= E / E op= imm / eAX op= imm. */
export function aluInsn(e: Emitter, ins: Insn, kind: number, sz: number, form: 'EG' | 'GE' | 'EI' | 'AI' | 'TEST', imm?: number): void {
  const d = ins.d;
  const m = d.modrm;
  const immPush = () => e.i32(imm!);
  if (kind === 2 || kind === 3) {
    // ADC/SBB: the carry-in, from the flags before anything here can fault.
    condition(e, 2);
    e.set(L_C);
  }
  if (form === 'AI') {
    e.readReg(sz, 0);
    e.set(L_T0);
    alu(e, kind, sz, immPush);
    if (kind !== 7) e.writeReg(sz, 0, () => e.get(L_T2));
    aluFlags(e, kind, sz);
    return;
  }
  if (form === 'GE') {
    readE(e, ins, sz);
    e.set(L_T1);
    e.readReg(sz, m!.reg);
    e.set(L_T0);
    alu(e, kind, sz, () => e.get(L_T1));
    if (kind !== 7) e.writeReg(sz, m!.reg, () => e.get(L_T2));
    aluFlags(e, kind, sz);
    return;
  }
  if (form === 'TEST') {
    readE(e, ins, sz);
    e.set(L_T0);
    alu(e, 4, sz, imm === undefined ? () => e.readReg(sz, m!.reg) : immPush);
    aluFlags(e, 4, sz);
    return;
  }
  const b = form === 'EI' ? immPush : () => e.readReg(sz, m!.reg);
  if (kind === 7) {
    readE(e, ins, sz);
    e.set(L_T0);
    alu(e, kind, sz, b);
  } else {
    rmwReadE(e, ins, sz);
    alu(e, kind, sz, b);
    rmwWriteE(e, ins, sz, () => e.get(L_T2));
  }
  aluFlags(e, kind, sz);
}

export function incDec(e: Emitter, ins: Insn, sz: number, dec: boolean, reg: number | null): void {
  if (reg === null) rmwReadE(e, ins, sz);
  else {
    e.readReg(sz, reg);
    e.set(L_T0);
  }
  keepCarry(e);
  e.i32(1);
  e.set(L_T1);
  e.get(L_T0);
  e.i32(1);
  e.op(dec ? Op.I32Sub : Op.I32Add);
  if (sz < 2) {
    e.i32(sizeMask(sz));
    e.op(Op.I32And);
  }
  e.set(L_T2);
  if (reg === null) rmwWriteE(e, ins, sz, () => e.get(L_T2));
  else e.writeReg(sz, reg, () => e.get(L_T2));
  produce(e, dec ? K_SUB : K_ADD, sz, ARITH & ~CF);
}

/**
 * BT BTS BTR BTC (`kind` 0-3) of E by an immediate or a register bit
 * offset, as asm/cpu/bits.ts bitOp: CF is the bit, the other flags stay.
 */
export function bitTest(e: Emitter, ins: Insn, kind: number, sz: number): void {
  const d = ins.d;
  const bits = 8 << sz;
  if (d.opcode === 0x1ba) e.i32(d.imms[0] & (bits - 1));
  else {
    e.readReg(sz, d.modrm!.reg);
    e.i32(bits - 1);
    e.op(Op.I32And);
  }
  e.set(L_T1);
  if (kind === 0) {
    readE(e, ins, sz);
    e.set(L_T0);
  } else rmwReadE(e, ins, sz);
  setFlagBits(e, CF, () => {
    e.get(L_T0);
    e.get(L_T1);
    e.op(Op.I32ShrU);
    e.i32(1);
    e.op(Op.I32And);
  });
  if (kind === 0) return;
  rmwWriteE(e, ins, sz, () => {
    e.get(L_T0);
    e.i32(1);
    e.get(L_T1);
    e.op(Op.I32Shl);
    if (kind === 2) {
      e.i32(-1);
      e.op(Op.I32Xor);
      e.op(Op.I32And);
    } else e.op(kind === 1 ? Op.I32Or : Op.I32Xor);
  });
}

/**
 * BSF/BSR G, E (asm/cpu/bits.ts bitScan): ZF set for a zero source, which
 * leaves G as it was; else G gets the lowest (highest) set bit's index.
 */
export function bitScan(e: Emitter, ins: Insn, forward: boolean, sz: number): void {
  readE(e, ins, sz);
  e.set(L_T0);
  setFlagBits(e, ZF, () => {
    e.get(L_T0);
    e.op(Op.I32Eqz);
    e.i32(6);
    e.op(Op.I32Shl);
  });
  e.get(L_T0);
  e.open(Op.If);
  e.writeReg(sz, ins.d.modrm!.reg, () => {
    if (forward) {
      e.get(L_T0);
      e.op(Op.I32Ctz);
    } else {
      e.i32(31);
      e.get(L_T0);
      e.op(Op.I32Clz);
      e.op(Op.I32Sub);
    }
  });
  e.close();
}

/** XADD E, G: G gets E, then E the sum, with ADD's flags (the interpreter's order). */
export function xadd(e: Emitter, ins: Insn, sz: number): void {
  const g = ins.d.modrm!.reg;
  rmwReadE(e, ins, sz);
  alu(e, 0, sz, () => e.readReg(sz, g));
  e.writeReg(sz, g, () => e.get(L_T0));
  rmwWriteE(e, ins, sz, () => e.get(L_T2));
  aluFlags(e, 0, sz);
}

/**
 * CMPXCHG E, G: CMP of the accumulator with E; equal, E gets G, else the
 * accumulator gets E, and E is written back with its own value (the
 * interpreter's order: asm/cpu/execute0f.ts cmpxchg).
 */
export function cmpxchg(e: Emitter, ins: Insn, sz: number): void {
  rmwReadE(e, ins, sz);
  e.get(L_T0);
  e.set(L_T3);
  e.readReg(sz, 0);
  e.set(L_T0);
  alu(e, 7, sz, () => e.get(L_T3));
  aluFlags(e, 7, sz);
  rmwWriteE(e, ins, sz, () => {
    e.readReg(sz, ins.d.modrm!.reg);
    e.get(L_T1);
    e.get(L_T2);
    e.op(Op.I32Eqz);
    e.op(Op.Select);
  });
  e.get(L_T2);
  e.open(Op.If);
  e.writeReg(sz, 0, () => e.get(L_T1));
  e.close();
}

/** MUL E: the unsigned accumulator times E into the double-width accumulator; CF = OF = the high half is not 0 (mulFlags). */
export function mul(e: Emitter, ins: Insn, sz: number): void {
  readE(e, ins, sz);
  e.set(L_T1);
  if (sz === 2) {
    e.get(L_REG);
    e.b.byte(Op.I64ExtendI32U);
    e.get(L_T1);
    e.b.byte(Op.I64ExtendI32U);
    e.b.byte(Op.I64Mul);
    e.b.byte(Op.LocalTee);
    e.b.u32(L_W);
    e.b.byte(Op.I32WrapI64);
    e.set(L_T2);
    e.b.byte(Op.LocalGet);
    e.b.u32(L_W);
    e.b.byte(Op.I64Const);
    e.b.s32(32);
    e.b.byte(Op.I64ShrU);
    e.b.byte(Op.I32WrapI64);
    e.set(L_REG + 2);
    e.get(L_T2);
    e.set(L_REG);
    e.get(L_REG + 2);
  } else {
    // A byte or word product fits in 32 bits: AX (byte), or DX:AX (word).
    e.readReg(sz, 0);
    e.get(L_T1);
    e.op(Op.I32Mul);
    e.set(L_T2);
    e.writeReg(1, 0, () => e.get(L_T2));
    if (sz === 1) {
      e.writeReg(1, 2, () => {
        e.get(L_T2);
        e.i32(16);
        e.op(Op.I32ShrU);
      });
    }
    e.get(L_T2);
    e.i32(sz === 0 ? 8 : 16);
    e.op(Op.I32ShrU);
    e.get(L_T2);
    e.i32(sizeMask(sz));
    e.op(Op.I32And);
    e.set(L_T2);
  }
  e.i32(0);
  e.op(Op.I32Ne);
  e.set(L_T0);
  e.get(L_T0);
  e.set(L_T1);
  resultFlags(e, sz);
}

/** IMUL G, E (and G, E, imm): the truncated signed product, CF = OF = it did not fit. */
export function imul(e: Emitter, ins: Insn, sz: number, imm: number | null): void {
  const d = ins.d;
  readE(e, ins, sz);
  e.set(L_T0);
  const operand = (push: () => void) => {
    push();
    if (sz === 1) e.op(Op.I32Extend16S);
    e.b.byte(Op.I64ExtendI32S);
  };
  operand(() => e.get(L_T0));
  operand(imm === null ? () => e.readReg(sz, d.modrm!.reg) : () => e.i32(imm));
  e.b.byte(Op.I64Mul);
  e.b.byte(Op.LocalTee);
  e.b.u32(L_W);
  e.b.byte(Op.I32WrapI64);
  if (sz === 1) {
    e.i32(0xffff);
    e.op(Op.I32And);
  }
  e.set(L_T2);
  // Overflow: the product differs from its truncation sign-extended back.
  e.b.byte(Op.LocalGet);
  e.b.u32(L_W);
  e.get(L_T2);
  if (sz === 1) e.op(Op.I32Extend16S);
  e.b.byte(Op.I64ExtendI32S);
  e.b.byte(Op.I64Ne);
  e.set(L_T0);
  e.get(L_T0);
  e.set(L_T1);
  e.writeReg(sz, d.modrm!.reg, () => e.get(L_T2));
  resultFlags(e, sz);
}
