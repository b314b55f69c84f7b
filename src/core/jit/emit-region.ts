// The region as one wasm function: a loop over a br_table dispatches between
// its blocks, so guest loops stay in wasm. Every block checks `attention` and
// the run budget before it starts, so interrupts, host requests and the
// virtual clock see the same instruction boundaries as with the interpreter.

import { type Bytes, type BodyHint, Op } from './wasm.ts';
import { G_SLICE, L_NEXT, L_EXIT, L_HITS, L_SLICE, L_LIMIT } from './abi.ts';
import type { Insn } from './forms.ts';
import { successors } from './region.ts';
import type { Emitter } from './emitter.ts';
import { flushFlags, loadFlagState, storeFlagState } from './emit-flags.ts';
import { addSlice, goto, countHandover, syncSlice } from './emit-exits.ts';
import { transfer, step } from './emit-control.ts';
import { native } from './emit-insn.ts';

export interface Translation {
  body: Bytes;
  /** Branch hints, at offsets into `body`. */
  hints: BodyHint[];
  instructions: number;
  /** Page offsets of the blocks, by index: the function can be entered at any of them. */
  entries: number[];
}

export function emitRegion(e: Emitter): Translation {
  e.loadRegs();
  loadFlagState(e);
  e.gget(G_SLICE);
  e.set(L_SLICE);
  e.loadLimit();
  e.passLevel = e.nest;
  e.open(Op.Block);
  e.exitLevel = e.nest;
  e.open(Op.Block);
  e.topLevel = e.nest;
  e.open(Op.Loop);
  const n = e.starts.length;
  for (let i = n - 1; i >= 0; i--) {
    e.blockLevel[i] = e.nest;
    e.open(Op.Block);
  }
  e.get(L_NEXT);
  e.b.byte(Op.BrTable);
  e.b.u32(n);
  for (let i = 0; i < n; i++) e.b.u32(i);
  e.b.u32(0);
  for (let i = 0; i < n; i++) {
    e.close();
    e.current = i;
    block(e, e.starts[i], i + 1 < n ? e.starts[i + 1] : -1);
  }
  e.close(); // loop
  e.close(); // exit block
  e.storeRegs();
  storeFlagState(e);
  syncSlice(e);
  e.close(); // pass block: the state is in the core already
  // Nothing reads the hit counter while run() executes: one addition covers the region's run (if it has inline accesses).
  if (e.uses(L_HITS)) addHits(e);
  e.get(L_EXIT);
  return { body: e.b, hints: e.hints, instructions: e.total, entries: e.starts };
}

function addHits(e: Emitter): void {
  e.i32(0);
  e.i32(0);
  e.b.byte(Op.I64Load);
  e.b.u32(3);
  e.b.u32(e.layout.OFF_CNT_TLB_HIT);
  e.rawGet(L_HITS); // not a use: the code's increments are
  e.b.byte(Op.I64ExtendI32U);
  e.b.byte(Op.I64Add);
  e.b.byte(Op.I64Store);
  e.b.u32(3);
  e.b.u32(e.layout.OFF_CNT_TLB_HIT);
}

/** The instructions of the block at `start`, up to a control transfer, a stop, or the next block. */
function blockInsns(e: Emitter, start: number): { list: Insn[]; end: number } {
  const list: Insn[] = [];
  let off = start;
  for (;;) {
    const ins = e.insns.get(off);
    if (!ins || ins.how === 'stop') return { list, end: off };
    list.push(ins);
    off += ins.d.length;
    if (ins.how === 'native' && successors(ins).ends) return { list, end: -1 };
    if (e.index.has(off) || off >= 4096) return { list, end: off };
  }
}

function block(e: Emitter, start: number, layoutNext: number): void {
  const { list, end } = blockInsns(e, start);
  e.flags = null;
  e.done = 0;
  e.flushed = 0;
  e.total += list.length;
  if (list.length === 0) {
    // A jump target the interpreter must run: leave the region there.
    const stop = e.insns.get(start);
    if (stop) countHandover(e, stop, 'stop');
    e.eip(start);
    e.set(L_EXIT);
    e.br(e.exitLevel);
    return;
  }
  // A block that jumps back to its own start is a wasm loop: the jump is a branch, not the dispatch.
  const tail = list[list.length - 1];
  const self = end === -1 && tail.how === 'native' && successors(tail).targets.includes(start);
  e.selfLevel = -1;
  if (self) {
    e.selfLevel = e.nest;
    e.open(Op.Loop);
  }
  // Room in the budget for the whole block, and nothing waiting: else the run loop takes over here.
  e.get(L_SLICE);
  e.i32(list.length);
  e.op(Op.I32Add);
  e.get(L_LIMIT);
  e.op(Op.I32GtU);
  e.open(Op.If, 'unlikely');
  e.eip(start);
  e.set(L_EXIT);
  e.br(e.exitLevel);
  e.close();
  for (const ins of list) {
    const last = ins === list[list.length - 1] && end === -1;
    if (ins.how === 'step') step(e, ins);
    else if (last) transfer(e, ins);
    else native(e, ins);
    e.done++;
  }
  if (end !== -1) {
    // Falls into the next block (or out of the region).
    const count = e.done - e.flushed;
    if (end === layoutNext && e.index.has(end)) {
      flushFlags(e);
      addSlice(e, count);
    } else {
      const stop = e.insns.get(end);
      if (stop?.how === 'stop') countHandover(e, stop, 'stop');
      goto(e, end, count);
    }
  }
  if (self) e.close();
}
