// Inspector counters and the trace ring, in their own block of wasm memory
// (below the TLB, above the state block) so the host reads them with typed
// views while the guest runs. Every hook here sits on a rare path (event
// delivery, privilege change, CR3 load, SYSENTER, HLT); the instruction loop
// itself pays nothing. Tracing costs one load and branch when its mask is 0.

import { OFF_CR3, EAX, EBX, reg32, add64, INSPECT_BASE, TRACE_BASE, TRACE_SIZE } from './state';
import { retired } from './clock';
import { ip, instrStart } from './decode';

// Built with `--use GLASSBOX_NO_INSPECT=1`, every hook compiles to nothing:
// the core bench:inspect compares against.
// @ts-ignore: a compile-time constant defined (or not) on the asc command line
export const INSPECT: bool = !isDefined(GLASSBOX_NO_INSPECT);

export const OFF_CNT_IRQ_BY_VECTOR: u32 = INSPECT_BASE; // 256 x u64: external interrupts accepted
export const OFF_CNT_INT80: u32 = INSPECT_BASE + 0x800; // u64: INT 0x80 delivered
export const OFF_CNT_SYSENTER: u32 = INSPECT_BASE + 0x808; // u64
export const OFF_CNT_TO_KERNEL: u32 = INSPECT_BASE + 0x810; // u64: CPL 3 -> 0
export const OFF_CNT_TO_USER: u32 = INSPECT_BASE + 0x818; // u64: CPL 0 -> 3
export const OFF_CNT_HLT: u32 = INSPECT_BASE + 0x820; // u64: HLT executed
export const OFF_CNT_CR3_LOADS: u32 = INSPECT_BASE + 0x828; // u64
export const OFF_TRACE_MASK: u32 = INSPECT_BASE + 0x830; // u32: bit per TRACE_* kind, set by the host
export const OFF_TRACE_HEAD: u32 = INSPECT_BASE + 0x838; // u64: records ever written
// Recently seen address spaces: CR3_SLOTS x { u32 cr3, u32 last-use rank, u64 loads }.
export const OFF_CR3_TABLE: u32 = INSPECT_BASE + 0x900;
export const CR3_SLOTS: u32 = 32;
let cr3Clock: u32 = 0;
/** The address-space table's use clock, to and from a snapshot (snapshot.ts). */
export function cr3UseClock(): u32 {
  return cr3Clock;
}
export function setCr3UseClock(v: u32): void {
  cr3Clock = v;
}

// The trace ring: TRACE_CAP records of 32 bytes
// { u32 kind, u32 a, u32 b, u32 c, u64 instructions, u32 eip, u32 cr3 }.
// EIP is the instruction that caused the event (for INT 0x80 and exceptions,
// the EIP delivered to the handler; for an IRQ, the instruction it interrupted).
// 16 Ki records (512 KiB) hold what one run slice of a busy guest writes
// with every kind traced, so a follower draining after each slice loses none.
export const TRACE_RECORD: u32 = 32;
export const TRACE_CAP: u32 = TRACE_SIZE / TRACE_RECORD;
// The record's fields, by byte offset.
export const TRACE_F_KIND: u32 = 0;
export const TRACE_F_A: u32 = 4;
export const TRACE_F_B: u32 = 8;
export const TRACE_F_C: u32 = 12;
export const TRACE_F_INSTRUCTIONS: u32 = 16; // u64
export const TRACE_F_EIP: u32 = 24;
export const TRACE_F_CR3: u32 = 28;

export const TRACE_SYSCALL: u32 = 0; // a = EAX (system call number), b = 0x80 or 0x34 (SYSENTER), c = EBX (first argument)
export const TRACE_EXCEPTION: u32 = 1; // a = vector, b = error code
export const TRACE_IRQ: u32 = 2; // a = vector
export const TRACE_PORT: u32 = 3; // written by the host: a = port, b = value, c = size | write << 8
export const TRACE_CR3: u32 = 4; // a = old CR3, b = new CR3
export const TRACE_MODE: u32 = 5; // a = old CPL, b = new CPL

@inline function tracing(kind: u32): bool {
  return ((load<u32>(OFF_TRACE_MASK) >> kind) & 1) != 0;
}

function traceRecord(kind: u32, a: u32, b: u32, c: u32, at: u32): void {
  const n = load<u64>(OFF_TRACE_HEAD);
  const p = TRACE_BASE + <u32>(n % <u64>TRACE_CAP) * TRACE_RECORD;
  store<u32>(p + TRACE_F_KIND, kind);
  store<u32>(p + TRACE_F_A, a);
  store<u32>(p + TRACE_F_B, b);
  store<u32>(p + TRACE_F_C, c);
  store<u64>(p + TRACE_F_INSTRUCTIONS, retired());
  store<u32>(p + TRACE_F_EIP, at);
  store<u32>(p + TRACE_F_CR3, load<u32>(OFF_CR3));
  store<u64>(OFF_TRACE_HEAD, n + 1);
}

/** An external interrupt the CPU accepted. */
export function noteInterrupt(vector: u32): void {
  if (!INSPECT) return;
  add64(OFF_CNT_IRQ_BY_VECTOR + ((vector & 0xff) << 3), 1);
  if (tracing(TRACE_IRQ)) traceRecord(TRACE_IRQ, vector, 0, 0, ip);
}

/** An event delivered through the IDT/IVT (after delivery succeeded). */
export function noteDelivery(vector: u32, software: bool, code: u32, retEip: u32): void {
  if (!INSPECT) return;
  if (software && vector == 0x80) {
    add64(OFF_CNT_INT80, 1);
    if (tracing(TRACE_SYSCALL)) traceRecord(TRACE_SYSCALL, reg32(EAX), 0x80, reg32(EBX), retEip);
  } else if (vector < 32 && tracing(TRACE_EXCEPTION)) {
    traceRecord(TRACE_EXCEPTION, vector, code, 0, retEip);
  }
}

export function noteSysenter(): void {
  if (!INSPECT) return;
  add64(OFF_CNT_SYSENTER, 1);
  if (tracing(TRACE_SYSCALL)) traceRecord(TRACE_SYSCALL, reg32(EAX), 0x34, reg32(EBX), instrStart);
}

export function noteCplChange(from: u32, to: u32): void {
  if (!INSPECT) return;
  if (from == 3 && to == 0) add64(OFF_CNT_TO_KERNEL, 1);
  else if (from == 0 && to == 3) add64(OFF_CNT_TO_USER, 1);
  if (tracing(TRACE_MODE)) traceRecord(TRACE_MODE, from, to, 0, instrStart);
}

export function noteHlt(): void {
  if (!INSPECT) return;
  add64(OFF_CNT_HLT, 1);
}

/** A MOV to CR3: counted, traced, and ranked in the table of recent address spaces. */
export function noteCr3Load(old: u32, v: u32): void {
  if (!INSPECT) return;
  add64(OFF_CNT_CR3_LOADS, 1);
  if (tracing(TRACE_CR3)) traceRecord(TRACE_CR3, old, v, 0, instrStart);
  const key = v & 0xfffff000;
  cr3Clock++;
  let victim = OFF_CR3_TABLE;
  for (let i: u32 = 0; i < CR3_SLOTS; i++) {
    const slot = OFF_CR3_TABLE + i * 16;
    const count = load<u64>(slot + 8);
    if (count != 0 && load<u32>(slot) == key) {
      store<u32>(slot + 4, cr3Clock);
      store<u64>(slot + 8, count + 1);
      return;
    }
    if (count == 0 || load<u32>(slot + 4) < load<u32>(victim + 4)) victim = slot;
    if (count == 0) break;
  }
  store<u32>(victim, key);
  store<u32>(victim + 4, cr3Clock);
  store<u64>(victim + 8, 1);
}

/** A record from the host (port I/O happens in TypeScript), kept only when its kind is enabled. */
export function traceHost(kind: u32, a: u32, b: u32, c: u32): void {
  if (tracing(kind)) traceRecord(kind, a, b, c, instrStart);
}
