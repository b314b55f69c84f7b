// The emitter's state while one region is compiled, and the wasm it writes
// for the basics: constants, locals, globals, blocks, calls, and the guest
// registers, which live in wasm locals for the whole region and go to the
// core's state block at exits, helper calls and faults. The instruction
// emitters (emit-*.ts) are functions of this state.

import { Bytes, Op, VOID, I32_RESULT, type BodyHint } from './wasm.ts';
import { L_BASE, L_REG, L_LIMIT, G_ATTENTION, G_BUDGET, sizeMask, type CoreLayout } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Region } from './region.ts';

/** The flag producer known at compile time; null: the core's globals hold the record. */
export interface FlagState {
  kind: number;
  size: number;
  mask: number;
  /** ADC/SBB: the recorded kind is kind + the carry-in in L_FC (K_ADC, K_SBB), as the interpreter records it. */
  carry?: boolean;
}

/** The locals a first emission of the region found its code to read or write, and to write (bit l: local l). */
export interface StatePlan {
  touched: number;
  written: number;
}

export type BranchHint = 'likely' | 'unlikely';

export class Emitter {
  readonly b = new Bytes();
  nest = 0;
  /** Leaving the region: with the guest state written back to the core, or (passLevel) with the core holding it already. */
  exitLevel = 0;
  passLevel = 0;
  topLevel = 0;
  /** The label that starts each block's code, by block index (a forward jump branches to it). */
  readonly blockLevel: number[] = [];
  /** The block being emitted, and the label of the loop around it when it jumps to itself (else -1). */
  current = 0;
  selfLevel = -1;
  /** Block index by page offset. */
  readonly index = new Map<number, number>();
  flags: FlagState | null = null;
  total = 0;
  // Within the block being emitted: instructions before the current one, and how many of them the slice already has.
  done = 0;
  flushed = 0;
  readonly insns: Map<number, Insn>;
  readonly starts: number[];
  /** Blocks that follow a CALL in this region: where its RETs come back. */
  readonly returns: number[];
  /** The locals below 32 this emission's code read or wrote, and wrote (the state's loads and stores not counted). */
  touched = 0;
  written = 0;
  /**
   * Where the body branches one way almost always (an access that hits the
   * TLB, a block that fits the budget, a helper that did not fault): told to
   * the engine, which lays the rare side out of the way and spills for the
   * helper calls there rather than on the hot path.
   */
  readonly hints: BodyHint[] = [];

  constructor(
    region: Region,
    readonly layout: CoreLayout,
    /** CPL 3: the TLB permissions a compiled access checks. */
    readonly user: boolean,
    /**
     * From a first emission: the guest state (registers, flag record,
     * EFLAGS) goes into locals only where the code uses it, and back to the
     * core only where the code wrote it. A region entered and left for a few
     * instructions at a time (calls between pages) pays for every one.
     */
    private readonly plan?: StatePlan,
  ) {
    this.insns = region.insns;
    this.starts = region.starts;
    this.returns = region.returns;
    this.starts.forEach((s, i) => this.index.set(s, i));
  }

  op(o: number): void {
    this.b.byte(o);
  }
  i32(v: number): void {
    this.b.byte(Op.I32Const);
    this.b.s32(v | 0);
  }
  get(l: number): void {
    if (l < 32) this.touched |= 1 << l;
    this.rawGet(l);
  }
  set(l: number): void {
    if (l < 32) {
      this.touched |= 1 << l;
      this.written |= 1 << l;
    }
    this.rawSet(l);
  }
  /** A local's get or set that is part of moving the guest state, not code using it. */
  rawGet(l: number): void {
    this.b.byte(Op.LocalGet);
    this.b.u32(l);
  }
  rawSet(l: number): void {
    this.b.byte(Op.LocalSet);
    this.b.u32(l);
  }
  /** The code uses local l (a state local is loaded from the core only then). */
  uses(l: number): boolean {
    return !this.plan || (this.plan.touched & (1 << l)) !== 0;
  }
  /** The code writes local l (a state local goes back to the core only then; else it holds what the core has). */
  writes(l: number): boolean {
    return !this.plan || (this.plan.written & (1 << l)) !== 0;
  }
  gget(g: number): void {
    this.b.byte(Op.GlobalGet);
    this.b.u32(g);
  }
  gset(g: number): void {
    this.b.byte(Op.GlobalSet);
    this.b.u32(g);
  }
  /** Calls helper f; a helper may raise `attention`, so the limit the blocks check is taken again after it. */
  call(f: number): void {
    this.b.byte(Op.Call);
    this.b.u32(f);
    this.loadLimit();
  }
  /**
   * The slice count a block may not pass: the run budget, or 0 while
   * `attention` is raised. Only a helper can raise it while a region runs
   * (nothing else runs then), so a block's check is one compare of locals.
   */
  loadLimit(): void {
    this.gget(G_BUDGET);
    this.gget(G_ATTENTION);
    this.i32(1);
    this.op(Op.I32Sub);
    this.op(Op.I32And);
    this.set(L_LIMIT);
  }
  /** Opens a block, loop or if; an if's `hint` says which way it mostly goes. */
  open(kind: number, hint?: BranchHint): void {
    this.hint(hint);
    this.b.byte(kind);
    this.b.byte(VOID);
    this.nest++;
  }
  /** An if that leaves one i32. */
  openTyped(kind: number, hint?: BranchHint): void {
    this.hint(hint);
    this.b.byte(kind);
    this.b.byte(I32_RESULT);
    this.nest++;
  }
  private hint(hint: BranchHint | undefined): void {
    if (hint !== undefined) this.hints.push({ at: this.b.length, likely: hint === 'likely' });
  }
  close(): void {
    this.b.byte(Op.End);
    this.nest--;
  }
  br(level: number): void {
    this.b.byte(Op.Br);
    this.b.u32(this.nest - 1 - level);
  }
  load(offset: number): void {
    this.i32(0);
    this.b.byte(Op.I32Load);
    this.b.u32(2);
    this.b.u32(offset);
  }
  /** Pushes base + off: a guest EIP in this page (or past it). */
  eip(off: number): void {
    this.get(L_BASE);
    this.i32(off);
    this.op(Op.I32Add);
  }

  readReg(sz: number, r: number): void {
    if (sz === 0 && r >= 4) {
      this.get(L_REG + r - 4);
      this.i32(8);
      this.op(Op.I32ShrU);
      this.i32(0xff);
      this.op(Op.I32And);
      return;
    }
    this.get(L_REG + r);
    if (sz < 2) {
      this.i32(sizeMask(sz));
      this.op(Op.I32And);
    }
  }

  /** Writes the value `push` leaves on the stack to register r at size sz. */
  writeReg(sz: number, r: number, push: () => void): void {
    if (sz === 2) {
      push();
      this.set(L_REG + r);
      return;
    }
    const high = sz === 0 && r >= 4;
    const reg = L_REG + (high ? r - 4 : r);
    this.get(reg);
    this.i32(sz === 1 ? 0xffff0000 : high ? 0xffff00ff : 0xffffff00);
    this.op(Op.I32And);
    push();
    this.i32(sizeMask(sz));
    this.op(Op.I32And);
    if (high) {
      this.i32(8);
      this.op(Op.I32Shl);
    }
    this.op(Op.I32Or);
    this.set(reg);
  }

  storeRegs(): void {
    for (let r = 0; r < 8; r++) {
      if (!this.writes(L_REG + r)) continue;
      this.i32(0);
      this.rawGet(L_REG + r);
      this.b.byte(Op.I32Store);
      this.b.u32(2);
      this.b.u32(this.layout.OFF_REGS + r * 4);
    }
  }
  loadRegs(): void {
    for (let r = 0; r < 8; r++) {
      if (!this.uses(L_REG + r)) continue;
      this.load(this.layout.OFF_REGS + r * 4);
      this.rawSet(L_REG + r);
    }
  }
}
