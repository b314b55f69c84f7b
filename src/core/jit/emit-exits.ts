// Leaving a block or the region: the flags and the retired count go to the
// core, and the EIP to continue at; a fault leaves the state before the
// faulting instruction, and an access that took the slow path gives the run
// loop its turn when something needs it.

import { Op } from './wasm.ts';
import { G_ATTENTION, G_FAULTED, G_SLICE, G_FORMS, L_NEXT, L_EXIT, L_SLOW, L_SLICE } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { flushFlags } from './emit-flags.ts';
import { formSlot, type Handover } from './coverage.ts';

/** Leaves the region: flags to the core, `count` more instructions retired, EIP from `push`. */
export function exit(e: Emitter, count: number, push: () => void): void {
  flushFlags(e);
  addSlice(e, count);
  push();
  e.set(L_EXIT);
  e.br(e.exitLevel);
}

export function addSlice(e: Emitter, count: number): void {
  if (count === 0) return;
  e.get(L_SLICE);
  e.i32(count);
  e.op(Op.I32Add);
  e.set(L_SLICE);
}

/** The core's slice count from the region's (before a helper that reads the clock, and at the region's end). */
export function syncSlice(e: Emitter): void {
  e.get(L_SLICE);
  e.gset(G_SLICE);
}

/** After a helper that may fault: leave with the state before instruction `ins` (which counts as retired, as in run()). */
export function faultCheck(e: Emitter, ins: Insn): void {
  e.gget(G_FAULTED);
  e.open(Op.If, 'unlikely');
  exit(e, e.done + 1 - e.flushed, () => e.eip(ins.off));
  e.close();
}

/**
 * After an instruction with memory operands: if one took the slow path (a
 * device, a write to code), stop before the next instruction when anything
 * needs the run loop.
 */
export function attentionCheck(e: Emitter, ins: Insn): void {
  e.get(L_SLOW);
  e.open(Op.If, 'unlikely');
  e.i32(0);
  e.set(L_SLOW);
  e.gget(G_ATTENTION);
  e.open(Op.If, 'unlikely');
  exit(e, e.done + 1 - e.flushed, () => e.eip(ins.off + ins.d.length));
  e.close();
  e.close();
}

export function markSlow(e: Emitter): void {
  e.i32(1);
  e.set(L_SLOW);
}

/** Continues at page offset `target`: another block of the region, or an exit. */
export function goto(e: Emitter, target: number, count: number): void {
  flushFlags(e);
  addSlice(e, count);
  const i = e.index.get(target);
  if (i === undefined) {
    e.eip(target);
    e.set(L_EXIT);
    e.br(e.exitLevel);
  } else if (i === e.current && e.selfLevel >= 0) {
    e.br(e.selfLevel);
  } else if (i > e.current) {
    // Forward: the end of block i's label is where its code starts.
    e.br(e.blockLevel[i]);
  } else {
    e.i32(i);
    e.set(L_NEXT);
    e.br(e.topLevel);
  }
}

/** Counts `ins` as handed to the interpreter (`how`: stepped, or the region ends at it) in the core's per-form table. */
export function countHandover(e: Emitter, ins: Insn, how: Handover): void {
  const at = formSlot(ins, how) * 4;
  e.gget(G_FORMS);
  e.gget(G_FORMS);
  e.b.byte(Op.I32Load);
  e.b.u32(2);
  e.b.u32(at);
  e.i32(1);
  e.op(Op.I32Add);
  e.b.byte(Op.I32Store);
  e.b.u32(2);
  e.b.u32(at);
}
