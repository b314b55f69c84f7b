// The counters view: what the core and the port bus counted since power-on,
// as plain numbers (JSON-safe), and rates between two samples.

import type { PcMachine } from '../machine/machine.ts';
import {
  OFF_CNT_BY_VECTOR,
  OFF_CNT_CR3_LOADS,
  OFF_CNT_HLT,
  OFF_CNT_INT80,
  OFF_CNT_IRQ_BY_VECTOR,
  OFF_CNT_SYSENTER,
  OFF_CNT_TLB_FLUSH,
  OFF_CNT_TLB_HIT,
  OFF_CNT_TLB_MISS,
  OFF_CNT_TO_KERNEL,
  OFF_CNT_TO_USER,
} from '../core-abi.ts';

export interface CountersView {
  /** Guest time of the sample, in nanoseconds (virtual clock). */
  guestNs: number;
  instructions: number;
  haltedNs: number;
  hltInstructions: number;
  exceptions: number;
  /** Exceptions raised, by vector (only vectors seen). */
  exceptionsByVector: Record<number, number>;
  pageFaults: number;
  /** External interrupts accepted, by vector (only vectors seen). */
  interruptsByVector: Record<number, number>;
  /** The IRQ line and device each vector in interruptsByVector stands for, where a PIC delivers it. */
  interruptNames: Record<number, string>;
  /** Port accesses (reads and writes), by port (only ports seen). */
  portAccesses: Record<number, number>;
  /** What each port in portAccesses is: "COM1 THR/RBR". */
  portNames: Record<number, string>;
  tlb: { hits: number; misses: number; flushes: number };
  syscalls: { int80: number; sysenter: number };
  transitions: { userToKernel: number; kernelToUser: number };
  cr3Loads: number;
}

const u64 = (dv: DataView, off: number): number => Number(dv.getBigUint64(off, true));

function nonZero(values: ArrayLike<number>, from = 0): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = from; i < values.length; i++) if (values[i]) out[i] = values[i];
  return out;
}

export function readCounters(m: PcMachine): CountersView {
  const core = m.core;
  const dv = core.memory;
  const at = (offset: number) => u64(dv, offset);
  const irqBase = OFF_CNT_IRQ_BY_VECTOR;
  const excBase = OFF_CNT_BY_VECTOR;
  const byVector = (base: number, n: number) => Array.from({ length: n }, (_, v) => u64(dv, base + v * 8));
  const exceptions = byVector(excBase, 32);
  const portAccesses = nonZero(m.bus.accesses);
  const interruptsByVector = nonZero(byVector(irqBase, 256));
  return {
    guestNs: m.nowNs(),
    instructions: Number(core.instructions),
    haltedNs: m.haltedNs,
    hltInstructions: at(OFF_CNT_HLT),
    exceptions: exceptions.reduce((a, b) => a + b, 0),
    exceptionsByVector: nonZero(exceptions),
    pageFaults: exceptions[14],
    interruptsByVector,
    interruptNames: Object.fromEntries(
      Object.keys(interruptsByVector).flatMap((v) => {
        const name = m.irqName(+v);
        return name ? [[v, name]] : [];
      }),
    ),
    portAccesses,
    portNames: Object.fromEntries(Object.keys(portAccesses).map((p) => [p, m.bus.portName(+p)])),
    tlb: { hits: at(OFF_CNT_TLB_HIT), misses: at(OFF_CNT_TLB_MISS), flushes: at(OFF_CNT_TLB_FLUSH) },
    syscalls: { int80: at(OFF_CNT_INT80), sysenter: at(OFF_CNT_SYSENTER) },
    transitions: { userToKernel: at(OFF_CNT_TO_KERNEL), kernelToUser: at(OFF_CNT_TO_USER) },
    cr3Loads: at(OFF_CNT_CR3_LOADS),
  };
}

const POWER_ON: CountersView = {
  guestNs: 0,
  instructions: 0,
  haltedNs: 0,
  hltInstructions: 0,
  exceptions: 0,
  exceptionsByVector: {},
  pageFaults: 0,
  interruptsByVector: {},
  interruptNames: {},
  portAccesses: {},
  portNames: {},
  tlb: { hits: 0, misses: 0, flushes: 0 },
  syscalls: { int80: 0, sysenter: 0 },
  transitions: { userToKernel: 0, kernelToUser: 0 },
  cr3Loads: 0,
};

/** Events per second of guest time between two samples (by default, since power-on), for the scalar counters. */
export function counterRates(after: CountersView, before = POWER_ON): Record<string, number> {
  const s = (after.guestNs - before.guestNs) / 1e9;
  if (s <= 0) return {};
  const rate = (a: number, b: number) => (a - b) / s;
  return {
    instructions: rate(after.instructions, before.instructions),
    exceptions: rate(after.exceptions, before.exceptions),
    pageFaults: rate(after.pageFaults, before.pageFaults),
    syscalls: rate(after.syscalls.int80 + after.syscalls.sysenter, before.syscalls.int80 + before.syscalls.sysenter),
    userToKernel: rate(after.transitions.userToKernel, before.transitions.userToKernel),
    cr3Loads: rate(after.cr3Loads, before.cr3Loads),
    tlbMisses: rate(after.tlb.misses, before.tlb.misses),
  };
}
