// The trace view: the core's event ring (syscalls, exceptions, IRQs, CR3
// loads, mode switches, and the port I/O the host adds), decoded, filtered
// by kind, and read from a cursor so a caller can follow it.

import type { PcMachine } from '../machine/machine.ts';
import { EXCEPTION_MNEMONICS, syscallName } from './names.ts';
import {
  OFF_TRACE_HEAD,
  OFF_TRACE_MASK,
  TRACE_BASE,
  TRACE_CAP,
  TRACE_RECORD,
  TRACE_SYSCALL,
  TRACE_EXCEPTION,
  TRACE_IRQ,
  TRACE_PORT,
  TRACE_CR3,
  TRACE_MODE,
  TRACE_F_KIND,
  TRACE_F_A,
  TRACE_F_B,
  TRACE_F_C,
  TRACE_F_INSTRUCTIONS,
  TRACE_F_EIP,
  TRACE_F_CR3,
} from '../core-abi.ts';

export const TRACE_KINDS = ['syscall', 'exception', 'irq', 'port', 'cr3', 'mode'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];
/** Each kind's number in a record and bit in the mask (asm/cpu/counters.ts TRACE_*). */
const KIND_CODE: Record<TraceKind, number> = {
  syscall: TRACE_SYSCALL,
  exception: TRACE_EXCEPTION,
  irq: TRACE_IRQ,
  port: TRACE_PORT,
  cr3: TRACE_CR3,
  mode: TRACE_MODE,
};
const KIND_BY_CODE = new Map(TRACE_KINDS.map((k) => [KIND_CODE[k], k]));

export interface TraceEvent {
  /** Position in the stream of all records ever written: the cursor for follow. */
  seq: number;
  kind: TraceKind;
  instructions: number;
  eip: number;
  cr3: number;
  /** For port I/O: the device and register ("COM1 THR/RBR"). */
  port?: string;
  /** For an interrupt: the IRQ line and device its vector stands for ("IRQ 4 (COM1)"). */
  irq?: string;
  /** Kind-specific: see describe(). */
  a: number;
  b: number;
  c: number;
}

export function parseKinds(list: string): TraceKind[] {
  return list.split(',').map((k) => {
    if (!(TRACE_KINDS as readonly string[]).includes(k)) throw new Error(`unknown trace kind "${k}"; kinds are ${TRACE_KINDS.join(', ')}`);
    return k as TraceKind;
  });
}

/**
 * Turns tracing of `kinds` on (all others off). Port I/O is recorded by the
 * host, so its observer is attached only while that kind is on.
 */
export function enableTrace(m: PcMachine, kinds: readonly TraceKind[]): void {
  const mask = kinds.reduce((acc, k) => acc | (1 << KIND_CODE[k]), 0);
  m.core.memory.setUint32(OFF_TRACE_MASK, mask, true);
  m.bus.observer = kinds.includes('port') ? (port, size, value, write) => m.core.traceHost(TRACE_PORT, port, value, size | (write ? 0x100 : 0)) : undefined;
}

/** The next record to be written: pass it to readTrace to see only newer ones. */
export function traceCursor(m: PcMachine): number {
  return Number(m.core.memory.getBigUint64(OFF_TRACE_HEAD, true));
}

/** How many records after `since` the ring has already overwritten. */
export function traceLost(m: PcMachine, since: number): number {
  return Math.max(0, traceCursor(m) - TRACE_CAP - since);
}

/** Records from `since` on (those the ring still holds), oldest first, optionally only of some kinds. */
export function readTrace(m: PcMachine, since = 0, kinds?: readonly TraceKind[]): TraceEvent[] {
  const core = m.core;
  const dv = core.memory;
  const cap = TRACE_CAP;
  const size = TRACE_RECORD;
  const base = TRACE_BASE;
  const head = traceCursor(m);
  const out: TraceEvent[] = [];
  for (let seq = Math.max(since, head - cap); seq < head; seq++) {
    const p = base + (seq % cap) * size;
    const kind = KIND_BY_CODE.get(dv.getUint32(p + TRACE_F_KIND, true));
    if (kind === undefined || (kinds && !kinds.includes(kind))) continue;
    const a = dv.getUint32(p + TRACE_F_A, true);
    out.push({
      seq,
      kind,
      a,
      b: dv.getUint32(p + TRACE_F_B, true),
      c: dv.getUint32(p + TRACE_F_C, true),
      instructions: Number(dv.getBigUint64(p + TRACE_F_INSTRUCTIONS, true)),
      eip: dv.getUint32(p + TRACE_F_EIP, true),
      cr3: dv.getUint32(p + TRACE_F_CR3, true),
      ...(kind === 'port' ? { port: m.bus.portName(a) } : {}),
      ...(kind === 'irq' ? { irq: m.irqName(a) } : {}),
    });
  }
  return out;
}

const hex = (v: number) => '0x' + v.toString(16);

const ESCAPES: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x1b: '\\e', 0x27: "\\'" };

/** The registers whose bytes are text on their way to or from a terminal. */
const TEXT_REGISTERS = /( THR\/RBR|^debug console)$/;

/** A byte a UART carries, as the character it is (when it is one). */
function character(byte: number, size: number, port = ''): string {
  if (size !== 1 || !TEXT_REGISTERS.test(port)) return '';
  if (ESCAPES[byte]) return ` '${ESCAPES[byte]}'`;
  return byte >= 0x20 && byte < 0x7f ? ` '${String.fromCharCode(byte)}'` : '';
}

/** One line for a record, in words. */
export function describe(e: TraceEvent): string {
  switch (e.kind) {
    case 'syscall':
      return `${syscallName(e.a)} (${e.a}) by ${e.b === 0x80 ? 'int 0x80' : 'sysenter'}, first argument ${hex(e.c)}`;
    case 'exception':
      return `exception ${e.a}${EXCEPTION_MNEMONICS[e.a] ? ` ${EXCEPTION_MNEMONICS[e.a]}` : ''} error code ${hex(e.b)}`;
    case 'irq':
      return `interrupt vector ${hex(e.a)}${e.irq ? ` from ${e.irq}` : ''}`;
    case 'port': {
      const size = e.c & 0xff;
      const write = (e.c & 0x100) !== 0;
      return `${write ? 'out' : 'in'} ${hex(e.a)}${e.port ? ` ${e.port}` : ''} ${write ? '<-' : '->'} ${hex(e.b)}${character(e.b, size, e.port)} (${size} byte)`;
    }
    case 'cr3':
      return `cr3 ${hex(e.a)} -> ${hex(e.b)}`;
    case 'mode':
      return `cpl ${e.a} -> ${e.b}`;
  }
}
