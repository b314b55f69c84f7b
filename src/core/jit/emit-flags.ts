// Lazy flags in compiled code, as the interpreter keeps them
// (asm/cpu/flags.ts): inside a block the producing instruction is known when
// compiling, so a condition after CMP becomes one wasm compare. Between
// blocks the record (and EFLAGS) is in locals; the core's globals and state
// block get it only where something outside the region reads it: at exits,
// interpreter steps and the helpers that evaluate flags.

import { Op } from './wasm.ts';
import {
  G_A,
  G_B,
  G_KIND,
  G_SIZE,
  G_RES,
  G_MASK,
  F_COND,
  L_KIND,
  L_SIZE,
  L_MASK,
  L_EFL,
  L_FA,
  L_FB,
  L_FRES,
  L_T0,
  L_T1,
  L_T2,
  L_T3,
  L_C,
  L_FC,
  CF,
  PF,
  AF,
  ZF,
  SF,
  OF,
  ARITH,
  K_ADD,
  K_SUB,
  K_LOGIC,
} from './abi.ts';
import type { Emitter } from './emitter.ts';

/** Makes the record dynamic: the known producer goes into the record's locals. */
export function flushFlags(e: Emitter): void {
  const f = e.flags;
  if (!f) return;
  e.i32(f.kind);
  if (f.carry) {
    e.get(L_FC);
    e.op(Op.I32Add);
  }
  e.set(L_KIND);
  e.i32(f.size);
  e.set(L_SIZE);
  e.i32(f.mask);
  e.set(L_MASK);
}

/** The core's lazy-flag globals and the locals that hold them in a region. */
const RECORD: readonly [number, number][] = [
  [G_KIND, L_KIND],
  [G_SIZE, L_SIZE],
  [G_A, L_FA],
  [G_B, L_FB],
  [G_RES, L_FRES],
  [G_MASK, L_MASK],
];

/** The core's record and EFLAGS into the locals (region entry, after the interpreter ran). */
export function loadFlagState(e: Emitter): void {
  for (const [g, l] of RECORD) {
    if (!e.uses(l)) continue;
    e.gget(g);
    e.rawSet(l);
  }
  if (!e.uses(L_EFL)) return;
  e.load(e.layout.OFF_EFLAGS);
  e.rawSet(L_EFL);
}

/** The dynamic record and EFLAGS back to the core (call flushFlags first where a producer is known). */
export function storeFlagState(e: Emitter): void {
  for (const [g, l] of RECORD) {
    if (!e.writes(l)) continue;
    e.rawGet(l);
    e.gset(g);
  }
  if (!e.writes(L_EFL)) return;
  e.i32(0);
  e.rawGet(L_EFL);
  e.b.byte(Op.I32Store);
  e.b.u32(2);
  e.b.u32(e.layout.OFF_EFLAGS);
}

/** Pushes local l with `bits` cleared. */
function without(e: Emitter, l: number, bits: number): void {
  e.get(l);
  e.i32(~bits);
  e.op(Op.I32And);
}

function eflagsBit(e: Emitter, bit: number): void {
  e.get(L_EFL);
  e.i32(31 - Math.clz32(bit));
  e.op(Op.I32ShrU);
  e.i32(1);
  e.op(Op.I32And);
}

function signOf(e: Emitter): void {
  e.i32((8 << e.flags!.size) - 1);
  e.op(Op.I32ShrU);
  e.i32(1);
  e.op(Op.I32And);
}

/** Pushes flag `bit` (0/1) of the known producer. */
function flag(e: Emitter, bit: number): void {
  const f = e.flags!;
  if ((f.mask & bit) === 0) {
    eflagsBit(e, bit);
    return;
  }
  switch (bit) {
    case CF: {
      if (f.kind === K_LOGIC) {
        e.i32(0);
        return;
      }
      // ADD: res < a (ADC with a carry in: res <= a); SUB: a < b (SBB: a <= b).
      const [x, y] = f.kind === K_ADD ? [L_FRES, L_FA] : [L_FA, L_FB];
      if (f.carry) {
        e.get(x);
        e.get(y);
        e.op(Op.I32LeU);
      }
      e.get(x);
      e.get(y);
      e.op(Op.I32LtU);
      if (f.carry) {
        e.get(L_FC);
        e.op(Op.Select);
      }
      return;
    }
    case ZF:
      e.get(L_FRES);
      e.op(Op.I32Eqz);
      return;
    case SF:
      e.get(L_FRES);
      signOf(e);
      return;
    case PF:
      // Set for an even count of ones in the low byte.
      e.get(L_FRES);
      e.i32(0xff);
      e.op(Op.I32And);
      e.op(Op.I32Popcnt);
      bitOf(e, () => e.i32(0));
      e.op(Op.I32Eqz);
      return;
    case OF:
      if (f.kind === K_LOGIC) {
        e.i32(0);
        return;
      }
      if (f.kind === K_ADD) {
        e.get(L_FA);
        e.get(L_FRES);
        e.op(Op.I32Xor);
        e.get(L_FB);
        e.get(L_FRES);
        e.op(Op.I32Xor);
      } else {
        e.get(L_FA);
        e.get(L_FB);
        e.op(Op.I32Xor);
        e.get(L_FA);
        e.get(L_FRES);
        e.op(Op.I32Xor);
      }
      e.op(Op.I32And);
      signOf(e);
      return;
    default:
      throw new Error(`no flag ${bit}`);
  }
}

/** Pushes condition cc (0/1), as asm/cpu/flags.ts condition() computes it. */
export function condition(e: Emitter, cc: number): void {
  const f = e.flags;
  if (!f) {
    storeFlagState(e);
    e.i32(cc);
    e.call(F_COND);
    return;
  }
  const test = cc >> 1;
  if (f.kind === K_SUB && !f.carry && f.mask === ARITH && (test === 1 || test === 2 || test === 3 || test === 6 || test === 7)) {
    const sh = 32 - (8 << f.size);
    const operand = (l: number) => {
      e.get(l);
      if (sh) {
        e.i32(sh);
        e.op(Op.I32Shl);
      }
    };
    operand(L_FA);
    operand(L_FB);
    e.op(test === 1 ? Op.I32LtU : test === 2 ? Op.I32Eq : test === 3 ? Op.I32LeU : test === 6 ? Op.I32LtS : Op.I32LeS);
  } else {
    switch (test) {
      case 0:
        flag(e, OF);
        break;
      case 1:
        flag(e, CF);
        break;
      case 2:
        flag(e, ZF);
        break;
      case 3:
        flag(e, CF);
        flag(e, ZF);
        e.op(Op.I32Or);
        break;
      case 4:
        flag(e, SF);
        break;
      case 5:
        flag(e, PF);
        break;
      case 6:
        flag(e, SF);
        flag(e, OF);
        e.op(Op.I32Ne);
        break;
      default:
        flag(e, ZF);
        flag(e, SF);
        flag(e, OF);
        e.op(Op.I32Ne);
        e.op(Op.I32Or);
        break;
    }
  }
  if (cc & 1) e.op(Op.I32Eqz);
}

/** Bit n of the value below on the stack, n pushed by `by` (a right shift by `shift`, then the low bit). */
export function bitOf(e: Emitter, by: () => void, shift: number = Op.I32ShrU): void {
  by();
  e.op(shift);
  e.i32(1);
  e.op(Op.I32And);
}

/** Records a producer: a, b, res are in T0, T1, T2 (masked to the size). */
export function produce(e: Emitter, kind: number, size: number, mask: number, carry = false): void {
  e.get(L_T0);
  e.set(L_FA);
  e.get(L_T1);
  e.set(L_FB);
  e.get(L_T2);
  e.set(L_FRES);
  if (carry) {
    e.get(L_C);
    e.set(L_FC);
  }
  e.flags = { kind, size, mask, carry };
}

/**
 * Sets EFLAGS bits in `mask` directly to the 0/1 values `push` leaves for
 * each, shifted into place (setFlagBits): they leave the lazy record.
 */
export function setFlagBits(e: Emitter, mask: number, push: () => void): void {
  without(e, L_EFL, mask);
  push();
  e.op(Op.I32Or);
  e.set(L_EFL);
  const arith = mask & ARITH;
  if (!arith) return;
  if (e.flags) e.flags = { ...e.flags, mask: e.flags.mask & ~arith };
  else {
    without(e, L_MASK, arith);
    e.set(L_MASK);
  }
}

/** After a shift or multiply: CF, OF, AF (0) direct from T0 (CF) and T1 (OF), PF ZF SF lazy from T2 (K_LOGIC). */
export function resultFlags(e: Emitter, sz: number): void {
  setFlagBits(e, CF | OF | AF, () => {
    e.get(L_T0);
    e.get(L_T1);
    e.i32(11);
    e.op(Op.I32Shl);
    e.op(Op.I32Or);
  });
  e.i32(0);
  e.set(L_T0);
  e.i32(0);
  e.set(L_T1);
  produce(e, K_LOGIC, sz, PF | ZF | SF);
}

/** Before an INC/DEC: CF leaves the lazy record for the state block, as setLazy's resolve does. */
export function keepCarry(e: Emitter): void {
  const f = e.flags;
  if (!f) {
    // Which producer the record holds is known only at run time: CF from the
    // record as asm/cpu/flags.ts lazyCF computes it, inline (T1 and T3 are
    // free here: INC/DEC sets T1 after this).
    e.get(L_MASK);
    e.i32(CF);
    e.op(Op.I32And);
    e.open(Op.If);
    for (const [from, into] of [
      [L_FA, L_T1],
      [L_FB, L_T3],
    ]) {
      e.get(from);
      e.i32(-1);
      e.i32(32);
      e.i32(8);
      e.get(L_SIZE);
      e.op(Op.I32Shl);
      e.op(Op.I32Sub);
      e.op(Op.I32ShrU);
      e.op(Op.I32And);
      e.set(into);
    }
    without(e, L_EFL, CF);
    // By kind, innermost last: ADD res < a, ADC res <= a, SUB a < b, SBB a <= b, any other 0.
    const compares: [number, number, number][] = [
      [L_FRES, L_T1, Op.I32LtU],
      [L_FRES, L_T1, Op.I32LeU],
      [L_T1, L_T3, Op.I32LtU],
      [L_T1, L_T3, Op.I32LeU],
    ];
    for (const [x, y, cmp] of compares) {
      e.get(x);
      e.get(y);
      e.op(cmp);
    }
    e.i32(0);
    for (let kind = compares.length - 1; kind >= 0; kind--) {
      e.get(L_KIND);
      e.i32(kind);
      e.op(Op.I32Eq);
      e.op(Op.Select);
    }
    e.op(Op.I32Or);
    e.set(L_EFL);
    without(e, L_MASK, CF);
    e.set(L_MASK);
    e.close();
    return;
  }
  if ((f.mask & CF) === 0) return;
  without(e, L_EFL, CF);
  flag(e, CF);
  e.op(Op.I32Or);
  e.set(L_EFL);
  e.flags = { ...f, mask: f.mask & ~CF };
}
