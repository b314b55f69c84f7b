// Interrupt and exception delivery through the real-mode IVT or the
// protected-mode IDT (interrupt and trap gates, with the TSS stack switch to
// an inner privilege level), and IRET.

import {
  SEG_CS, SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS, OFF_EFLAGS, OFF_IDTR_BASE, OFF_IDTR_LIMIT, OFF_TR_BASE, OFF_CR0, CR0_PE, ESP,
  IF, TF, NT, RF, VM, AC, IOPL, VIF, VIP, ID, ARITH_FLAGS, DF, EFLAGS_FIXED1, ATTR_UNUSABLE,
  reg32, setReg32, segSel, cpl,
  EFLAGS_RESERVED0, IRET32_FLAGS,
} from './state';
import { faulted, raise, gp, VEC_GP, VEC_NP } from './fault';
import { readAs } from './memory';
import {
  readDescriptor, descHigh, descBase, descLimit, descAttr, markAccessed, isCodeType,
  setSegmentCache, stackIs32,
} from './segments';
import { getFlags, setFlags } from './flags';
import { setIp, opSize32, ip } from './decode';
import { switchTask, SWITCH_INT, SWITCH_IRET } from './task-switch';
import { setCodeSegment, setRealCodeSegment } from './code-segment';
import { loadStackForPrivilege, invalidateOuterSegments } from './control';
import { push, peekStack, popCommit, setStackPointer } from './stack';
import { noteDelivery } from './counters';
import { readInnerStack, beginInnerFrame, framePush, frameTop, innerStackIs32, innerSs, innerSsBase, innerSsLimit, innerSsAttr } from './inner-stack';
import { TASK_GATE, INT_GATE_16, TRAP_GATE_16, INT_GATE_32, TRAP_GATE_32, DESC_P, SEL_NO_RPL } from './descriptors';

@inline function realMode(): bool {
  return (load<u32>(OFF_CR0) & CR0_PE) == 0;
}

/**
 * Writes the flags an instruction (POPF, IRET) loads, keeping the bits the
 * current privilege may not change. `sz` is the operand size index.
 */
export function loadFlags(v: u32, sz: u32, fromIret: bool): void {
  const old = getFlags();
  let writable: u32 = ARITH_FLAGS | TF | DF | NT;
  if (sz == 2) writable |= AC | ID | (fromIret ? RF : 0);
  const c: u32 = realMode() ? 0 : cpl();
  const iopl = (old >> 12) & 3;
  if (c == 0) writable |= IOPL;
  if (c <= iopl) writable |= IF;
  if (!fromIret && sz == 2) v &= ~RF; // POPF clears RF
  let f = (old & ~writable) | (v & writable);
  if (!fromIret) f &= ~RF;
  setFlags((f & ~EFLAGS_RESERVED0) | EFLAGS_FIXED1);
}

// ---------------------------------------------------------------- delivery

function deliverReal(vector: u32, retEip: u32): void {
  const entry = vector << 2;
  if (entry + 3 > load<u32>(OFF_IDTR_LIMIT)) {
    gp(vector * 8 + 2);
    return;
  }
  const base = load<u32>(OFF_IDTR_BASE);
  const off = readAs(base + entry, 1, false);
  if (faulted) return;
  const sel = readAs(base + entry + 2, 1, false);
  if (faulted) return;
  const flags = getFlags();
  // Three word pushes on the current stack; ESP rolls back if any faults.
  push(1, flags);
  if (faulted) return;
  push(1, segSel(SEG_CS));
  if (faulted) return;
  push(1, retEip);
  if (faulted) return;
  setFlags(flags & ~(IF | TF | AC | RF));
  setRealCodeSegment(sel);
  setIp(off);
}

/**
 * Delivers `vector` through the IDT. `ext` is 1 for events not caused by an
 * INT instruction (it goes into error codes of faults raised on the way);
 * `software` enables the gate DPL check of INT n, INT3 and INTO.
 */
function deliverProtected(vector: u32, hasCode: bool, code: u32, software: bool, retEip: u32, fault: bool): void {
  const ext: u32 = software ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > load<u32>(OFF_IDTR_LIMIT)) {
    raise(VEC_GP, idtCode, true);
    return;
  }
  const gateAddr = load<u32>(OFF_IDTR_BASE) + vector * 8;
  const lo = readAs(gateAddr, 2, false);
  if (faulted) return;
  const hi = readAs(gateAddr + 4, 2, false);
  if (faulted) return;
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  const is32 = type == INT_GATE_32 || type == TRAP_GATE_32;
  if (!(is32 || type == INT_GATE_16 || type == TRAP_GATE_16 || type == TASK_GATE)) {
    raise(VEC_GP, idtCode, true);
    return;
  }
  const oldFlags = getFlags();
  // The EFLAGS image of a fault carries RF, so the faulting instruction can be restarted past a breakpoint.
  const frameFlags = fault && vector != 1 ? oldFlags | RF : oldFlags;
  const vm86 = (oldFlags & VM) != 0;
  const curPl: u32 = vm86 ? 3 : cpl();
  if (software && gateDpl < curPl) {
    raise(VEC_GP, idtCode, true);
    return;
  }
  if ((hi & DESC_P) == 0) {
    raise(VEC_NP, idtCode, true);
    return;
  }
  if (type == TASK_GATE) {
    // A task gate: the handler is a task of its own; an error code goes on its stack.
    if (!switchTask(lo >>> 16, SWITCH_INT, retEip, ext)) return;
    if (hasCode && !faulted) push(2, code);
    return;
  }
  const sel = lo >>> 16;
  const offset = is32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & SEL_NO_RPL) == 0) {
    raise(VEC_GP, ext, true);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  const access = (descHigh >> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  const c: u32 = vm86 ? 3 : cpl();
  if (!isCodeType(access) || dpl > c) {
    raise(VEC_GP, (sel & SEL_NO_RPL) + ext, true);
    return;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_NP, (sel & SEL_NO_RPL) + ext, true);
    return;
  }
  const csBase = descBase();
  const csLimit = descLimit();
  const csAttr = descAttr();
  if (offset > csLimit) {
    raise(VEC_GP, ext, true);
    return;
  }
  const sz: u32 = is32 ? 2 : 1;
  const conforming = (access & 4) != 0;
  const oldCs = segSel(SEG_CS);
  if (!conforming && dpl < c) {
    // Inner privilege: the new stack comes from the TSS.
    if (!readInnerStack(dpl, ext)) return;
    beginInnerFrame();
    const oldSs = segSel(SEG_SS);
    const oldEsp = reg32(ESP);
    if (vm86) {
      framePush(sz, segSel(SEG_GS));
      framePush(sz, segSel(SEG_FS));
      framePush(sz, segSel(SEG_DS));
      framePush(sz, segSel(SEG_ES));
    }
    framePush(sz, oldSs);
    framePush(sz, oldEsp);
    framePush(sz, frameFlags);
    framePush(sz, oldCs);
    framePush(sz, retEip);
    if (hasCode) framePush(sz, code);
    if (faulted) return;
    // Commit: nothing below can fault.
    markAccessed();
    setSegmentCache(SEG_SS, innerSs, innerSsBase, innerSsLimit, innerSsAttr);
    if (vm86) {
      setSegmentCache(SEG_GS, 0, 0, 0, ATTR_UNUSABLE);
      setSegmentCache(SEG_FS, 0, 0, 0, ATTR_UNUSABLE);
      setSegmentCache(SEG_DS, 0, 0, 0, ATTR_UNUSABLE);
      setSegmentCache(SEG_ES, 0, 0, 0, ATTR_UNUSABLE);
    }
    setStackPointer(frameTop());
    if (innerStackIs32()) setReg32(ESP, frameTop());
    setCodeSegment((sel & SEL_NO_RPL) | dpl, csBase, csLimit, csAttr, dpl);
  } else {
    if (vm86) {
      raise(VEC_GP, (sel & SEL_NO_RPL) + ext, true);
      return;
    }
    push(sz, frameFlags);
    if (faulted) return;
    push(sz, oldCs);
    if (faulted) return;
    push(sz, retEip);
    if (faulted) return;
    if (hasCode) {
      push(sz, code);
      if (faulted) return;
    }
    setCodeSegment((sel & SEL_NO_RPL) | c, csBase, csLimit, csAttr, c);
  }
  let f = oldFlags & ~(TF | NT | RF | VM);
  if ((type & 1) == 0) f &= ~IF; // interrupt gate
  setFlags(f);
  setIp(offset);
}

/** Delivers an interrupt or exception; faults raised on the way are left for the caller (double fault logic). */
export function deliver(vector: u32, hasCode: bool, code: u32, software: bool, retEip: u32, fault: bool): void {
  if (realMode()) deliverReal(vector, retEip);
  else deliverProtected(vector, hasCode, code, software, retEip, fault);
  if (!faulted) noteDelivery(vector, software, code, retEip);
}

/**
 * INT n / INT3 / INTO in protected mode check the gate's DPL before
 * anything else; a failed check is a #GP at the instruction.
 */
export function softwareGateAllowed(vector: u32): bool {
  if (realMode()) return true;
  const flags = load<u32>(OFF_EFLAGS);
  if ((flags & VM) != 0 && ((flags >> 12) & 3) < 3) {
    gp(0);
    return false;
  }
  if (vector * 8 + 7 > load<u32>(OFF_IDTR_LIMIT)) {
    gp(vector * 8 + 2);
    return false;
  }
  const hi = readAs(load<u32>(OFF_IDTR_BASE) + vector * 8 + 4, 2, false);
  if (faulted) return false;
  const c: u32 = (flags & VM) != 0 ? 3 : cpl();
  if (((hi >> 13) & 3) < c) {
    gp(vector * 8 + 2);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- IRET

export function iret(): void {
  const sz: u32 = opSize32 ? 2 : 1;
  const n: u32 = 1 << sz;
  if (realMode()) {
    const off = peekStack(sz, 0);
    if (faulted) return;
    const sel = peekStack(sz, n);
    if (faulted) return;
    const flags = peekStack(sz, 2 * n);
    if (faulted) return;
    popCommit(3 * n);
    setRealCodeSegment(sel & 0xffff);
    setIp(sz == 2 ? off : off & 0xffff);
    const old = getFlags();
    const merged = sz == 2 ? (flags & IRET32_FLAGS) | (old & (VM | VIF | VIP)) : (old & 0xffff0000) | (flags & 0xffff);
    setFlags((merged & ~EFLAGS_RESERVED0) | EFLAGS_FIXED1);
    return;
  }
  const old = getFlags();
  if (old & VM) {
    // Virtual-8086 IRET needs IOPL 3 (no VME).
    if (((old >> 12) & 3) < 3) {
      gp(0);
      return;
    }
  }
  if (old & NT) {
    // Return from a nested task: back to the task in the current TSS's back link.
    const link = readAs(load<u32>(OFF_TR_BASE), 1, false);
    if (faulted) return;
    switchTask(link, SWITCH_IRET, ip, 0);
    return;
  }
  const off = peekStack(sz, 0);
  if (faulted) return;
  const sel = peekStack(sz, n) & 0xffff;
  if (faulted) return;
  const flags = peekStack(sz, 2 * n);
  if (faulted) return;
  if ((sel & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  const access = (descHigh >> 8) & 0xff;
  const rpl = sel & 3;
  const c = cpl();
  const dpl = (access >> 5) & 3;
  if (!isCodeType(access) || rpl < c || ((access & 4) != 0 ? dpl > rpl : dpl != rpl)) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_NP, sel & SEL_NO_RPL, true);
    return;
  }
  const limit = descLimit();
  const target = sz == 2 ? off : off & 0xffff;
  if (target > limit) {
    gp(0);
    return;
  }
  const base = descBase();
  const attr = descAttr();
  markAccessed();
  if (faulted) return;
  if (rpl > c) {
    const newSp = peekStack(sz, 3 * n);
    if (faulted) return;
    const newSs = peekStack(sz, 4 * n) & 0xffff;
    if (faulted) return;
    if (!loadStackForPrivilege(newSs, rpl)) return;
    loadFlags(flags, sz, true); // with the old CPL's rights
    setCodeSegment(sel, base, limit, attr, rpl);
    if (stackIs32()) setReg32(ESP, newSp);
    else setStackPointer(newSp & 0xffff);
    invalidateOuterSegments();
  } else {
    popCommit(3 * n);
    loadFlags(flags, sz, true);
    setCodeSegment(sel, base, limit, attr, c);
  }
  setIp(target);
}
