// Shifts and rotates, with the flags asm/cpu/shift.ts gives them.

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_T2, L_T3, L_C, CF, OF, sizeMask } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { flushFlags, setFlagBits, resultFlags, bitOf } from './emit-flags.ts';
import { rmwReadE, rmwWriteE } from './emit-memory.ts';

/** Pushes the shift count less `less` (a constant, or the masked CL in L_C). */
type Count = (less: number) => void;

/**
 * What every shift of E here shares, as asm/cpu/shift.ts does it: E is read
 * and written back even when the masked count is 0, which changes no flag;
 * a count in CL is checked at run time, with the flag record in the core's
 * globals around it. `body` computes, from E in T0, the result into T2, CF
 * into T3 and OF into T1.
 */
function shiftFrame(e: Emitter, ins: Insn, sz: number, count: number | null, body: (by: Count) => void): void {
  const c = count === null ? -1 : count & 31;
  if (c === 0 && ins.d.modrm!.mod === 3) return;
  rmwReadE(e, ins, sz);
  e.get(L_T0);
  e.set(L_T2);
  if (c !== 0) {
    const by: Count = (less) => {
      if (c > 0) e.i32(c - less);
      else {
        e.get(L_C);
        if (less) {
          e.i32(less);
          e.op(Op.I32Sub);
        }
      }
    };
    if (c < 0) {
      flushFlags(e);
      e.flags = null;
      e.readReg(0, 1);
      e.i32(31);
      e.op(Op.I32And);
      e.b.byte(Op.LocalTee);
      e.b.u32(L_C);
      e.open(Op.If);
    }
    body(by);
    e.get(L_T3);
    e.set(L_T0);
    resultFlags(e, sz);
    if (c < 0) {
      flushFlags(e);
      e.flags = null;
      e.close();
    }
  }
  rmwWriteE(e, ins, sz, () => e.get(L_T2));
}

/**
 * SHL/SHR/SAR (`kind` 4-7) of E by a constant count or by CL (null). For a
 * count past the operand's width the wasm shifts by count - 1 give the
 * interpreter's CF without a special case, since the operand is masked to
 * its size.
 */
export function shiftE(e: Emitter, ins: Insn, kind: number, sz: number, count: number | null): void {
  const bits = 8 << sz;
  const masked = () => {
    if (sz < 2) {
      e.i32(sizeMask(sz));
      e.op(Op.I32And);
    }
  };
  const signed = () => {
    e.get(L_T0);
    if (sz < 2) e.op(sz === 0 ? Op.I32Extend8S : Op.I32Extend16S);
  };
  shiftFrame(e, ins, sz, count, (by) => {
    if (kind === 5) {
      e.get(L_T0);
      bitOf(e, () => by(1));
      e.set(L_T3);
      e.get(L_T0);
      e.i32(bits - 1);
      e.op(Op.I32ShrU);
      e.set(L_T1);
      e.get(L_T0);
      by(0);
      e.op(Op.I32ShrU);
      e.set(L_T2);
    } else if (kind === 7) {
      signed();
      bitOf(e, () => by(1), Op.I32ShrS);
      e.set(L_T3);
      signed();
      by(0);
      e.op(Op.I32ShrS);
      masked();
      e.set(L_T2);
      e.i32(0);
      e.set(L_T1);
    } else {
      e.get(L_T0);
      by(1);
      e.op(Op.I32Shl);
      bitOf(e, () => e.i32(bits - 1));
      e.set(L_T3);
      e.get(L_T0);
      by(0);
      e.op(Op.I32Shl);
      masked();
      e.set(L_T2);
      // OF: the result's sign against CF.
      e.get(L_T2);
      e.i32(bits - 1);
      e.op(Op.I32ShrU);
      e.get(L_T3);
      e.op(Op.I32Xor);
      e.set(L_T1);
    }
  });
}

/** ROL/ROR of a 32-bit register by a constant count: CF and OF direct, the lazy record untouched (rotateFlags). */
export function rotate(e: Emitter, right: boolean, r: number, count: number): void {
  if (count === 0) return;
  const reg = L_REG + r;
  e.get(reg);
  e.i32(count);
  e.op(right ? Op.I32Rotr : Op.I32Rotl);
  e.set(reg);
  setFlagBits(e, CF | OF, () => {
    // ROR: CF = the MSB, OF = it XOR the bit below. ROL: CF = the LSB, OF = the MSB XOR it
    // (the MSB of the value XOR itself rotated right by one, either way).
    e.get(reg);
    bitOf(e, () => e.i32(right ? 31 : 0));
    e.get(reg);
    e.get(reg);
    if (right) {
      e.i32(1);
      e.op(Op.I32Shl);
    } else {
      e.i32(31);
      e.op(Op.I32Rotl);
    }
    e.op(Op.I32Xor);
    bitOf(e, () => e.i32(31));
    e.i32(11);
    e.op(Op.I32Shl);
    e.op(Op.I32Or);
  });
}

/** SHLD/SHRD of a 32-bit E, filling from G, by a constant count or by CL (null): asm/cpu/shift.ts shiftDouble. */
export function shiftDoubleE(e: Emitter, ins: Insn, left: boolean, count: number | null): void {
  const g = ins.d.modrm!.reg;
  shiftFrame(e, ins, 2, count, (by) => {
    // 32 less the count: in 1..31, as the count is.
    const rest = () => {
      e.i32(32);
      by(0);
      e.op(Op.I32Sub);
    };
    e.get(L_T0);
    by(0);
    e.op(left ? Op.I32Shl : Op.I32ShrU);
    e.readReg(2, g);
    rest();
    e.op(left ? Op.I32ShrU : Op.I32Shl);
    e.op(Op.I32Or);
    e.set(L_T2);
    // CF: the last bit shifted out of E.
    e.get(L_T0);
    bitOf(e, left ? rest : () => by(1));
    e.set(L_T3);
    // OF: the sign changed.
    e.get(L_T2);
    e.get(L_T0);
    e.op(Op.I32Xor);
    e.i32(31);
    e.op(Op.I32ShrU);
    e.set(L_T1);
  });
}
