// The stack a transfer to an inner privilege level switches to (an interrupt
// or a CALL through a call gate): SS:ESP for the new CPL read from the
// current TSS and checked as the SDM's pseudocode for both does, and a writer
// that builds the frame on that stack before anything is committed.

import { OFF_TR_SEL, OFF_TR_BASE, OFF_TR_LIMIT, OFF_TR_ATTR, ATTR_DB } from './state';
import { faulted, raise, VEC_TS, VEC_SS } from './fault';
import { readAs, writeAs } from './memory';
import { readDescriptor, descHigh, descBase, descLimit, descAttr } from './segments';
import { SEL_NO_RPL } from './descriptors';

export let innerSs: u32 = 0;
export let innerSp: u32 = 0;
export let innerSsBase: u32 = 0;
export let innerSsLimit: u32 = 0;
export let innerSsAttr: u32 = 0;

/**
 * Reads and checks the TSS stack for privilege `dpl`; `ext` goes into the
 * error codes. Returns false after raising #TS or #SS. The SS descriptor is
 * the one last read, so markAccessed() marks it when the caller commits.
 */
export function readInnerStack(dpl: u32, ext: u32): bool {
  const trBase = load<u32>(OFF_TR_BASE);
  const tss32 = (load<u32>(OFF_TR_ATTR) & 8) != 0;
  const slot = tss32 ? dpl * 8 + 4 : dpl * 4 + 2;
  if (slot + (tss32 ? 5 : 3) > load<u32>(OFF_TR_LIMIT)) {
    raise(VEC_TS, (load<u32>(OFF_TR_SEL) & SEL_NO_RPL) + ext, true);
    return false;
  }
  const sp = tss32 ? readAs(trBase + slot, 2, false) : readAs(trBase + slot, 1, false);
  if (faulted) return false;
  const ss = readAs(trBase + slot + (tss32 ? 4 : 2), 1, false);
  if (faulted) return false;
  if ((ss & SEL_NO_RPL) == 0) {
    raise(VEC_TS, ext, true);
    return false;
  }
  if (!readDescriptor(ss, VEC_TS)) return false;
  const access = (descHigh >> 8) & 0xff;
  if ((ss & 3) != dpl || ((access >> 5) & 3) != dpl || (access & 0x1a) != 0x12) {
    raise(VEC_TS, (ss & SEL_NO_RPL) + ext, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_SS, (ss & SEL_NO_RPL) + ext, true);
    return false;
  }
  innerSs = ss;
  innerSp = sp;
  innerSsBase = descBase();
  innerSsLimit = descLimit();
  innerSsAttr = descAttr();
  return true;
}

// The frame writer: a stack that is not (yet) the current one.
let frameBase: u32 = 0;
let frameSp: u32 = 0;
let frameMask: u32 = 0;

/** Starts a frame on the inner stack readInnerStack found. */
export function beginInnerFrame(): void {
  frameBase = innerSsBase;
  frameMask = (innerSsAttr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
  frameSp = innerSp & frameMask;
}

export function framePush(sz: u32, v: u32): void {
  frameSp = (frameSp - (1 << sz)) & frameMask;
  writeAs(frameBase + frameSp, sz, v, false);
}

/** The stack pointer after the pushes so far. */
export function frameTop(): u32 {
  return frameSp;
}

/** Whether `bytes` fit below the inner stack pointer within its segment's limit (expand-up or expand-down). */
export function innerFrameFits(bytes: u32): bool {
  const mask: u32 = (innerSsAttr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
  const top = innerSp & mask;
  const bottom = (top - bytes) & mask;
  if ((innerSsAttr & 4) != 0) return bottom > innerSsLimit && bottom < top; // expand-down
  return top - 1 <= innerSsLimit && bottom < top;
}

/** True when the inner stack is a 32-bit (B=1) one. */
export function innerStackIs32(): bool {
  return frameMask == 0xffffffff;
}
