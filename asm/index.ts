// The core's exports: the whole ABI the TypeScript host sees.
//
// Memory layout and state-block offsets are exported as constants so the host
// reads them from the module instead of repeating them.

import {
  RAM_BASE, OFF_RAM_SIZE, OFF_A20_MASK, OFF_TSC_OFFSET,
} from './cpu/state';
import { resetCpu } from './cpu/reset';
import { run as runLoop, interruptRequest } from './cpu/run';
import { requestStop as stop } from './cpu/signals';
import { flushTlb as flush, markMmio, markRom, resyncPaging } from './cpu/memory';

// The inspector's MMU view: the core's own walk, changing nothing.
export {
  probeWalk, OFF_PROBE_FAULT, OFF_PROBE_PHYS, OFF_PROBE_PHYS_HIGH, OFF_PROBE_STEPS, OFF_PROBE_STEP, PROBE_STEP_SIZE, PROBE_MAX_STEPS, PROBE_OK,
} from './cpu/memory';
import { retired, instructionTicks, setTickRate, tickRate } from './cpu/clock';
import { configureJit, forgetAll } from './cpu/jit';
import { jitHostWrote } from './cpu/code-pages';

// What compiled regions import (src/core/jit/): the state they share with the interpreter.
export { attention } from './cpu/signals';
export { faulted } from './cpu/fault';
export { slice } from './cpu/clock';
export { runBudget, jitForget, jitEntry, jitTranslated, jitEntered, jitChained, jitCalled, jitCall } from './cpu/jit';
export { lfKind, lfSize, lfA, lfB, lfRes, lazyMask } from './cpu/flags';
export {
  jitRead, jitWrite, jitRmwRead, jitRmwWrite, jitCondition, jitStep, jitRdtsc, jitRaise, jitReadSource, jitSseFault, jitFormCounts, JIT_FORM_SLOTS,
} from './cpu/jit-helpers';
export { TLB_BASE, JIT_CODE_MAP, PAGE_WATCH, OFF_SEG_FAST, SEG_FAST_READ, SEG_FAST_WRITE } from './cpu/state';

export {
  OFF_CNT_IRQ_BY_VECTOR, OFF_CNT_INT80, OFF_CNT_SYSENTER, OFF_CNT_TO_KERNEL,
  OFF_CNT_TO_USER, OFF_CNT_HLT, OFF_CNT_CR3_LOADS, OFF_TRACE_MASK, OFF_TRACE_HEAD, OFF_CR3_TABLE,
  CR3_SLOTS, TRACE_CAP, TRACE_RECORD, traceHost,
  TRACE_SYSCALL, TRACE_EXCEPTION, TRACE_IRQ, TRACE_PORT, TRACE_CR3, TRACE_MODE,
  TRACE_F_KIND, TRACE_F_A, TRACE_F_B, TRACE_F_C, TRACE_F_INSTRUCTIONS, TRACE_F_EIP, TRACE_F_CR3,
} from './cpu/counters';
export { OFF_BP_ARMED, OFF_BP_LINEAR } from './cpu/breakpoint';
export { saveHotState, loadHotState, pageIsZero, pagesWatched } from './cpu/snapshot';

// The memory map (state.ts), region by region.
export {
  STATE_SIZE, INSPECT_BASE, INSPECT_SIZE, TLB_SIZE, TLB_LIST_BASE, TLB_LIST_SIZE, MMIO_BITMAP_BASE, MMIO_BITMAP_SIZE,
  TRACE_BASE, TRACE_SIZE, PROBE_BASE, PROBE_SIZE, ROM_BITMAP_BASE, ROM_BITMAP_SIZE, STATIC_DATA_BASE, STATIC_DATA_SIZE, JIT_CODE_MAP_SIZE, JIT_ENTRIES, JIT_ENTRIES_SIZE,
  PAGE_WATCH_SIZE, JIT_HEAT, JIT_HEAT_SIZE, WATCH_ABSENT, WATCH_WRITE,
} from './cpu/state';

// Architectural bits the host decodes: EFLAGS, CR0, CR4, segment attributes, segment and register numbers.
export {
  CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, RF, VM, AC, VIF, VIP, ID, ARITH_FLAGS, EFLAGS_FIXED1,
  CR0_PE, CR0_MP, CR0_EM, CR0_TS, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_PG,
  CR4_TSD, CR4_DE, CR4_PSE, CR4_PAE, CR4_PGE, CR4_PCE, CR4_OSFXSR, CR4_OSXMMEXCPT, EFER_NXE,
  ATTR_UNUSABLE, ATTR_DB, SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS,
} from './cpu/state';

// Exception vectors.
export {
  VEC_DE, VEC_DB, VEC_NMI, VEC_BP, VEC_OF, VEC_BR, VEC_UD,
  VEC_NM, VEC_DF, VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF,
  VEC_MF, VEC_AC,
} from './cpu/fault';

export {
  RAM_BASE, STATE_BASE, TLB_BASE, OFF_REGS, OFF_EIP, OFF_EFLAGS, OFF_SEG_SEL, OFF_SEG_BASE, OFF_SEG_LIMIT,
  OFF_SEG_ATTR, OFF_CR0, OFF_CR2, OFF_CR3, OFF_CR4, OFF_DR, OFF_GDTR_BASE, OFF_GDTR_LIMIT,
  OFF_IDTR_BASE, OFF_IDTR_LIMIT, OFF_LDTR_SEL, OFF_LDTR_BASE, OFF_LDTR_LIMIT, OFF_TR_SEL,
  OFF_TR_BASE, OFF_TR_LIMIT, OFF_TR_ATTR, OFF_CPL, OFF_INSTR_COUNT, OFF_EXIT_REASON,
  OFF_EXC_VECTOR, OFF_EXC_CODE, OFF_EXC_HAS_CODE, OFF_EXC_EXIT_MASK, OFF_RAM_SIZE, OFF_A20_MASK,
  OFF_HALTED, OFF_TSC_OFFSET, OFF_SYSENTER_CS, OFF_SYSENTER_ESP, OFF_SYSENTER_EIP,
  OFF_IRQ_PENDING, OFF_NMI_PENDING, OFF_APIC_BASE, OFF_EFER, OFF_CNT_TLB_HIT, OFF_CNT_TLB_MISS, OFF_CNT_TLB_FLUSH,
  OFF_CNT_EXCEPTIONS, OFF_CNT_BY_VECTOR, OFF_PDPTE, OFF_HOT_STATE, OFF_FPU_ST, OFF_FPU_CW, OFF_FPU_SW, OFF_FPU_EMPTY,
  OFF_FPU_FIP, OFF_FPU_FCS, OFF_FPU_FOP, OFF_FPU_FDP, OFF_FPU_FDS, OFF_FPU_FERR, OFF_FPU_EXACT,
  OFF_XMM, OFF_MXCSR,
  EXIT_BUDGET, EXIT_HLT, EXIT_EXCEPTION, EXIT_TRIPLE_FAULT, EXIT_HOST_REQUEST, EXIT_BREAKPOINT,
} from './cpu/state';

const PAGE: u32 = 65536;

/**
 * Sizes guest RAM (bytes, a multiple of 4 KiB) and resets the CPU. Returns
 * false if the memory could not be grown.
 */
export function init(ramBytes: u32): bool {
  const need = (RAM_BASE + ramBytes + PAGE - 1) / PAGE;
  const have = <u32>memory.size();
  if (need > have && memory.grow(<i32>(need - have)) < 0) return false;
  store<u32>(OFF_RAM_SIZE, ramBytes);
  store<u32>(OFF_A20_MASK, 0xffffffff);
  resetCpu();
  return true;
}

export function reset(): void {
  resetCpu();
}

/** Runs up to `budget` instructions; returns the exit reason (EXIT_*). */
export function run(budget: u32): u32 {
  return runLoop(budget);
}

/**
 * Instructions retired so far, exact even from inside a host import in the
 * middle of run() (the state block holds the count as of the last return).
 */
export function instructionCount(): u64 {
  return retired();
}

/** Guest time of the instructions retired so far, in TSC ticks (asm/cpu/clock.ts). */
export function instructionTickCount(): u64 {
  return instructionTicks();
}

/** Sets the guest time each instruction stands for from here on: 32.32 ticks per instruction, at most one (the realtime clock's fit). */
export function setInstructionRate(rate: u64): void {
  setTickRate(rate);
}

/** The ticks per instruction now, 32.32. */
export function instructionRate(): u64 {
  return tickRate();
}

/** Advances the TSC by `ticks` without retiring instructions (time the machine skipped while halted). */
export function advanceTsc(ticks: u64): void {
  store<u64>(OFF_TSC_OFFSET, load<u64>(OFF_TSC_OFFSET) + ticks);
}

/** From inside a host import: return from run() at the next instruction boundary. */
export function requestStop(): void {
  stop();
}

/** Sets the INTR line (the interrupt controller's output) and/or raises NMI. */
export function setInterruptLines(intr: bool, nmi: bool): void {
  interruptRequest(intr, nmi);
}

/**
 * Drops every cached translation (after the host edits page tables or the
 * state block). In PAE mode the PDPTE registers are reloaded from CR3 too, as
 * a MOV CR3 would; returns false if an entry there has a reserved bit set.
 */
export function flushTlb(): bool {
  return resyncPaging();
}

/** Marks physical pages [start, end) as device memory: accesses go to mmioRead/mmioWrite. */
export function setMmioPages(startPage: u32, endPage: u32): void {
  markMmio(startPage, endPage);
}

/** Makes physical pages [start, end) write-protected RAM (or plain RAM again): reads stay RAM, writes go to mmioWrite. */
export function setRomPages(startPage: u32, endPage: u32, protect: bool): void {
  markRom(startPage, endPage, protect);
}

/** Sets the A20 gate (port 0x92 / the keyboard controller drive it). */
export function setA20(enabled: bool): void {
  store<u32>(OFF_A20_MASK, enabled ? 0xffffffff : 0xffefffff);
  flush(false);
}


/**
 * Turns the translator on or off. `everyInstruction` looks for compiled code
 * before each instruction rather than after control transfers; `hotAfter` is
 * how many instructions the interpreter runs in a page before code there is
 * compiled (0: on first execution).
 * Forgets every compiled entry: the host drops its regions with it.
 */
export function setTranslation(enabled: bool, everyInstruction: bool, hotAfter: u32): void {
  configureJit(enabled, everyInstruction, hotAfter);
}

/** Forgets every compiled entry (the host dropped its regions). */
export function jitForgetAll(): void {
  forgetAll();
}

/** The host wrote guest RAM [phys, phys + len) behind the CPU (DMA): compiled code there is dropped. */
export function ramWritten(phys: u32, len: u32): void {
  jitHostWrote(phys, len);
}
