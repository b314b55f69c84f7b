// Leaving a block or the region: the flags and the retired count go to the
// core, and the EIP to continue at; a fault leaves the state before the
// faulting instruction, and an access that took the slow path gives the run
// loop its turn when something needs it.

import { Op } from './wasm.ts';
import { G_ATTENTION, G_FAULTED, G_SLICE, G_FORMS, L_NEXT, L_EXIT, L_SLOW, L_SLICE, T_VALID, T_USER, T_MMIO, T_NX } from './abi.ts';
import { pageOf } from './region.ts';
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
  e.open(Op.If);
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
  e.open(Op.If);
  e.i32(0);
  e.set(L_SLOW);
  e.gget(G_ATTENTION);
  e.open(Op.If);
  exit(e, e.done + 1 - e.flushed, () => e.eip(ins.off + ins.d.length));
  e.close();
  e.close();
}

export function markSlow(e: Emitter): void {
  e.i32(1);
  e.set(L_SLOW);
}

/** Continues at offset `target`: another block of the region, or an exit. */
export function goto(e: Emitter, target: number, count: number): void {
  flushFlags(e);
  addSlice(e, count);
  const i = e.index.get(target);
  const k = pageOf(target);
  if (i !== undefined && k !== 0 && k !== pageOf(e.starts[e.current])) mappedAsBefore(e, k, target);
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

/**
 * Into another page's code the region took in: only while the TLB still maps
 * it, at this privilege, to the physical page that code was read from; else
 * the run loop goes on at `target` (with whatever code is there now). The
 * entry's page needs no check: the region was entered through it, and
 * nothing that changes a mapping runs inside a region.
 */
function mappedAsBefore(e: Emitter, k: number, target: number): void {
  const need = e.user ? T_VALID | T_USER : T_VALID;
  e.eip(k * 4096);
  e.i32(12);
  e.op(Op.I32ShrU);
  e.i32(2);
  e.op(Op.I32Shl);
  e.b.byte(Op.I32Load);
  e.b.u32(2);
  e.b.u32(e.layout.TLB_BASE);
  e.i32(~0xfff | need | T_MMIO | T_NX);
  e.op(Op.I32And);
  e.i32(e.pageHosts.get(k)! | need);
  e.op(Op.I32Ne);
  e.open(Op.If);
  e.eip(target);
  e.set(L_EXIT);
  e.br(e.exitLevel);
  e.close();
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
