// Instructions retired: the virtual clock. The state block holds the count up
// to the start of the current run() slice; the slice's own count is a wasm
// global so the hot loop does not touch memory for it.

import { OFF_INSTR_COUNT } from './state';

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
