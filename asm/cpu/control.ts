// Control transfer: near and far JMP/CALL/RET, and loading CS.

import {
  SEG_CS, SEG_SS, ATTR_UNUSABLE, segLimit, segSel, segAttr, cpl,
} from './state';
import { faulted, gp, raise, VEC_GP, VEC_NP, VEC_SS } from './fault';
import { opSize32, ip, setIp } from './decode';
import {
  protectedMode, readDescriptor, descHigh, descLimit, descBase, descAttr, markAccessed,
  setSegmentCache, isCodeType,
} from './segments';
import { push, peekStack, popCommit, setStackPointer } from './stack';
import { farThroughGate } from './call-gate';
import { setCodeSegment, setRealCodeSegment } from './code-segment';
import { SEL_NO_RPL } from './descriptors';

/** Near transfer to `target` in the current code segment, with the limit check. */
export function jumpNear(target: u32): void {
  if (!opSize32) target &= 0xffff;
  if (target > segLimit(SEG_CS)) {
    gp(0);
    return;
  }
  setIp(target);
}

export function jumpRelative(rel: u32): void {
  jumpNear(ip + rel);
}

export function callNear(target: u32): void {
  if (!opSize32) target &= 0xffff;
  if (target > segLimit(SEG_CS)) {
    gp(0);
    return;
  }
  push(opSize32 ? 2 : 1, ip);
  if (faulted) return;
  setIp(target);
}

export function retNear(release: u32): void {
  const sz: u32 = opSize32 ? 2 : 1;
  const target = peekStack(sz, 0);
  if (faulted) return;
  if (target > segLimit(SEG_CS)) {
    gp(0);
    return;
  }
  popCommit((1 << sz) + release);
  setIp(target);
}

/**
 * Checks a code-segment descriptor (just read) as the target of a far JMP,
 * far CALL or far RET at privilege `rpl` against the current CPL. Returns
 * false after raising the fault.
 */
function checkCodeTarget(sel: u32, forReturn: bool): bool {
  const access = (descHigh >> 8) & 0xff;
  if (!isCodeType(access)) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return false;
  }
  const dpl = (access >> 5) & 3;
  const rpl = sel & 3;
  const c = cpl();
  const conforming = (access & 4) != 0;
  if (forReturn) {
    if (conforming ? dpl > rpl : dpl != rpl) {
      raise(VEC_GP, sel & SEL_NO_RPL, true);
      return false;
    }
  } else if (conforming ? dpl > c : rpl > c || dpl != c) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_NP, sel & SEL_NO_RPL, true);
    return false;
  }
  return true;
}

/** Far JMP (isCall false) or far CALL to sel:off. */
export function farTransfer(sel: u32, off: u32, isCall: bool): void {
  const sz: u32 = opSize32 ? 2 : 1;
  if (!opSize32) off &= 0xffff;
  if (!protectedMode()) {
    if (isCall) {
      push(sz, segSel(SEG_CS));
      if (faulted) return;
      push(sz, ip);
      if (faulted) return;
    }
    setRealCodeSegment(sel);
    setIp(off);
    return;
  }
  if ((sel & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  if (((descHigh >> 8) & 0x10) == 0) {
    farThroughGate(sel, isCall);
    return;
  }
  if (!checkCodeTarget(sel, false)) return;
  const limit = descLimit();
  if (off > limit) {
    gp(0);
    return;
  }
  const c = cpl();
  if (isCall) {
    // Both pushes must fit before either lands: ESP rolls back on a fault.
    push(sz, segSel(SEG_CS));
    if (faulted) return;
    push(sz, ip);
    if (faulted) return;
  }
  markAccessed();
  if (faulted) return;
  setCodeSegment((sel & SEL_NO_RPL) | c, descBase(), limit, descAttr(), c);
  setIp(off);
}

/** Far RET, releasing `release` bytes of parameters. */
export function retFar(release: u32): void {
  const sz: u32 = opSize32 ? 2 : 1;
  const n: u32 = 1 << sz;
  const off = peekStack(sz, 0);
  if (faulted) return;
  const sel = peekStack(sz, n) & 0xffff;
  if (faulted) return;
  if (!protectedMode()) {
    popCommit(2 * n + release);
    setRealCodeSegment(sel);
    setIp(opSize32 ? off : off & 0xffff);
    return;
  }
  if ((sel & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  const rpl = sel & 3;
  if (rpl < cpl()) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if (!checkCodeTarget(sel, true)) return;
  const limit = descLimit();
  const target = opSize32 ? off : off & 0xffff;
  if (target > limit) {
    gp(0);
    return;
  }
  if (rpl > cpl()) {
    // Return to an outer privilege level: the outer SS:ESP follow the parameters.
    const newSp = peekStack(sz, 2 * n + release);
    if (faulted) return;
    const newSs = peekStack(sz, 3 * n + release) & 0xffff;
    if (faulted) return;
    markAccessed();
    const base = descBase();
    const attr = descAttr();
    if (!loadStackForPrivilege(newSs, rpl)) return;
    setCodeSegment(sel, base, limit, attr, rpl);
    // The popped SP is zero-extended; the release applies with the new stack's address size.
    setStackPointer(newSp + release);
    invalidateOuterSegments();
    setIp(target);
    return;
  }
  markAccessed();
  if (faulted) return;
  popCommit(2 * n + release);
  setCodeSegment(sel, descBase(), limit, descAttr(), cpl());
  setIp(target);
}

/**
 * Loads SS for a transfer to privilege `newCpl` (outer returns), with the
 * checks of the SDM: #GP(sel) for a wrong selector, #SS(sel) if not present.
 */
export function loadStackForPrivilege(sel: u32, newCpl: u32): bool {
  if ((sel & SEL_NO_RPL) == 0) {
    gp(0);
    return false;
  }
  if (!readDescriptor(sel, VEC_GP)) return false;
  const access = (descHigh >> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  if ((sel & 3) != newCpl || dpl != newCpl || (access & 0x1a) != 0x12) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_SS, sel & SEL_NO_RPL, true);
    return false;
  }
  markAccessed();
  if (faulted) return false;
  setSegmentCache(SEG_SS, sel, descBase(), descLimit(), descAttr());
  return true;
}

/**
 * After a return to an outer privilege level, data segment registers the
 * new CPL may not use are nulled (SDM: RET/IRET "FOR each of segment
 * register ES, FS, GS, and DS").
 */
export function invalidateOuterSegments(): void {
  const c = cpl();
  for (let s = 0; s < 6; s++) {
    if (s == SEG_CS || s == SEG_SS) continue;
    const attr = segAttr(s);
    if (attr & ATTR_UNUSABLE) continue;
    const dpl = (attr >> 5) & 3;
    const conformingCode = (attr & 0x1c) == 0x1c;
    if ((attr & 0x10) == 0 || (!conformingCode && dpl < c)) {
      setSegmentCache(s, 0, 0, 0, ATTR_UNUSABLE);
    }
  }
}
