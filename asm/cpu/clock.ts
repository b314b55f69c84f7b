// Instructions retired, and the guest time they stand for. The state block
// holds the count up to the start of the current run() slice; the slice's own
// count is a wasm global so the hot loop does not touch memory for it.
//
// Guest time is counted in TSC ticks of 10 ns (the 100 MHz the guest
// calibrates its TSC at). Under the virtual clock each instruction is one
// tick. Under the realtime clock the host sets a rate (ticks per instruction,
// at most one) that makes guest time follow the wall clock however fast the
// host runs; the instructions' ticks are then piecewise linear in the count,
// and a new rate starts where the old one left off, so time never goes back.

import { OFF_INSTR_COUNT, OFF_CLOCK_BASE_TICKS, OFF_CLOCK_BASE_COUNT, OFF_CLOCK_RATE } from './state';

/** The nominal rate in 32.32 fixed point: one tick per instruction. */
const ONE_TICK: u64 = 1 << 32;

// Exported so compiled regions add what they retire (asm/index.ts).
export let slice: u32 = 0;

@inline export function tick(): void {
  slice++;
}

/** Instructions retired in the current run() slice. */
@inline export function sliceCount(): u32 {
  return slice;
}

export function retired(): u64 {
  return load<u64>(OFF_INSTR_COUNT) + <u64>slice;
}

/** Folds the slice into the state block (when run() returns). */
export function commitSlice(): void {
  store<u64>(OFF_INSTR_COUNT, load<u64>(OFF_INSTR_COUNT) + <u64>slice);
  slice = 0;
}

/** Moves the slice count by `n` (wrapping: a compiled region lends and takes back its pending count). */
@inline export function advanceSlice(n: u32): void {
  slice += n;
}

/** Guest time of the instructions retired so far, in ticks (idle time is the host's, in the TSC offset). */
export function instructionTicks(): u64 {
  const d = retired() - load<u64>(OFF_CLOCK_BASE_COUNT);
  const rate = load<u64>(OFF_CLOCK_RATE);
  const base = load<u64>(OFF_CLOCK_BASE_TICKS);
  if (rate == 0) return base + d;
  // d × rate >> 32 without overflow: rate is at most 2^32.
  return base + (d >>> 32) * rate + (((d & 0xffffffff) * rate) >>> 32);
}

/**
 * Sets the ticks per instruction (32.32; out of (0, 1] means one) from the
 * current instruction on; the ticks so far stay as they are.
 */
export function setTickRate(rate: u64): void {
  const ticks = instructionTicks();
  store<u64>(OFF_CLOCK_BASE_TICKS, ticks);
  store<u64>(OFF_CLOCK_BASE_COUNT, retired());
  store<u64>(OFF_CLOCK_RATE, rate == 0 || rate >= ONE_TICK ? 0 : rate);
}

/** The ticks per instruction in 32.32 fixed point. */
export function tickRate(): u64 {
  const rate = load<u64>(OFF_CLOCK_RATE);
  return rate == 0 ? ONE_TICK : rate;
}
