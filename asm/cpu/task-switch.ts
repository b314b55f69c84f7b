// Hardware task switching (SDM vol. 3, 7.3): JMP or CALL to a TSS descriptor
// or a task gate, an interrupt or exception through a task gate in the IDT,
// and IRET with NT set returning through the back link. The outgoing state is
// saved in the current TSS, the incoming one loaded from the new TSS (CR3,
// LDTR, EFLAGS, registers, segments), busy bits and NT follow the reason for
// the switch, and CR0.TS is set so the next x87 instruction can trap (#NM).
//
// Only 32-bit TSSs (types 9/11) are switched to; a 16-bit TSS raises the
// #GP/#TS a wrong descriptor type does. Virtual-8086 tasks (EFLAGS.VM in the
// new TSS) are not entered: VM is cleared.

import {
  SEG_CS, SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS, OFF_GDTR_BASE, OFF_GDTR_LIMIT, OFF_TR_SEL, OFF_TR_BASE,
  OFF_TR_LIMIT, OFF_TR_ATTR, OFF_CR0, OFF_CR3, OFF_LDTR_SEL, OFF_LDTR_BASE, OFF_LDTR_LIMIT,
  CR0_TS, CR0_PG, NT, VM, ATTR_UNUSABLE, reg32, setReg32, segSel,
  OFF_DR6, DR6_BT,
} from './state';
import { faulted, raise, raiseAfterSwitch, VEC_DB, VEC_GP, VEC_NP, VEC_TS, VEC_SS } from './fault';
import { readAs, writeAs, flushTlb } from './memory';
import { readDescriptor, descHigh, descBase, descLimit, descAttr, isCodeType, setSegmentCache } from './segments';
import { getFlags, setFlags } from './flags';
import { setIp } from './decode';
import { setCodeSegment } from './code-segment';
import { TSS32_AVAILABLE, TSS_BUSY_BIT, SEL_TI, LDT_TYPE, DESC_P, SEL_NO_RPL } from './descriptors';

export const SWITCH_JMP: u32 = 0;
export const SWITCH_CALL: u32 = 1;
export const SWITCH_IRET: u32 = 2;
export const SWITCH_INT: u32 = 3;

const TSS32_MIN_LIMIT: u32 = 0x67;
// 32-bit TSS layout.
const TSS_LINK: u32 = 0x00;
const TSS_CR3: u32 = 0x1c;
const TSS_EIP: u32 = 0x20;
const TSS_EFLAGS: u32 = 0x24;
const TSS_REGS: u32 = 0x28;
const TSS_SEGS: u32 = 0x48; // ES, CS, SS, DS, FS, GS: the order of SEG_* indices
const TSS_LDT: u32 = 0x60;
const TSS_T: u32 = 0x64;
const BUSY: u32 = 0x200; // in the descriptor's high dword
// The incoming task's registers and selectors, read before the switch commits.
const regs = new StaticArray<u32>(8);
const sels = new StaticArray<u32>(6);

/**
 * Switches to the task whose TSS selector is `sel`. `retEip` is the EIP saved
 * for the outgoing task; `ext` goes into error codes. Returns false after
 * raising a fault in the old task (nothing changed); faults while loading the
 * new task's segments are raised in the new task.
 */
export function switchTask(sel: u32, reason: u32, retEip: u32, ext: u32): bool {
  const wrong: u32 = reason == SWITCH_IRET ? VEC_TS : VEC_GP;
  const code = (sel & SEL_NO_RPL) + ext;
  if ((sel & SEL_TI) != 0 || (sel & SEL_NO_RPL) == 0) {
    raise(wrong, code, true);
    return false;
  }
  if (!readDescriptor(sel, wrong)) return false;
  const type = (descHigh >> 8) & 0x1f;
  const busy = (type & TSS_BUSY_BIT) != 0;
  if ((type & ~TSS_BUSY_BIT) != TSS32_AVAILABLE || (reason == SWITCH_IRET ? !busy : busy)) {
    raise(wrong, code, true);
    return false;
  }
  if ((descHigh & 0x8000) == 0) {
    raise(VEC_NP, code, true);
    return false;
  }
  const newHigh = descHigh;
  const newBase = descBase();
  const newLimit = descLimit();
  const newAttr = descAttr();
  if (newLimit < TSS32_MIN_LIMIT || load<u32>(OFF_TR_LIMIT) < TSS32_MIN_LIMIT) {
    raise(VEC_TS, newLimit < TSS32_MIN_LIMIT ? code : (load<u32>(OFF_TR_SEL) & SEL_NO_RPL) + ext, true);
    return false;
  }
  const newDescAddr = load<u32>(OFF_GDTR_BASE) + (sel & 0xfff8) + 4;

  // The incoming state, read before anything changes (a page fault here is the old task's).
  const cr3 = readAs(newBase + TSS_CR3, 2, false);
  const eip = readAs(newBase + TSS_EIP, 2, false);
  let flags = readAs(newBase + TSS_EFLAGS, 2, false);
  const ldt = readAs(newBase + TSS_LDT, 1, false);
  const tBit = readAs(newBase + TSS_T, 1, false) & 1;
  if (faulted) return false;
  for (let i = 0; i < 8; i++) regs[i] = readAs(newBase + TSS_REGS + (<u32>i << 2), 2, false);
  for (let s = 0; s < 6; s++) sels[s] = readAs(newBase + TSS_SEGS + (<u32>s << 2), 1, false);
  if (faulted) return false;

  // Save the outgoing task.
  const oldSel = load<u32>(OFF_TR_SEL);
  const oldBase = load<u32>(OFF_TR_BASE);
  let oldFlags = getFlags();
  if (reason == SWITCH_IRET) oldFlags &= ~NT;
  writeAs(oldBase + TSS_EIP, 2, retEip, false);
  writeAs(oldBase + TSS_EFLAGS, 2, oldFlags, false);
  for (let i = 0; i < 8; i++) writeAs(oldBase + TSS_REGS + (<u32>i << 2), 2, reg32(i), false);
  for (let s = 0; s < 6; s++) writeAs(oldBase + TSS_SEGS + (<u32>s << 2), 1, segSel(s), false);
  if (faulted) return false;
  if (reason == SWITCH_JMP || reason == SWITCH_IRET) {
    const oldDescAddr = load<u32>(OFF_GDTR_BASE) + (oldSel & 0xfff8) + 4;
    if ((oldSel & 0xfff8) + 7 <= load<u32>(OFF_GDTR_LIMIT)) writeAs(oldDescAddr, 2, readAs(oldDescAddr, 2, false) & ~BUSY, false);
  }
  if (reason == SWITCH_CALL || reason == SWITCH_INT) {
    writeAs(newBase + TSS_LINK, 1, oldSel, false);
    flags |= NT;
  }
  if (reason != SWITCH_IRET) writeAs(newDescAddr, 2, newHigh | BUSY, false);
  if (faulted) return false;

  // Commit: from here on the CPU is in the new task.
  store<u32>(OFF_TR_SEL, sel & 0xffff);
  store<u32>(OFF_TR_BASE, newBase);
  store<u32>(OFF_TR_LIMIT, newLimit);
  store<u32>(OFF_TR_ATTR, newAttr | 2);
  const cr0 = load<u32>(OFF_CR0) | CR0_TS;
  store<u32>(OFF_CR0, cr0);
  if ((cr0 & CR0_PG) != 0) {
    store<u32>(OFF_CR3, cr3);
    flushTlb(true);
  }
  setFlags(flags & ~VM);
  for (let i = 0; i < 8; i++) setReg32(i, regs[i]);
  // Selectors first, unusable, so a fault below leaves no stale cache behind.
  for (let s = 0; s < 6; s++) if (s != SEG_CS) setSegmentCache(s, sels[s], 0, 0, ATTR_UNUSABLE);
  setIp(eip);
  if (!loadLdt(ldt)) return true;
  if (!loadCode(sels[SEG_CS])) return true;
  const cpl = sels[SEG_CS] & 3;
  if (!loadStack(sels[SEG_SS], cpl)) return true;
  if (!loadData(SEG_DS, sels[SEG_DS], cpl) || !loadData(SEG_ES, sels[SEG_ES], cpl)) return true;
  if (!loadData(SEG_FS, sels[SEG_FS], cpl) || !loadData(SEG_GS, sels[SEG_GS], cpl)) return true;
  if (tBit != 0) {
    // The debug trap bit: #DB once the new task is loaded, with DR6.BT.
    store<u32>(OFF_DR6, load<u32>(OFF_DR6) | DR6_BT);
    raiseAfterSwitch(VEC_DB, 0, false);
  }
  return true;
}

function loadLdt(sel: u32): bool {
  if ((sel & SEL_NO_RPL) == 0) {
    store<u32>(OFF_LDTR_SEL, sel);
    store<u32>(OFF_LDTR_BASE, 0);
    store<u32>(OFF_LDTR_LIMIT, 0);
    return true;
  }
  if ((sel & SEL_TI) != 0 || !readForNewTask(sel) || ((descHigh >> 8) & 0x1f) != LDT_TYPE || (descHigh & DESC_P) == 0) {
    if (!faulted) raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  store<u32>(OFF_LDTR_SEL, sel);
  store<u32>(OFF_LDTR_BASE, descBase());
  store<u32>(OFF_LDTR_LIMIT, descLimit());
  return true;
}

/** A descriptor read for the new task; a selector outside its table is #TS in the new task. */
function readForNewTask(sel: u32): bool {
  const ldt = (sel & SEL_TI) != 0;
  const limit = ldt ? load<u32>(OFF_LDTR_LIMIT) : load<u32>(OFF_GDTR_LIMIT);
  if ((ldt && (load<u32>(OFF_LDTR_SEL) & SEL_NO_RPL) == 0) || (sel & 0xfff8) + 7 > limit) {
    raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  return readDescriptor(sel, VEC_TS);
}

function loadCode(sel: u32): bool {
  if ((sel & SEL_NO_RPL) == 0 || !readForNewTask(sel)) {
    if (!faulted) raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  const access = (descHigh >> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  const conforming = (access & 4) != 0;
  if (!isCodeType(access) || (conforming ? dpl > (sel & 3) : dpl != (sel & 3))) {
    raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raiseAfterSwitch(VEC_NP, sel & SEL_NO_RPL, true);
    return false;
  }
  setCodeSegment(sel, descBase(), descLimit(), descAttr(), sel & 3);
  return true;
}

function loadStack(sel: u32, cpl: u32): bool {
  if ((sel & SEL_NO_RPL) == 0 || !readForNewTask(sel)) {
    if (!faulted) raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  const access = (descHigh >> 8) & 0xff;
  if ((sel & 3) != cpl || ((access >> 5) & 3) != cpl || (access & 0x1a) != 0x12) {
    raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raiseAfterSwitch(VEC_SS, sel & SEL_NO_RPL, true);
    return false;
  }
  setSegmentCache(SEG_SS, sel, descBase(), descLimit(), descAttr());
  return true;
}

function loadData(s: i32, sel: u32, cpl: u32): bool {
  if ((sel & SEL_NO_RPL) == 0) return true; // stays null
  if (!readForNewTask(sel)) {
    if (!faulted) raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  const access = (descHigh >> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  const data = (access & 0x18) == 0x10;
  const readableCode = isCodeType(access) && (access & 2) != 0;
  const conforming = isCodeType(access) && (access & 4) != 0;
  if ((!data && !readableCode) || (!conforming && (dpl < cpl || dpl < (sel & 3)))) {
    raiseAfterSwitch(VEC_TS, sel & SEL_NO_RPL, true);
    return false;
  }
  if ((access & 0x80) == 0) {
    raiseAfterSwitch(VEC_NP, sel & SEL_NO_RPL, true);
    return false;
  }
  setSegmentCache(s, sel, descBase(), descLimit(), descAttr());
  return true;
}
