// DIV and IDIV (F6/F7 /6 /7): the double-width accumulator by E in i64
// arithmetic. A zero divisor or a quotient that does not fit raises #DE
// through the core before any register changes, as asm/cpu/muldiv.ts does;
// the flags stay as they were (the interpreter leaves them too).

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_T2, L_W, F_RAISE } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { faultCheck } from './emit-exits.ts';
import { readE } from './emit-memory.ts';

const VEC_DE = 0;

/** Raises #DE when the i32 on the stack is not 0, and leaves the region at `ins` with its state before it. */
function divideErrorIf(e: Emitter, ins: Insn): void {
  e.open(Op.If, 'unlikely');
  e.i32(VEC_DE);
  e.call(F_RAISE);
  faultCheck(e, ins);
  e.close();
}

function i64(e: Emitter, v: number): void {
  e.op(Op.I64Const);
  e.b.s32(v);
}

/** Pushes the dividend (AX, DX:AX or EDX:EAX) as an i64, signed for IDIV. */
function dividend(e: Emitter, sz: number, signed: boolean): void {
  if (sz === 2) {
    e.get(L_REG + 2);
    e.op(Op.I64ExtendI32U);
    i64(e, 32);
    e.op(Op.I64Shl);
    e.get(L_REG);
    e.op(Op.I64ExtendI32U);
    e.op(Op.I64Or);
    return;
  }
  if (sz === 1) {
    e.readReg(1, 2);
    e.i32(16);
    e.op(Op.I32Shl);
    e.readReg(1, 0);
    e.op(Op.I32Or);
  } else {
    e.readReg(1, 0);
    if (signed) e.op(Op.I32Extend16S);
  }
  e.op(signed ? Op.I64ExtendI32S : Op.I64ExtendI32U);
}

export function divide(e: Emitter, ins: Insn, sz: number, signed: boolean): void {
  // The divisor, extended to 32 bits as its signedness says (readE zero-extends).
  readE(e, ins, sz);
  if (signed && sz < 2) e.op(sz === 0 ? Op.I32Extend8S : Op.I32Extend16S);
  e.set(L_T0);
  e.get(L_T0);
  e.op(Op.I32Eqz);
  if (signed && sz === 2) {
    // The most negative dividend by -1 overflows (and i64.div_s would trap on it).
    e.get(L_T0);
    e.i32(-1);
    e.op(Op.I32Eq);
    e.get(L_REG + 2);
    e.i32(0x80000000);
    e.op(Op.I32Eq);
    e.op(Op.I32And);
    e.get(L_REG);
    e.op(Op.I32Eqz);
    e.op(Op.I32And);
    e.op(Op.I32Or);
  }
  divideErrorIf(e, ins);
  const divided = (quotient: boolean) => {
    dividend(e, sz, signed);
    e.get(L_T0);
    e.op(signed ? Op.I64ExtendI32S : Op.I64ExtendI32U);
    e.op(quotient ? (signed ? Op.I64DivS : Op.I64DivU) : signed ? Op.I64RemS : Op.I64RemU);
  };
  divided(true);
  e.op(Op.LocalTee);
  e.b.u32(L_W);
  // The quotient must fit the operand size: unsigned, nothing above its bits; signed, the bits above its sign all equal to it.
  const bits = 8 << sz;
  if (signed) {
    i64(e, bits - 1);
    e.op(Op.I64ShrS);
    i64(e, 1);
    e.op(Op.I64Add);
    i64(e, 1);
  } else {
    i64(e, bits);
  }
  e.op(Op.I64ShrU);
  e.op(Op.I64Eqz);
  e.op(Op.I32Eqz);
  divideErrorIf(e, ins);
  divided(false);
  e.op(Op.I32WrapI64);
  e.set(L_T1);
  e.op(Op.LocalGet);
  e.b.u32(L_W);
  e.op(Op.I32WrapI64);
  e.set(L_T2);
  if (sz === 0) {
    // AL = quotient, AH = remainder.
    e.writeReg(1, 0, () => {
      e.get(L_T1);
      e.i32(0xff);
      e.op(Op.I32And);
      e.i32(8);
      e.op(Op.I32Shl);
      e.get(L_T2);
      e.i32(0xff);
      e.op(Op.I32And);
      e.op(Op.I32Or);
    });
  } else {
    e.writeReg(sz, 0, () => e.get(L_T2));
    e.writeReg(sz, 2, () => e.get(L_T1));
  }
}
