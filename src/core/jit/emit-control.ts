// Control transfers that end a block (jumps, conditional jumps, LOOP, CALL,
// RET, indirect jumps) and instructions the interpreter runs from inside a
// region (jitStep).

import { Op } from './wasm.ts';
import { G_ATTENTION, G_FAULTED, G_SLICE, F_STEP, F_CALL, L_SLICE, L_REG, L_EXIT, L_T0, L_T2, L_T3 } from './abi.ts';
import type { Insn } from './forms.ts';
import { successors } from './region.ts';
import type { Emitter } from './emitter.ts';
import { flushFlags, condition, loadFlagState, storeFlagState } from './emit-flags.ts';
import { exit, addSlice, faultCheck, goto, countHandover, syncSlice } from './emit-exits.ts';
import { readE, push, pop } from './emit-memory.ts';

/** The control transfer that ends a block. */
export function transfer(e: Emitter, ins: Insn): void {
  const d = ins.d;
  const op = d.opcode;
  const next = ins.off + d.length;
  const count = () => e.done + 1 - e.flushed;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
    const target = successors(ins).targets[0];
    condition(e, op & 15);
    e.set(L_T0);
    e.get(L_T0);
    e.open(Op.If);
    goto(e, target, count());
    e.close();
    goto(e, next, count());
    return;
  }
  if (op >= 0xe0 && op <= 0xe3) {
    // LOOP counts ECX down first (no flags); LOOPE/LOOPNE also need ZF; JECXZ only tests ECX.
    const ecx = L_REG + 1;
    if (op !== 0xe3) {
      e.get(ecx);
      e.i32(1);
      e.op(Op.I32Sub);
      e.set(ecx);
    }
    e.get(ecx);
    if (op === 0xe3) e.op(Op.I32Eqz);
    if (op <= 0xe1) {
      e.i32(0);
      e.op(Op.I32Ne);
      condition(e, op === 0xe1 ? 4 : 5);
      e.op(Op.I32And);
    }
    e.open(Op.If);
    goto(e, successors(ins).targets[0], count());
    e.close();
    goto(e, next, count());
    return;
  }
  if (op === 0xeb || op === 0xe9) {
    goto(e, successors(ins).targets[0], count());
    return;
  }
  if (op === 0xe8) {
    push(e, ins, 2, () => e.eip(next));
    const target = successors(ins).targets[0];
    if (!e.index.has(target) && e.index.has(next)) callOut(e, ins, () => e.eip(target), count());
    else goto(e, target, count());
    return;
  }
  if (op === 0xc2 || op === 0xc3) {
    pop(e, ins, 2, op === 0xc2 ? d.imms[0] : 0);
    // Back to a call made in this region: stay in it (the same block the run loop would find).
    for (const back of e.returns) {
      e.get(L_T3);
      e.eip(back);
      e.op(Op.I32Eq);
      e.open(Op.If);
      goto(e, back, count());
      e.close();
    }
    exit(e, count(), () => e.get(L_T3));
    return;
  }
  // FF /2 CALL Ev, FF /4 JMP Ev
  readE(e, ins, 2);
  e.set(L_T0);
  if (d.modrm!.reg === 2) {
    push(e, ins, 2, () => e.eip(next));
    if (e.index.has(next)) {
      callOut(e, ins, () => e.get(L_T0), count());
      return;
    }
  }
  exit(e, count(), () => e.get(L_T0));
}

/**
 * A CALL out of the region, its return address pushed and `target` its
 * destination: the callee's region (if one is compiled) runs as a function
 * call (jitCall), and when it comes back to the instruction after the CALL
 * with nothing pending, this region goes on there, where the run loop would
 * have chained to; else the region leaves for wherever the callee stopped,
 * the guest state (a fault's included) as the callee left it in the core.
 */
function callOut(e: Emitter, ins: Insn, target: () => void, count: number): void {
  const next = ins.off + ins.d.length;
  flushFlags(e);
  e.flags = null;
  addSlice(e, count);
  e.storeRegs();
  storeFlagState(e);
  syncSlice(e);
  target();
  e.eip(next);
  e.b.byte(Op.Call);
  e.b.u32(F_CALL);
  e.set(L_T2);
  e.gget(G_SLICE);
  e.set(L_SLICE);
  e.loadLimit();
  e.get(L_T2);
  e.eip(next);
  e.op(Op.I32Eq);
  e.gget(G_FAULTED);
  e.op(Op.I32Eqz);
  e.op(Op.I32And);
  e.open(Op.If, 'likely');
  e.loadRegs();
  loadFlagState(e);
  goto(e, next, 0);
  e.close();
  e.get(L_T2);
  e.set(L_EXIT);
  e.br(e.passLevel);
}

/** One instruction run by the interpreter, with registers and flags in the state block around it. */
export function step(e: Emitter, ins: Insn): void {
  flushFlags(e);
  e.flags = null;
  e.storeRegs();
  storeFlagState(e);
  addSlice(e, e.done - e.flushed);
  e.flushed = e.done;
  countHandover(e, ins, 'step');
  syncSlice(e);
  e.eip(ins.off);
  e.call(F_STEP);
  e.set(L_T0);
  e.gget(G_SLICE);
  e.set(L_SLICE);
  e.loadRegs();
  loadFlagState(e);
  faultCheck(e, ins);
  // A control transfer, a repeated string instruction coming back, or something for the run loop.
  e.get(L_T0);
  e.eip(ins.off + ins.d.length);
  e.op(Op.I32Ne);
  e.gget(G_ATTENTION);
  e.op(Op.I32Or);
  e.open(Op.If);
  exit(e, e.done + 1 - e.flushed, () => e.get(L_T0));
  e.close();
}
