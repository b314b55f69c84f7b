// What compiled regions call back into the core for: memory accesses with
// every segment, paging and MMIO rule (the interpreter's own paths), the
// lazy-flag record when a region did not produce the flags itself, and one
// instruction run by the interpreter for forms the translator does not emit.
//
// `pending` is how many instructions the region has retired without adding
// them to the slice yet: a device reached through MMIO reads the clock, which
// must be what the interpreter would show there.

import { EAX, ESP, reg32, setReg32 } from './state';
import { faulted, faultIsTrap, raise } from './fault';
import { beginInstruction, ip, readMem, writeMem, rmwReadAt, rmwWriteMem } from './decode';
import { execute } from './execute';
import { condition } from './flags';
import { advanceSlice } from './clock';
import { rdtsc } from './system';
import { readSource } from './sse/operands';
import { sseUsable } from './sse/mxcsr';

// Per-form counts of the instructions compiled code hands to the interpreter
// (jitStep) or ends a region at, so a user can see what is left to compile:
// the translator numbers the forms (src/core/jit/coverage.ts) and a region
// adds to its form's count where it hands over. Exported mutable, as regions
// import it; only statistics read it.
export const JIT_FORM_SLOTS: u32 = 1024;
export let jitFormCounts: u32 = <u32>memory.data(<i32>JIT_FORM_SLOTS * 4, 16);

// The count lent to the slice while a helper runs (the region adds its own at exits).
let lent: u32 = 0;

@inline function withPending(n: u32): void {
  advanceSlice(n - lent);
  lent = n;
}

export function jitRead(seg: i32, off: u32, sz: u32, pending: u32): u32 {
  withPending(pending);
  const v = readMem(seg, off, sz);
  withPending(0);
  return v;
}

export function jitWrite(seg: i32, off: u32, sz: u32, v: u32, pending: u32): void {
  withPending(pending);
  writeMem(seg, off, sz, v);
  withPending(0);
}

/** The read of a read-modify-write: the destination is checked for writing first, as the interpreter does. */
export function jitRmwRead(seg: i32, off: u32, sz: u32, pending: u32): u32 {
  withPending(pending);
  const v = rmwReadAt(seg, off, sz);
  withPending(0);
  return v;
}

export function jitRmwWrite(sz: u32, v: u32, pending: u32): void {
  withPending(pending);
  rmwWriteMem(sz, v);
  withPending(0);
}

/** Condition code `cc` from the flags as the region found them. */
export function jitCondition(cc: u32): u32 {
  return condition(cc) ? 1 : 0;
}

/**
 * RDTSC: the TSC at this instruction (the region's pending count lent to the
 * slice, as the interpreter's count stands there). Returns EAX; EDX goes to
 * the state block, where the region takes it from. A #GP (CR4.TSD at CPL > 0)
 * writes neither.
 */
export function jitRdtsc(pending: u32): u32 {
  withPending(pending);
  rdtsc();
  withPending(0);
  return reg32(EAX);
}

/** A fault without an error code that compiled code detected itself (#DE of DIV and IDIV). */
export function jitRaise(vector: u32): void {
  raise(vector, 0, false);
}

/** An SSE instruction's 16-byte memory source into the scratch (its address returned, 0 after #GP or #PF). */
export function jitReadSource(seg: i32, off: u32, aligned: u32, pending: u32): u32 {
  withPending(pending);
  const at = readSource(seg, off, 16, aligned != 0);
  withPending(0);
  return at;
}

/** Raises the fault (#UD or #NM) that keeps an SSE instruction from running, when compiled code found one. */
export function jitSseFault(): void {
  sseUsable();
}

/**
 * Runs the instruction at `eip` with the interpreter, the region's registers
 * and flags already in the state block. Returns the EIP after it; on a fault
 * ESP is as it was before, as the run loop would leave it.
 */
export function jitStep(eip: u32): u32 {
  beginInstruction(eip);
  const esp = reg32(ESP);
  execute();
  if (faulted && !faultIsTrap) setReg32(ESP, esp);
  return ip;
}
