// Raising exceptions from inside an instruction.
//
// WebAssembly has no cheap non-local exit, so a fault is a flag: the code that
// detects it records the vector and returns a dummy value, and every
// instruction checks `faulted` after each step that can fault, before it
// changes any architectural state. The run loop then rolls EIP and ESP back
// to the start of the instruction and delivers the exception.

export const VEC_DE: u32 = 0;
export const VEC_DB: u32 = 1;
export const VEC_NMI: u32 = 2;
export const VEC_BP: u32 = 3;
export const VEC_OF: u32 = 4;
export const VEC_BR: u32 = 5;
export const VEC_UD: u32 = 6;
export const VEC_NM: u32 = 7;
export const VEC_DF: u32 = 8;
export const VEC_TS: u32 = 10;
export const VEC_NP: u32 = 11;
export const VEC_SS: u32 = 12;
export const VEC_GP: u32 = 13;
export const VEC_PF: u32 = 14;
export const VEC_MF: u32 = 16;
export const VEC_AC: u32 = 17;

export let faulted: bool = false;
export let faultVector: u32 = 0;
export let faultCode: u32 = 0;
export let faultHasCode: bool = false;
// Traps (INT3, INTO) complete the instruction: EIP points after it.
export let faultIsTrap: bool = false;
// Raised by an INT instruction: delivered with the gate DPL check and EXT clear.
export let faultIsSoftware: bool = false;

/** Raises a fault; the first one raised during an instruction wins. */
export function raise(vector: u32, code: u32, hasCode: bool): void {
  if (faulted) return;
  faulted = true;
  faultVector = vector;
  faultCode = code;
  faultHasCode = hasCode;
  faultIsTrap = false;
  faultIsSoftware = false;
}

export function raiseTrap(vector: u32): void {
  raise(vector, 0, false);
  faultIsTrap = true;
}

/**
 * A fault raised after a task switch committed: it belongs to the new task,
 * so like a trap it keeps the new EIP and ESP instead of rolling back.
 */
export function raiseAfterSwitch(vector: u32, code: u32, hasCode: bool): void {
  raise(vector, code, hasCode);
  faultIsTrap = true;
}

/** INT n, INT3, INTO: a trap delivered as a software interrupt. */
export function raiseSoftware(vector: u32): void {
  raiseTrap(vector);
  faultIsSoftware = true;
}

@inline export function gp(code: u32): void {
  raise(VEC_GP, code, true);
}
@inline export function ud(): void {
  raise(VEC_UD, 0, false);
}

export function clearFault(): void {
  faulted = false;
  faultIsTrap = false;
  faultIsSoftware = false;
}
