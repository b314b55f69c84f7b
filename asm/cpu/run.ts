// The run loop: executes instructions until the budget is spent or something
// needs the host, and turns faults into delivered exceptions (with the
// double- and triple-fault rules) or into an exit for the host.

import {
  OFF_EFLAGS, OFF_HALTED, OFF_IRQ_PENDING, OFF_NMI_PENDING, OFF_EXIT_REASON, OFF_EXC_VECTOR,
  OFF_EXC_CODE, OFF_EXC_HAS_CODE, OFF_EXC_EXIT_MASK, OFF_CNT_EXCEPTIONS, OFF_CNT_BY_VECTOR,
  OFF_CPL, ESP, IF, TF, RF, EXIT_BUDGET, EXIT_HLT, EXIT_EXCEPTION, EXIT_TRIPLE_FAULT,
  EXIT_HOST_REQUEST, EXIT_BREAKPOINT, reg32, setReg32, eip, setEip, add64,
  OFF_DR6, DR6_BS,
} from './state';
import { jitEnabled, jitEveryInstruction, jitSlotHere, jitRun, setRunBudget } from './jit';
import {
  faulted, faultVector, faultCode, faultHasCode, faultIsTrap, faultIsSoftware, clearFault,
  VEC_DF, VEC_PF, VEC_DB, VEC_NMI,
} from './fault';
import {
  beginInstruction, ip, instrStart, setIp, branched, clearBranched, restartAt,
} from './decode';
import { execute } from './execute';
import { deliver } from './interrupts';
import { materializeFlags } from './flags';
import { setUserMode } from './memory';
import { refreshAllFast } from './segments';
import { inShadow, inDebugShadow } from './system';
import { tick, commitSlice, sliceCount } from './clock';
import { attention, raiseAttention, clearAttention, stopRequested, clearStopRequest } from './signals';
import { invalidateFetch } from './fetch-window';
import { acknowledgeInterrupt } from './host';
import { noteInterrupt } from './counters';
import { breakpointArmed, atBreakpoint } from './breakpoint';

// TF was set when the current instruction started: a #DB trap follows it.
let stepping: bool = false;
// RF was set when the current instruction started: it is cleared once the
// instruction completes (SDM 17.3.1.1), so the flag never outlives one instruction.
let resumeFlag: bool = false;

/** The host raised or lowered the INTR line, or raised NMI. */
export function interruptRequest(intr: bool, nmi: bool): void {
  store<u32>(OFF_IRQ_PENDING, intr ? 1 : 0);
  if (nmi) store<u32>(OFF_NMI_PENDING, 1);
  raiseAttention();
}

@inline function isContributory(v: u32): bool {
  return v == 0 || (v >= 10 && v <= 13);
}

/**
 * Delivers an event; a fault raised while delivering it either becomes a
 * double fault or is delivered in its place, per the SDM's table. Returns
 * false on a triple fault.
 */
function deliverEvent(vector: u32, hasCode: bool, code: u32, software: bool, retEip: u32, fault: bool): bool {
  let v = vector;
  let hc = hasCode;
  let c = code;
  let sw = software;
  for (let attempt = 0; attempt < 3; attempt++) {
    const esp = reg32(ESP);
    deliver(v, hc, c, sw, retEip, fault);
    if (!faulted) return true;
    setReg32(ESP, esp);
    const second = faultVector;
    const secondCode = faultCode;
    const secondHasCode = faultHasCode;
    clearFault();
    countException(second);
    if (v == VEC_DF) return false;
    const first = v;
    if ((isContributory(first) && isContributory(second)) || (first == VEC_PF && (isContributory(second) || second == VEC_PF))) {
      v = VEC_DF;
      hc = true;
      c = 0;
      countException(VEC_DF);
    } else {
      v = second;
      hc = secondHasCode;
      c = secondCode;
    }
    // A software interrupt whose delivery faulted did not complete: the fault points at it.
    if (sw) retEip = instrStart;
    sw = false;
    fault = true;
  }
  return false;
}

function countException(v: u32): void {
  add64(OFF_CNT_EXCEPTIONS, 1);
  if (v < 32) add64(OFF_CNT_BY_VECTOR + (v << 3), 1);
}

/**
 * Handles the fault the last instruction raised. Returns an exit reason, or
 * EXIT_BUDGET to keep running.
 */
function handleFault(espBefore: u32): u32 {
  const vector = faultVector;
  const trap = faultIsTrap;
  const retEip = trap ? ip : instrStart;
  if (!trap) setReg32(ESP, espBefore);
  countException(vector);
  if (vector < 32 && ((load<u32>(OFF_EXC_EXIT_MASK) >> vector) & 1) != 0) {
    store<u32>(OFF_EXC_VECTOR, vector);
    store<u32>(OFF_EXC_CODE, faultCode);
    store<u32>(OFF_EXC_HAS_CODE, faultHasCode ? 1 : 0);
    setIp(retEip);
    clearFault();
    return EXIT_EXCEPTION;
  }
  const hasCode = faultHasCode;
  const code = faultCode;
  const software = faultIsSoftware;
  clearFault();
  if (!deliverEvent(vector, hasCode, code, software, retEip, !trap)) {
    // The machine stops at the instruction that faulted first, however far its
    // decoding had gone (compiled code has EIP there already).
    setIp(retEip);
    return EXIT_TRIPLE_FAULT;
  }
  return EXIT_BUDGET;
}

/** An external interrupt or NMI, if one is due and allowed. Returns true when one was delivered. */
function serviceInterrupts(): bool {
  if (load<u32>(OFF_NMI_PENDING) != 0) {
    store<u32>(OFF_NMI_PENDING, 0);
    store<u32>(OFF_HALTED, 0);
    const at = ip;
    beginInstruction(at);
    return deliverEvent(VEC_NMI, false, 0, false, at, false);
  }
  if ((load<u32>(OFF_EFLAGS) & IF) == 0 || inShadow()) return false;
  const vector = acknowledgeInterrupt();
  if (vector < 0) return false; // the controller withdrew the request
  noteInterrupt(<u32>vector);
  store<u32>(OFF_HALTED, 0);
  const at = ip;
  beginInstruction(at);
  return deliverEvent(<u32>vector, false, 0, false, at, false);
}

/** Re-derives cached state from the state block, which the host may have changed. */
function enterRun(): void {
  materializeFlags();
  setUserMode(load<u32>(OFF_CPL) == 3);
  refreshAllFast();
  invalidateFetch();
  setIp(eip());
  clearStopRequest();
  raiseAttention();
}

const CONTINUE: u32 = 0xffffffff;

/**
 * The slow path at an instruction boundary: interrupts, HLT, host requests,
 * single-step. Leaves `attention` raised while something still needs a look
 * before the next instruction.
 */
function attend(): u32 {
  clearAttention();
  if (load<u32>(OFF_IRQ_PENDING) != 0 || load<u32>(OFF_NMI_PENDING) != 0) {
    const delivered = serviceInterrupts();
    if (faulted) {
      clearFault();
      return EXIT_TRIPLE_FAULT;
    }
    if (delivered) {
      raiseAttention(); // more may be waiting behind it
    } else if ((load<u32>(OFF_EFLAGS) & IF) != 0 || load<u32>(OFF_NMI_PENDING) != 0) {
      raiseAttention(); // held off by a shadow: look again at the next boundary
    }
  }
  if (load<u32>(OFF_HALTED) != 0) {
    raiseAttention();
    return EXIT_HLT;
  }
  if (stopRequested) {
    clearStopRequest();
    return EXIT_HOST_REQUEST;
  }
  if (breakpointArmed()) {
    raiseAttention();
    if (atBreakpoint()) return EXIT_BREAKPOINT;
  }
  const flags = load<u32>(OFF_EFLAGS);
  stepping = (flags & TF) != 0;
  resumeFlag = (flags & RF) != 0;
  return CONTINUE;
}

/**
 * After an instruction run with the rarely needed extras: clears RF once it
 * completed, and raises the single-step trap (TF). Leaves attention raised so
 * the next boundary looks at EFLAGS again.
 */
function finishCarefully(esp: u32, singleStep: bool): u32 {
  raiseAttention();
  if (resumeFlag && (!faulted || faultIsTrap)) {
    // The instruction completed (a trap completes it too): RF goes.
    resumeFlag = false;
    store<u32>(OFF_EFLAGS, load<u32>(OFF_EFLAGS) & ~RF);
  }
  if (faulted) return handleFault(esp);
  if (singleStep && !inDebugShadow()) {
    // Single-step trap after the instruction, with DR6.BS.
    store<u32>(OFF_DR6, load<u32>(OFF_DR6) | DR6_BS);
    if (!deliverEvent(VEC_DB, false, 0, false, ip, false)) return EXIT_TRIPLE_FAULT;
  }
  return EXIT_BUDGET;
}

/**
 * Executes up to `budget` instructions. During a run EIP lives in the
 * decoder's `ip` (the next instruction's offset at every boundary); the state
 * block gets it back when run() returns. execute() is inlined into this one
 * loop: a call per instruction costs more than the instruction itself.
 */
export function run(budget: u32): u32 {
  enterRun();
  setRunBudget(budget);
  let reason = EXIT_BUDGET;
  let fromRegion = false;
  while (sliceCount() < budget) {
    let careful = false;
    let singleStep = false;
    if (attention) {
      reason = attend();
      if (reason != CONTINUE) break;
      reason = EXIT_BUDGET;
      careful = stepping || resumeFlag;
      singleStep = stepping;
      stepping = false;
    }
    // After a region stopped at an instruction only the interpreter runs,
    // the next one is looked up too (a region may go on there), not only the
    // next control transfer's target.
    let lookAfter = false;
    if (jitEnabled && (branched || jitEveryInstruction) && !careful && !attention) {
      clearBranched();
      const slot = jitSlotHere();
      lookAfter = fromRegion;
      fromRegion = false;
      if (slot != 0) {
        const before = sliceCount();
        const next = jitRun(slot);
        if (faulted) {
          if (!faultIsTrap) restartAt(next);
          reason = handleFault(reg32(ESP));
          if (reason != EXIT_BUDGET) break;
          continue;
        }
        setIp(next); // and look for the region that goes on from there
        if (sliceCount() != before) {
          fromRegion = true;
          continue;
        }
        clearBranched(); // the region stopped before its first instruction: interpret it
      }
    }
    const esp = reg32(ESP);
    beginInstruction(ip);
    execute();
    tick();
    if (lookAfter && !faulted) setIp(ip);
    if (careful) {
      reason = finishCarefully(esp, singleStep);
      if (reason != EXIT_BUDGET) break;
    } else if (faulted) {
      reason = handleFault(esp);
      if (reason != EXIT_BUDGET) break;
    }
  }
  setEip(ip);
  commitSlice();
  materializeFlags();
  store<u32>(OFF_EXIT_REASON, reason);
  return reason;
}
