// Power-on / RESET state of the processor (SDM vol. 3, "Processor State After Reset").

import {
  STATE_BASE, OFF_CR0, OFF_GDTR_LIMIT, OFF_IDTR_LIMIT, OFF_LDTR_LIMIT,
  OFF_TR_LIMIT, OFF_TR_ATTR, OFF_HALTED, OFF_EXC_EXIT_MASK, OFF_RAM_SIZE, OFF_A20_MASK,
  OFF_INSTR_COUNT, OFF_TSC_OFFSET, OFF_CLOCK_BASE_TICKS, OFF_CLOCK_BASE_COUNT, OFF_CLOCK_RATE, EDX, SEG_CS, EFLAGS_FIXED1, setReg32,
  OFF_DR6, OFF_DR7, DR6_INIT, DR7_INIT,
} from './state';
import { setSegmentCache } from './segments';
import { setFlags } from './flags';
import { flushTlb } from './memory';
import { setCpl } from './code-segment';
import { clearFault } from './fault';
import { resetFpu } from './fpu/stack';
import { resetSse } from './sse/mxcsr';
import { SIGNATURE } from './system';

export function resetCpu(): void {
  // Keep what describes the machine rather than the CPU: RAM size, A20,
  // the host's exception exit mask, and the clock (time does not go back).
  const ram = load<u32>(OFF_RAM_SIZE);
  const a20 = load<u32>(OFF_A20_MASK);
  const mask = load<u32>(OFF_EXC_EXIT_MASK);
  const count = load<u64>(OFF_INSTR_COUNT);
  const tscOffset = load<u64>(OFF_TSC_OFFSET);
  const clockTicks = load<u64>(OFF_CLOCK_BASE_TICKS);
  const clockCount = load<u64>(OFF_CLOCK_BASE_COUNT);
  const clockRate = load<u64>(OFF_CLOCK_RATE);
  memory.fill(STATE_BASE, 0, 0x200);
  store<u32>(OFF_RAM_SIZE, ram);
  store<u32>(OFF_A20_MASK, a20);
  store<u32>(OFF_EXC_EXIT_MASK, mask);
  store<u64>(OFF_INSTR_COUNT, count);
  store<u64>(OFF_TSC_OFFSET, tscOffset);
  store<u64>(OFF_CLOCK_BASE_TICKS, clockTicks);
  store<u64>(OFF_CLOCK_BASE_COUNT, clockCount);
  store<u64>(OFF_CLOCK_RATE, clockRate);

  setFlags(EFLAGS_FIXED1);
  store<u32>(OFF_CR0, 0x60000010);
  store<u32>(OFF_DR6, DR6_INIT);
  store<u32>(OFF_DR7, DR7_INIT);
  store<u32>(OFF_GDTR_LIMIT, 0xffff);
  store<u32>(OFF_IDTR_LIMIT, 0xffff);
  store<u32>(OFF_LDTR_LIMIT, 0xffff);
  store<u32>(OFF_TR_LIMIT, 0xffff);
  store<u32>(OFF_TR_ATTR, 0x8b);
  setReg32(EDX, SIGNATURE); // processor signature, as CPUID leaf 1 reports it
  for (let s = 0; s < 6; s++) {
    if (s == SEG_CS) setSegmentCache(s, 0xf000, 0xffff0000, 0xffff, 0x9b);
    else setSegmentCache(s, 0, 0, 0xffff, 0x93);
  }
  store<u32>(STATE_BASE + 0x20, 0xfff0); // EIP
  store<u32>(OFF_HALTED, 0);
  setCpl(0);
  clearFault();
  resetFpu();
  resetSse();
  flushTlb(false);
}
