// Lazy arithmetic flags.
//
// An arithmetic instruction records its operands, result and kind instead of
// computing six flags nobody may read. A flag is computed only when something
// reads it (Jcc, SETcc, PUSHF, ADC...). `lazyMask` says which of the six
// arithmetic flags currently live in the record; every other bit of EFLAGS is
// in the state block at OFF_EFLAGS.

import { OFF_EFLAGS, CF, PF, AF, ZF, SF, OF, TF, IF, RF, ARITH_FLAGS } from './state';
import { raiseAttention } from './signals';

export const K_ADD: u32 = 0;
export const K_ADC: u32 = 1; // ADD with carry-in 1
export const K_SUB: u32 = 2;
export const K_SBB: u32 = 3; // SUB with borrow-in 1
export const K_LOGIC: u32 = 4; // CF = OF = AF = 0, the rest from the result

export let lfKind: u32 = K_LOGIC;
export let lfSize: u32 = 2; // 0: 8-bit, 1: 16-bit, 2: 32-bit
export let lfA: u32 = 0;
export let lfB: u32 = 0;
export let lfRes: u32 = 0; // masked to the operand size
export let lazyMask: u32 = 0;

// Operand-size helpers shared by every instruction family (size index 0/1/2).
@inline export function sizeMask(sz: u32): u32 {
  return 0xffffffff >>> (32 - (8 << sz));
}
@inline export function signBit(sz: u32): u32 {
  return 1 << ((8 << sz) - 1);
}

@inline function storedFlags(): u32 {
  return load<u32>(OFF_EFLAGS);
}

function lazyCF(): u32 {
  const m = sizeMask(lfSize);
  const a = lfA & m;
  const b = lfB & m;
  switch (lfKind) {
    case K_ADD: return <u32>(lfRes < a);
    case K_ADC: return <u32>(lfRes <= a);
    case K_SUB: return <u32>(a < b);
    case K_SBB: return <u32>(a <= b);
    default: return 0;
  }
}

function lazyOF(): u32 {
  const s = signBit(lfSize);
  switch (lfKind) {
    case K_ADD:
    case K_ADC: return <u32>(((lfA ^ lfRes) & (lfB ^ lfRes) & s) != 0);
    case K_SUB:
    case K_SBB: return <u32>(((lfA ^ lfB) & (lfA ^ lfRes) & s) != 0);
    default: return 0;
  }
}

@inline function lazyAF(): u32 {
  return lfKind == K_LOGIC ? 0 : ((lfA ^ lfB ^ lfRes) >> 4) & 1;
}

@inline function parity(v: u32): u32 {
  return (~popcnt<u32>(v & 0xff)) & 1;
}

/** Computes the flags in `which` (a subset of the lazy ones) from the record. */
function computeLazy(which: u32): u32 {
  let f: u32 = 0;
  if (which & CF) f |= lazyCF();
  if (which & PF) f |= parity(lfRes) << 2;
  if (which & AF) f |= lazyAF() << 4;
  if (which & ZF) f |= <u32>(lfRes == 0) << 6;
  if (which & SF) f |= <u32>((lfRes & signBit(lfSize)) != 0) << 7;
  if (which & OF) f |= lazyOF() << 11;
  return f;
}

/** The full EFLAGS value as the guest sees it. */
export function getFlags(): u32 {
  const f = storedFlags();
  if (lazyMask == 0) return f;
  return (f & ~lazyMask) | computeLazy(lazyMask);
}

/** Resolves every lazy flag into the state block (before run() returns). */
export function materializeFlags(): void {
  if (lazyMask == 0) return;
  store<u32>(OFF_EFLAGS, getFlags());
  lazyMask = 0;
}

/**
 * Records an arithmetic result. Flags that were lazy and that this
 * instruction does not produce (CF for INC/DEC) are resolved first, since
 * the record is about to be overwritten.
 */
@inline export function setLazy(kind: u32, sz: u32, a: u32, b: u32, res: u32, mask: u32): void {
  const keep = lazyMask & ~mask;
  if (keep != 0) resolve(keep);
  lfKind = kind;
  lfSize = sz;
  lfA = a;
  lfB = b;
  lfRes = res;
  lazyMask = mask;
}

function resolve(which: u32): void {
  const f = storedFlags();
  store<u32>(OFF_EFLAGS, (f & ~which) | computeLazy(which));
  lazyMask &= ~which;
}

/** Sets the given flag bits to `values` directly, taking them out of the lazy record. */
@inline export function setFlagBits(mask: u32, values: u32): void {
  lazyMask &= ~mask;
  store<u32>(OFF_EFLAGS, (storedFlags() & ~mask) | (values & mask));
}

/** Replaces the whole of EFLAGS (POPF, IRET, SAHF after masking). */
export function setFlags(v: u32): void {
  lazyMask = 0;
  store<u32>(OFF_EFLAGS, v);
  // Single-step starts, an interrupt waiting for IF may now be taken, or RF
  // (set by IRET) must be cleared once the next instruction completes.
  if (v & (TF | IF | RF)) raiseAttention();
}

@inline export function getCF(): u32 {
  return (lazyMask & CF) ? lazyCF() : storedFlags() & CF;
}
@inline export function getZF(): bool {
  return (lazyMask & ZF) ? lfRes == 0 : (storedFlags() & ZF) != 0;
}
@inline export function getSF(): bool {
  return (lazyMask & SF) ? (lfRes & signBit(lfSize)) != 0 : (storedFlags() & SF) != 0;
}
@inline export function getOF(): bool {
  return (lazyMask & OF) ? lazyOF() != 0 : (storedFlags() & OF) != 0;
}
@inline export function getPF(): bool {
  return (lazyMask & PF) ? parity(lfRes) != 0 : (storedFlags() & PF) != 0;
}
@inline export function getAF(): bool {
  return (lazyMask & AF) ? lazyAF() != 0 : (storedFlags() & AF) != 0;
}

/** Evaluates condition code cc (0-15, the low nibble of Jcc/SETcc/CMOVcc). */
@inline export function condition(cc: u32): bool {
  // JZ/JNZ after anything that left ZF lazy (INC/DEC, logic, shifts): no other flag is needed.
  if ((cc >> 1) == 2 && (lazyMask & ZF) != 0) return (lfRes == 0) != ((cc & 1) != 0);
  return lazyCondition(cc);
}

// After a CMP/SUB (the common case before a branch) the answer comes straight
// from the operands without building any flag.
function lazyCondition(cc: u32): bool {
  if (lazyMask == ARITH_FLAGS && lfKind == K_SUB) {
    const m = sizeMask(lfSize);
    const a = lfA & m;
    const b = lfB & m;
    const sh = 32 - (8 << lfSize);
    let r: bool;
    switch (cc >> 1) {
      case 1: r = a < b; break; // B
      case 2: r = a == b; break; // Z
      case 3: r = a <= b; break; // BE
      case 6: r = <i32>(a << sh) < <i32>(b << sh); break; // L
      case 7: r = <i32>(a << sh) <= <i32>(b << sh); break; // LE
      default: return slowCondition(cc);
    }
    return (cc & 1) ? !r : r;
  }
  return slowCondition(cc);
}

function slowCondition(cc: u32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF() != 0; break;
    case 2: r = getZF(); break;
    case 3: r = getCF() != 0 || getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() != getOF(); break;
    default: r = getZF() || getSF() != getOF(); break;
  }
  return (cc & 1) ? !r : r;
}
