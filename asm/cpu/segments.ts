// Segmentation: turning segment:offset into a linear address with the limit
// and type checks, and loading data/stack segment registers with the
// protected-mode checks.
//
// Each segment register has two precomputed "fast" bits: reads (or writes)
// through it need no check at all because it is a flat, usable, expand-up
// 4 GiB segment of the right type. That is every access in a Linux guest, so
// the checks cost one byte test there.

import {
  OFF_SEG_SEL, OFF_SEG_BASE, OFF_SEG_LIMIT, OFF_SEG_ATTR, OFF_CR0, OFF_EFLAGS,
  OFF_GDTR_BASE, OFF_GDTR_LIMIT, OFF_LDTR_BASE, OFF_LDTR_LIMIT, OFF_LDTR_SEL,
  SEG_SS, SEG_CS, CR0_PE, VM, ATTR_UNUSABLE, cpl, segBase, segLimit, segAttr,
  ATTR_DB, OFF_SEG_FAST, SEG_FAST_READ as FAST_READ, SEG_FAST_WRITE as FAST_WRITE,
} from './state';
import { raise, faulted, VEC_GP, VEC_SS, VEC_NP } from './fault';
import { readAs, writeAs } from './memory';
import { SEL_TI, SEL_NO_RPL } from './descriptors';


@inline export function protectedMode(): bool {
  return (load<u32>(OFF_CR0) & CR0_PE) != 0 && (load<u32>(OFF_EFLAGS) & VM) == 0;
}

// Descriptor access-byte helpers.
@inline export function isCodeType(access: u32): bool {
  return (access & 0x18) == 0x18;
}
@inline function isDataType(access: u32): bool {
  return (access & 0x18) == 0x10;
}

// CS.D, cached: the decoder reads it for every instruction.
export let csIs32: bool = false;

export function refreshFast(s: i32): void {
  const attr = segAttr(s);
  if (s == SEG_CS) csIs32 = (attr & ATTR_DB) != 0;
  let f: u32 = 0;
  const flat = segLimit(s) == 0xffffffff && (attr & ATTR_UNUSABLE) == 0;
  if (flat) {
    if (!protectedMode()) {
      f = FAST_READ | FAST_WRITE;
    } else if (isDataType(attr)) {
      if ((attr & 4) == 0) f = FAST_READ | ((attr & 2) != 0 ? FAST_WRITE : 0); // expand-up
    } else if (isCodeType(attr) && (attr & 2) != 0) {
      f = FAST_READ;
    }
  }
  store<u8>(OFF_SEG_FAST + <u32>s, <u8>f);
}

export function refreshAllFast(): void {
  for (let s = 0; s < 6; s++) refreshFast(s);
}

function limitFault(s: i32): u32 {
  raise(s == SEG_SS ? VEC_SS : VEC_GP, 0, true);
  return 0;
}

function checkedLinear(s: i32, off: u32, size: u32, write: bool): u32 {
  const attr = segAttr(s);
  if (protectedMode()) {
    if (attr & ATTR_UNUSABLE) return limitFault(s);
    if (write) {
      if (!isDataType(attr) || (attr & 2) == 0) return limitFault(s);
    } else if (isCodeType(attr) && (attr & 2) == 0) {
      return limitFault(s);
    }
  }
  const limit = segLimit(s);
  const last = off + size - 1;
  if (isDataType(attr) && (attr & 4) != 0) {
    // Expand-down: valid offsets lie above the limit, up to 64 KiB or 4 GiB.
    const upper: u32 = (attr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
    if (off <= limit || last > upper || last < off) return limitFault(s);
  } else if (off > limit || last > limit || last < off) {
    return limitFault(s);
  }
  return segBase(s) + off;
}

/**
 * Linear address for reading `size` bytes at s:off; raises #GP/#SS on a
 * violation. A flat segment still faults when the access runs past offset
 * 0xFFFFFFFF (the last byte is beyond the 4 GiB limit).
 */
@inline export function linRead(s: i32, off: u32, size: u32): u32 {
  if ((load<u8>(OFF_SEG_FAST + <u32>s) & FAST_READ) != 0 && off <= 0xffffffff - (size - 1)) return segBase(s) + off;
  return checkedLinear(s, off, size, false);
}

@inline export function linWrite(s: i32, off: u32, size: u32): u32 {
  if ((load<u8>(OFF_SEG_FAST + <u32>s) & FAST_WRITE) != 0 && off <= 0xffffffff - (size - 1)) return segBase(s) + off;
  return checkedLinear(s, off, size, true);
}

export function setSegmentCache(s: i32, sel: u32, base: u32, limit: u32, attr: u32): void {
  const o: u32 = <u32>s << 2;
  store<u32>(OFF_SEG_SEL + o, sel & 0xffff);
  store<u32>(OFF_SEG_BASE + o, base);
  store<u32>(OFF_SEG_LIMIT + o, limit);
  store<u32>(OFF_SEG_ATTR + o, attr);
  refreshFast(s);
}

// ---------------------------------------------------------------- descriptors

// The descriptor most recently read by readDescriptor.
export let descLow: u32 = 0;
export let descHigh: u32 = 0;
let descAddr: u32 = 0;

/**
 * Reads the 8-byte descriptor for `sel` from the GDT or LDT (supervisor
 * accesses). Returns false after raising #GP(sel) when the selector is
 * outside its table, or a fault from the read itself.
 */
export function readDescriptor(sel: u32, faultVector: u32): bool {
  let base: u32;
  let limit: u32;
  if (sel & SEL_TI) {
    if ((load<u32>(OFF_LDTR_SEL) & SEL_NO_RPL) == 0) {
      raise(faultVector, sel & SEL_NO_RPL, true);
      return false;
    }
    base = load<u32>(OFF_LDTR_BASE);
    limit = load<u32>(OFF_LDTR_LIMIT);
  } else {
    base = load<u32>(OFF_GDTR_BASE);
    limit = load<u32>(OFF_GDTR_LIMIT);
  }
  const idx = sel & 0xfff8;
  if (idx + 7 > limit) {
    raise(faultVector, sel & SEL_NO_RPL, true);
    return false;
  }
  descAddr = base + idx;
  descLow = readAs(descAddr, 2, false);
  descHigh = readAs(descAddr + 4, 2, false);
  return !faulted;
}

@inline export function descBase(): u32 {
  return (descLow >>> 16) | ((descHigh & 0xff) << 16) | (descHigh & 0xff000000);
}
@inline export function descLimit(): u32 {
  const raw = (descLow & 0xffff) | (descHigh & 0xf0000);
  return (descHigh & 0x800000) != 0 ? (raw << 12) | 0xfff : raw;
}
/** Access byte in bits 0-7 and the flags nibble in bits 12-15, as in OFF_SEG_ATTR. */
@inline export function descAttr(): u32 {
  return ((descHigh >>> 8) & 0xff) | ((descHigh >>> 8) & 0xf000);
}

/** Sets the accessed bit of the descriptor last read, as the CPU does on a load. */
export function markAccessed(): void {
  if ((descHigh & 0x100) == 0) {
    descHigh |= 0x100;
    writeAs(descAddr + 4, 2, descHigh, false);
  }
}

/** Loads the cache of segment s from the descriptor last read. */
export function loadFromDescriptor(s: i32, sel: u32): void {
  setSegmentCache(s, sel, descBase(), descLimit(), descAttr());
}

/**
 * MOV/POP/LxS to a data or stack segment register, with every check of the
 * SDM's segment-load pseudocode. CS is never loaded here.
 */
export function loadDataSegment(s: i32, sel: u32): void {
  sel &= 0xffff;
  if (!protectedMode()) {
    // Real and virtual-8086 mode: the base follows the selector; in real mode
    // the limit and attributes keep their cached values ("unreal mode").
    const o: u32 = <u32>s << 2;
    store<u32>(OFF_SEG_SEL + o, sel);
    store<u32>(OFF_SEG_BASE + o, sel << 4);
    if (load<u32>(OFF_EFLAGS) & VM) {
      store<u32>(OFF_SEG_LIMIT + o, 0xffff);
      store<u32>(OFF_SEG_ATTR + o, 0xf3);
    }
    refreshFast(s);
    return;
  }
  const rpl = sel & 3;
  const c = cpl();
  if ((sel & SEL_NO_RPL) == 0) {
    if (s == SEG_SS) {
      raise(VEC_GP, 0, true);
      return;
    }
    setSegmentCache(s, sel, 0, 0, ATTR_UNUSABLE);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  const access = (descHigh >>> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  if (s == SEG_SS) {
    if (rpl != c || dpl != c || !isDataType(access) || (access & 2) == 0) {
      raise(VEC_GP, sel & SEL_NO_RPL, true);
      return;
    }
    if ((access & 0x80) == 0) {
      raise(VEC_SS, sel & SEL_NO_RPL, true);
      return;
    }
  } else {
    const readableCode = isCodeType(access) && (access & 2) != 0;
    if (!isDataType(access) && !readableCode) {
      raise(VEC_GP, sel & SEL_NO_RPL, true);
      return;
    }
    const conforming = isCodeType(access) && (access & 4) != 0;
    if (!conforming && (rpl > dpl || c > dpl)) {
      raise(VEC_GP, sel & SEL_NO_RPL, true);
      return;
    }
    if ((access & 0x80) == 0) {
      raise(VEC_NP, sel & SEL_NO_RPL, true);
      return;
    }
  }
  markAccessed();
  if (faulted) return;
  loadFromDescriptor(s, sel);
}

/** True when CS says 32-bit default operand and address size. */
@inline export function codeIs32(): bool {
  return csIs32;
}
/** True when SS says a 32-bit stack pointer (ESP rather than SP). */
@inline export function stackIs32(): bool {
  return (segAttr(SEG_SS) & ATTR_DB) != 0;
}

/** True when reads (or writes) through s need no limit or type check. */
@inline export function isFlat(s: i32, write: bool): bool {
  return (load<u8>(OFF_SEG_FAST + <u32>s) & (write ? FAST_WRITE : FAST_READ)) != 0;
}
