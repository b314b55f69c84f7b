// Far CALL and JMP through a call gate (SDM vol. 2, CALL and JMP, the
// call-gate paths; vol. 3, 5.8). The gate names the target code segment and
// entry point; a CALL to a more privileged non-conforming segment switches to
// the TSS stack of the new CPL and copies the gate's parameter count of words
// or dwords from the caller's stack. A task gate or TSS descriptor as the
// target is a task switch (task-switch.ts).

import { SEG_CS, SEG_SS, ESP, reg32, setReg32, segSel, cpl } from './state';
import { faulted, raise, gp, VEC_GP, VEC_NP, VEC_SS } from './fault';
import { ip, setIp } from './decode';
import {
  readDescriptor, descLow, descHigh, descBase, descLimit, descAttr, markAccessed, isCodeType,
  setSegmentCache,
} from './segments';
import { setCodeSegment } from './code-segment';
import { switchTask, SWITCH_CALL, SWITCH_JMP } from './task-switch';
import { push, peekStack, setStackPointer } from './stack';
import {
  readInnerStack, beginInnerFrame, framePush, frameTop, innerStackIs32, innerFrameFits,
  innerSs, innerSsBase, innerSsLimit, innerSsAttr,
} from './inner-stack';
import { CALL_GATE_16, CALL_GATE_32, TASK_GATE, TSS32_AVAILABLE, TSS32_BUSY, SEL_NO_RPL } from './descriptors';

/** A far CALL or JMP whose selector named a system descriptor, already read. */
export function farThroughGate(gateSel: u32, isCall: bool): void {
  const type = (descHigh >> 8) & 0x1f;
  const taskTarget = type == TASK_GATE || type == TSS32_AVAILABLE || type == TSS32_BUSY;
  if (type != CALL_GATE_16 && type != CALL_GATE_32 && !taskTarget) {
    raise(VEC_GP, gateSel & SEL_NO_RPL, true);
    return;
  }
  const c = cpl();
  const gateDpl = (descHigh >> 13) & 3;
  if (gateDpl < c || gateDpl < (gateSel & 3)) {
    raise(VEC_GP, gateSel & SEL_NO_RPL, true);
    return;
  }
  if ((descHigh & 0x8000) == 0) {
    raise(VEC_NP, gateSel & SEL_NO_RPL, true);
    return;
  }
  if (taskTarget) {
    // A task gate names the TSS; a TSS descriptor is the TSS.
    switchTask(type == TASK_GATE ? descLow >>> 16 : gateSel, isCall ? SWITCH_CALL : SWITCH_JMP, ip, 0);
    return;
  }
  const gate32 = type == CALL_GATE_32;
  const codeSel = descLow >>> 16;
  const offset = gate32 ? (descLow & 0xffff) | (descHigh & 0xffff0000) : descLow & 0xffff;
  const params = descHigh & 0x1f;
  if ((codeSel & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  if (!readDescriptor(codeSel, VEC_GP)) return;
  const access = (descHigh >> 8) & 0xff;
  const dpl = (access >> 5) & 3;
  const conforming = (access & 4) != 0;
  // JMP never changes privilege: a non-conforming target must be at the CPL.
  if (!isCodeType(access) || dpl > c || (!isCall && !conforming && dpl != c)) {
    raise(VEC_GP, codeSel & SEL_NO_RPL, true);
    return;
  }
  if ((access & 0x80) == 0) {
    raise(VEC_NP, codeSel & SEL_NO_RPL, true);
    return;
  }
  const base = descBase();
  const limit = descLimit();
  const attr = descAttr();
  markAccessed();
  if (faulted) return;
  const sz: u32 = gate32 ? 2 : 1;
  if (isCall && !conforming && dpl < c) {
    callInner(codeSel, base, limit, attr, dpl, offset, sz, params);
    return;
  }
  if (offset > limit) {
    gp(0);
    return;
  }
  if (isCall) {
    push(sz, segSel(SEG_CS));
    if (faulted) return;
    push(sz, ip);
    if (faulted) return;
  }
  setCodeSegment((codeSel & SEL_NO_RPL) | c, base, limit, attr, c);
  setIp(offset);
}

/** CALL to a more privileged level: the new stack gets SS:ESP, the parameters and CS:EIP. */
function callInner(codeSel: u32, base: u32, limit: u32, attr: u32, dpl: u32, offset: u32, sz: u32, params: u32): void {
  if (!readInnerStack(dpl, 0)) return;
  const n: u32 = 1 << sz;
  if (!innerFrameFits((4 + params) * n)) {
    raise(VEC_SS, innerSs & SEL_NO_RPL, true);
    return;
  }
  if (offset > limit) {
    gp(0);
    return;
  }
  beginInnerFrame();
  framePush(sz, segSel(SEG_SS));
  framePush(sz, reg32(ESP));
  for (let i = params; i > 0; i--) {
    // Copied so that they lie in the same order as on the caller's stack.
    const v = peekStack(sz, (i - 1) * n);
    if (faulted) return;
    framePush(sz, v);
  }
  framePush(sz, segSel(SEG_CS));
  framePush(sz, ip);
  if (faulted) return;
  // Commit: nothing below can fault. The SS descriptor is the one last read.
  markAccessed();
  setSegmentCache(SEG_SS, innerSs, innerSsBase, innerSsLimit, innerSsAttr);
  setStackPointer(frameTop());
  if (innerStackIs32()) setReg32(ESP, frameTop());
  setCodeSegment((codeSel & SEL_NO_RPL) | dpl, base, limit, attr, dpl);
  setIp(offset);
}
