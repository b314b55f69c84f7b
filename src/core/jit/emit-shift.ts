// Shifts and rotates, with the flags asm/cpu/shift.ts gives them.

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_T2, L_T3, L_C, CF, OF, sizeMask } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { flushFlags, setFlagBits, resultFlags } from './emit-flags.ts';
import { rmwReadE, rmwWriteE } from './emit-memory.ts';

/**
 * SHL/SHR/SAR (`kind` 4-7) of E by a constant count or by CL (null), as
 * asm/cpu/shift.ts computes them: E is read and written back even when the
 * masked count is 0, which changes no flag. For a count past the operand's
 * width the wasm shifts by count - 1 give the interpreter's CF without a
 * special case, since the operand is masked to its size.
 */
export function shiftE(e: Emitter, ins: Insn, kind: number, sz: number, count: number | null): void {
  const c = count === null ? -1 : count & 31;
  if (c === 0 && ins.d.modrm!.mod === 3) return;
  rmwReadE(e, ins, sz);
  e.get(L_T0);
  e.set(L_T2);
  if (c !== 0) {
    const bits = 8 << sz;
    const by = (less: number) => {
      if (c > 0) e.i32(c - less);
      else {
        e.get(L_C);
        if (less) {
          e.i32(less);
          e.op(Op.I32Sub);
        }
      }
    };
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
    if (c < 0) {
      // The flags stay as they are for a count of 0: the record goes to the core's globals around the shift.
      flushFlags(e);
      e.flags = null;
      e.readReg(0, 1);
      e.i32(31);
      e.op(Op.I32And);
      e.b.byte(Op.LocalTee);
      e.b.u32(L_C);
      e.open(Op.If);
    }
    // CF into T3, OF into T1, the result into T2.
    if (kind === 5) {
      e.get(L_T0);
      by(1);
      e.op(Op.I32ShrU);
      e.i32(1);
      e.op(Op.I32And);
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
      by(1);
      e.op(Op.I32ShrS);
      e.i32(1);
      e.op(Op.I32And);
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
      e.i32(bits - 1);
      e.op(Op.I32ShrU);
      e.i32(1);
      e.op(Op.I32And);
      e.set(L_T3);
      e.get(L_T0);
      by(0);
      e.op(Op.I32Shl);
      masked();
      e.set(L_T2);
      e.get(L_T2);
      e.i32(bits - 1);
      e.op(Op.I32ShrU);
      e.get(L_T3);
      e.op(Op.I32Xor);
      e.set(L_T1);
    }
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

/** ROL/ROR of a 32-bit register by a constant count: CF and OF direct, the lazy record untouched (rotateFlags). */
export function rotate(e: Emitter, right: boolean, r: number, count: number): void {
  if (count === 0) return;
  const reg = L_REG + r;
  e.get(reg);
  e.i32(count);
  e.op(right ? Op.I32Rotr : Op.I32Rotl);
  e.set(reg);
  setFlagBits(e, CF | OF, () => {
    if (right) {
      // CF = MSB, OF = MSB ^ the bit below it.
      e.get(reg);
      e.i32(31);
      e.op(Op.I32ShrU);
      e.get(reg);
      e.get(reg);
      e.i32(1);
      e.op(Op.I32Shl);
      e.op(Op.I32Xor);
      e.i32(31);
      e.op(Op.I32ShrU);
    } else {
      // CF = LSB, OF = MSB ^ CF.
      e.get(reg);
      e.i32(1);
      e.op(Op.I32And);
      e.get(reg);
      e.i32(31);
      e.op(Op.I32ShrU);
      e.get(reg);
      e.i32(1);
      e.op(Op.I32And);
      e.op(Op.I32Xor);
    }
    e.i32(11);
    e.op(Op.I32Shl);
    e.op(Op.I32Or);
  });
}

/**
 * SHLD/SHRD of a 32-bit E, filling from G, by a constant count or by CL
 * (null), as asm/cpu/shift.ts shiftDouble computes them: E is read and
 * written back even when the masked count is 0, which changes no flag.
 */
export function shiftDoubleE(e: Emitter, ins: Insn, left: boolean, count: number | null): void {
  const m = ins.d.modrm!;
  const c = count === null ? -1 : count & 31;
  if (c === 0 && m.mod === 3) return;
  rmwReadE(e, ins, 2);
  e.get(L_T0);
  e.set(L_T2);
  if (c !== 0) {
    // The count (less `less`), or 32 minus it: both in 1..31 once the count is not 0.
    const by = (less: number) => {
      if (c > 0) e.i32(c - less);
      else {
        e.get(L_C);
        if (less) {
          e.i32(less);
          e.op(Op.I32Sub);
        }
      }
    };
    const rest = () => {
      e.i32(32);
      by(0);
      e.op(Op.I32Sub);
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
    e.get(L_T0);
    by(0);
    e.op(left ? Op.I32Shl : Op.I32ShrU);
    e.readReg(2, m.reg);
    rest();
    e.op(left ? Op.I32ShrU : Op.I32Shl);
    e.op(Op.I32Or);
    e.set(L_T2);
    // CF: the last bit shifted out of E.
    e.get(L_T0);
    if (left) rest();
    else by(1);
    e.op(Op.I32ShrU);
    e.i32(1);
    e.op(Op.I32And);
    e.set(L_T3);
    // OF: the sign changed.
    e.get(L_T2);
    e.get(L_T0);
    e.op(Op.I32Xor);
    e.i32(31);
    e.op(Op.I32ShrU);
    e.set(L_T1);
    e.get(L_T3);
    e.set(L_T0);
    resultFlags(e, 2);
    if (c < 0) {
      flushFlags(e);
      e.flags = null;
      e.close();
    }
  }
  rmwWriteE(e, ins, 2, () => e.get(L_T2));
}
