// What a compiled region and the core agree on: the globals and helpers a
// region's module imports (in import order: their indices), the wasm locals
// the emitted code keeps its state in, and the core's constants it mirrors
// (EFLAGS bits, lazy-flag kinds of asm/cpu/flags.ts, TLB entry bits of
// asm/cpu/memory.ts, segment and register numbers).

export const GLOBALS = ['attention', 'faulted', 'slice', 'runBudget', 'lfKind', 'lfSize', 'lfA', 'lfB', 'lfRes', 'lazyMask', 'jitFormCounts'] as const;
export const G_ATTENTION = 0,
  G_FAULTED = 1,
  G_SLICE = 2,
  G_BUDGET = 3,
  G_KIND = 4,
  G_SIZE = 5,
  G_A = 6,
  G_B = 7,
  G_RES = 8,
  G_MASK = 9,
  G_FORMS = 10;
export const FUNCS = [
  { name: 'jitRead', params: 4, results: 1 },
  { name: 'jitWrite', params: 5, results: 0 },
  { name: 'jitRmwRead', params: 4, results: 1 },
  { name: 'jitRmwWrite', params: 3, results: 0 },
  { name: 'jitCondition', params: 1, results: 1 },
  { name: 'jitStep', params: 1, results: 1 },
  { name: 'jitRdtsc', params: 1, results: 1 },
  { name: 'jitRaise', params: 1, results: 0 },
  { name: 'jitReadSource', params: 4, results: 1 },
  { name: 'jitSseFault', params: 0, results: 0 },
  { name: 'jitCall', params: 2, results: 1 },
] as const;
export const F_READ = 0,
  F_WRITE = 1,
  F_RMW_READ = 2,
  F_RMW_WRITE = 3,
  F_COND = 4,
  F_STEP = 5,
  F_RDTSC = 6,
  F_RAISE = 7,
  F_READ_SOURCE = 8,
  F_SSE_FAULT = 9,
  F_CALL = 10;

// The parameters: the linear address of the page, and the block to start at
// (then the block the dispatch loop goes to next).
export const L_BASE = 0,
  L_NEXT = 1;
export const L_REG = 2; // 8 guest registers, EAX..EDI
export const L_FA = 10,
  L_FB = 11,
  L_FRES = 12,
  L_EXIT = 13,
  L_T0 = 14,
  L_T1 = 15,
  L_T2 = 16,
  L_T3 = 17;
// A memory access: its offset, TLB entry, host address (0: the slow path took it) and value to store.
export const L_ADDR = 18,
  L_E = 19,
  L_H = 20,
  L_V = 21;
// ADC/SBB: the carry-in, as computed and as recorded with the flags.
export const L_C = 22,
  L_FC = 23;
// Set when an access took the core's slow path (only that can reach a device or drop code).
export const L_SLOW = 24;
// TLB hits taken inline: added to the core's counter once, when the region returns.
export const L_HITS = 25;
// The lazy-flag record when no producer is known at compile time (the core's
// lfKind lfSize lazyMask; lfA lfB lfRes are L_FA L_FB L_FRES), and EFLAGS:
// held in locals for the whole region like the registers, so the optimising
// engine drops what nothing reads, and written back at exits and helper calls.
export const L_KIND = 26,
  L_SIZE = 27,
  L_MASK = 28,
  L_EFL = 29;
// The slice count and the limit blocks check it against (the run budget, or
// 0 while attention is raised: Emitter.loadLimit), in locals for the region's
// run: the global slice is brought up to date at exits and before helpers that read it.
export const L_SLICE = 30,
  L_LIMIT = 31;
// An FS or GS access: its linear address (L_ADDR keeps the offset the core's slow path takes).
export const L_LIN = 32;
/** i32 locals after the two parameters. */
export const LOCALS = 31;
// One i64 local after the i32 ones: IMUL's full product.
export const L_W = 33;

// EFLAGS bits and the lazy-flag kinds of asm/cpu/flags.ts.
export const CF = 0x1,
  PF = 0x4,
  AF = 0x10,
  ZF = 0x40,
  SF = 0x80,
  OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;
export const K_ADD = 0,
  K_SUB = 2,
  K_LOGIC = 4;
export const CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5;
export const ESP = 4;

// TLB entry bits (asm/cpu/memory.ts).
export const T_VALID = 1,
  T_USER = 2,
  T_WSUP = 4,
  T_WUSER = 8,
  T_MMIO = 32,
  T_CODE = 64;

/** Where the core keeps what compiled code reads and writes directly (its state block and TLB). */
export interface CoreLayout {
  OFF_REGS: number;
  OFF_EFLAGS: number;
  TLB_BASE: number;
  OFF_CNT_TLB_HIT: number;
  /** The segment bases (u32 each, ES..GS) and the bytes saying a segment needs no limit or type check (SEG_FAST_READ, SEG_FAST_WRITE). */
  OFF_SEG_BASE: number;
  OFF_SEG_FAST: number;
  SEG_FAST_READ: number;
  SEG_FAST_WRITE: number;
}

/** The value mask of an operand size (0: byte, 1: word, 2: dword). */
export function sizeMask(sz: number): number {
  return sz === 2 ? 0xffffffff : sz === 1 ? 0xffff : 0xff;
}
