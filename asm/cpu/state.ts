// The CPU state block and the fixed memory map of the core's linear memory.
//
// Everything the host may read or write lives at a fixed offset, so the
// inspector reads registers with a typed view while the guest runs. The hot
// run-loop state kept in wasm globals is copied to OFF_HOT_STATE for a
// snapshot and written back whenever run() returns. The offsets and bits are
// exported (asm/index.ts) and generated into src/core-abi.ts, so the host
// never writes them again.

// The memory map of the wasm linear memory, in address order: each region's
// base and size. test/cpu/core-abi.test.ts checks that they are disjoint and
// in this order, and that asconfig.json's memoryBase is STATIC_DATA_BASE.
export const STATE_BASE: u32 = 0x1000; // the CPU state block (OFF_* below)
export const STATE_SIZE: u32 = 0x1000;
export const INSPECT_BASE: u32 = 0x4000; // the inspector's counters (counters.ts)
export const INSPECT_SIZE: u32 = 0x1000;
export const TLB_BASE: u32 = 0x10000; // one u32 per linear page: 1 Mi entries
export const TLB_SIZE: u32 = 0x400000;
export const TLB_LIST_BASE: u32 = 0x410000; // indices of filled TLB entries, for cheap flushes
export const TLB_LIST_CAP: u32 = 0x8000;
export const TLB_LIST_SIZE: u32 = TLB_LIST_CAP * 4;
export const MMIO_BITMAP_BASE: u32 = 0x430000; // one bit per 4 KiB physical page below 4 GiB
export const MMIO_BITMAP_SIZE: u32 = 0x20000;
export const TRACE_BASE: u32 = 0x450000; // the inspector's trace ring (counters.ts)
export const TRACE_SIZE: u32 = 0x80000;
// The inspector's page-walk answer (memory.ts probeWalk): outside the saved
// CPU state (STATE_BASE up to TLB_BASE), so looking changes no snapshot.
export const PROBE_BASE: u32 = 0x4d0000;
export const PROBE_SIZE: u32 = 0x1000;
// Write-protected RAM (memory.ts): one bit per 4 KiB physical page below 4 GiB.
// Reads come from RAM as usual; writes go to the host's mmioWrite, which
// decides where they land (a chipset's shadow RAM controls, src/devices/pam-shadow.ts).
export const ROM_BITMAP_BASE: u32 = 0x4e0000;
export const ROM_BITMAP_SIZE: u32 = 0x20000;
export const STATIC_DATA_BASE: u32 = 0x500000; // AssemblyScript's own data: asconfig.json memoryBase
export const STATIC_DATA_SIZE: u32 = 0xb00000;
// The translator's tables (jit.ts): which physical pages hold compiled code,
// one byte per 4 KiB page below 4 GiB, then the entry cache.
export const JIT_CODE_MAP: u32 = 0x1000000;
export const JIT_CODE_MAP_SIZE: u32 = 0x100000;
export const JIT_ENTRIES: u32 = 0x1100000;
export const JIT_ENTRIES_SIZE: u32 = 0x100000;
// Pages the host watches (snapshots and forks, src/snapshot/lazy-ram.ts): one
// byte per 4 KiB physical page below 4 GiB, the WATCH_* bits.
export const PAGE_WATCH: u32 = 0x1200000;
export const PAGE_WATCH_SIZE: u32 = 0x100000;
// How many instructions the interpreter ran in each page (u32 each): the translator's heat.
export const JIT_HEAT: u32 = 0x1300000;
export const JIT_HEAT_SIZE: u32 = 0x400000;
export const RAM_BASE: u32 = 0x2000000; // guest physical address 0, as much RAM as the machine asks for

// PAGE_WATCH bits: the page is not filled yet / is about to be written (memory.ts).
export const WATCH_ABSENT: u8 = 1;
export const WATCH_WRITE: u8 = 2;

// General registers, in x86 encoding order (EAX ECX EDX EBX ESP EBP ESI EDI).
export const OFF_REGS: u32 = STATE_BASE + 0x00; // 8 x u32
export const OFF_EIP: u32 = STATE_BASE + 0x20;
// EFLAGS as the guest would read it with PUSHF. Exact whenever run() is not executing.
export const OFF_EFLAGS: u32 = STATE_BASE + 0x24;

// Segment registers, in encoding order (ES CS SS DS FS GS), each with its hidden descriptor cache.
export const SEG_ES: i32 = 0;
export const SEG_CS: i32 = 1;
export const SEG_SS: i32 = 2;
export const SEG_DS: i32 = 3;
export const SEG_FS: i32 = 4;
export const SEG_GS: i32 = 5;
export const OFF_SEG_SEL: u32 = STATE_BASE + 0x40; // 6 x u32 selector
export const OFF_SEG_BASE: u32 = STATE_BASE + 0x58; // 6 x u32 base
export const OFF_SEG_LIMIT: u32 = STATE_BASE + 0x70; // 6 x u32 limit, in bytes (granularity applied)
// 6 x u32 attributes: bits 0-7 the descriptor access byte (type, S, DPL, P),
// bits 12-15 the flags nibble (AVL, L, D/B, G). Bit 16 marks an unusable (null) segment.
export const OFF_SEG_ATTR: u32 = STATE_BASE + 0x88;
// 6 bytes, derived from the caches above (segments.ts refreshFast): bit
// SEG_FAST_READ (SEG_FAST_WRITE) says reads (writes) through the segment need
// no limit or type check, only the offset's wrap past 4 GiB. Compiled code
// reads it to take FS and GS accesses (a distribution kernel's per-CPU data,
// glibc's TLS) inline.
export const OFF_SEG_FAST: u32 = STATE_BASE + 0x800;
export const SEG_FAST_READ: u32 = 1;
export const SEG_FAST_WRITE: u32 = 2;

// Control, debug and descriptor-table registers.
export const OFF_CR0: u32 = STATE_BASE + 0xa0;
export const OFF_CR2: u32 = STATE_BASE + 0xa4;
export const OFF_CR3: u32 = STATE_BASE + 0xa8;
export const OFF_CR4: u32 = STATE_BASE + 0xac;
export const OFF_DR: u32 = STATE_BASE + 0xb0; // DR0-DR7, 8 x u32
export const OFF_DR6: u32 = OFF_DR + 6 * 4;
export const OFF_DR7: u32 = OFF_DR + 7 * 4;
export const OFF_GDTR_BASE: u32 = STATE_BASE + 0xd0;
export const OFF_GDTR_LIMIT: u32 = STATE_BASE + 0xd4;
export const OFF_IDTR_BASE: u32 = STATE_BASE + 0xd8;
export const OFF_IDTR_LIMIT: u32 = STATE_BASE + 0xdc;
export const OFF_LDTR_SEL: u32 = STATE_BASE + 0xe0;
export const OFF_LDTR_BASE: u32 = STATE_BASE + 0xe4;
export const OFF_LDTR_LIMIT: u32 = STATE_BASE + 0xe8;
export const OFF_TR_SEL: u32 = STATE_BASE + 0xf0;
export const OFF_TR_BASE: u32 = STATE_BASE + 0xf4;
export const OFF_TR_LIMIT: u32 = STATE_BASE + 0xf8;
export const OFF_TR_ATTR: u32 = STATE_BASE + 0xfc;
export const OFF_CPL: u32 = STATE_BASE + 0x100;

// Run bookkeeping.
export const OFF_INSTR_COUNT: u32 = STATE_BASE + 0x108; // u64: instructions retired (the virtual clock)
export const OFF_EXIT_REASON: u32 = STATE_BASE + 0x110;
export const OFF_EXC_VECTOR: u32 = STATE_BASE + 0x114; // last exception raised (for ExitReason.Exception)
export const OFF_EXC_CODE: u32 = STATE_BASE + 0x118;
export const OFF_EXC_HAS_CODE: u32 = STATE_BASE + 0x11c;
// Bit n set: exception vector n stops run() with the faulting state instead of being delivered.
export const OFF_EXC_EXIT_MASK: u32 = STATE_BASE + 0x120;
export const OFF_RAM_SIZE: u32 = STATE_BASE + 0x124;
export const OFF_A20_MASK: u32 = STATE_BASE + 0x128;
export const OFF_HALTED: u32 = STATE_BASE + 0x12c;
export const OFF_TSC_OFFSET: u32 = STATE_BASE + 0x130; // u64 added to the instructions' ticks for RDTSC (idle ticks, WRMSR)
export const OFF_SYSENTER_CS: u32 = STATE_BASE + 0x140; // MSR 0x174
export const OFF_SYSENTER_ESP: u32 = STATE_BASE + 0x144; // MSR 0x175
export const OFF_SYSENTER_EIP: u32 = STATE_BASE + 0x148; // MSR 0x176
export const OFF_IRQ_PENDING: u32 = STATE_BASE + 0x150; // host sets non-zero while the INTR line is raised
export const OFF_NMI_PENDING: u32 = STATE_BASE + 0x154;
// IA32_APIC_BASE (MSR 0x1B), low word: 0 when the machine has no local APIC
// (then CPUID says so and the MSR is #GP); the host sets it at power-on.
export const OFF_APIC_BASE: u32 = STATE_BASE + 0x158;
// IA32_EFER (MSR 0xC0000080), low word: only NXE (bit 11) exists on this 32-bit CPU.
export const OFF_EFER: u32 = STATE_BASE + 0x15c;
export const EFER_NXE: u32 = 1 << 11;
// The instructions' guest time in TSC ticks, piecewise linear in the count
// (clock.ts): ticks at the start of the current rate, the count there, and the
// rate (u64, 32.32 ticks per instruction; 0 is the nominal one tick). Not
// exported by name: zeros mean the nominal rate, so a block saved before these
// fields existed loads unchanged and the layout digest stays.
export const OFF_CLOCK_BASE_TICKS: u32 = STATE_BASE + 0x160;
export const OFF_CLOCK_BASE_COUNT: u32 = STATE_BASE + 0x168;
export const OFF_CLOCK_RATE: u32 = STATE_BASE + 0x170;
// The four PAE page-directory-pointer registers (u64 each), loaded from the
// table at CR3 by MOV CR3 and by turning on paging or PAE.
export const OFF_PDPTE: u32 = STATE_BASE + 0x1e0;
// Run-loop state kept in wasm globals, copied here for a snapshot (snapshot.ts).
export const OFF_HOT_STATE: u32 = STATE_BASE + 0xf00;

// x87 FPU (see asm/cpu/fpu/README.md). Registers are held as f64, indexed by
// physical register number; TOP lives in the status word as the guest sees it.
export const OFF_FPU_ST: u32 = STATE_BASE + 0x400; // 8 x f64, physical R0-R7
export const OFF_FPU_CW: u32 = STATE_BASE + 0x440; // u32: control word
export const OFF_FPU_SW: u32 = STATE_BASE + 0x444; // u32: status word, TOP in bits 11-13
export const OFF_FPU_EMPTY: u32 = STATE_BASE + 0x448; // u32: bit n set = physical register n is empty
export const OFF_FPU_FIP: u32 = STATE_BASE + 0x44c; // last non-control instruction: offset
export const OFF_FPU_FCS: u32 = STATE_BASE + 0x450; // ... its CS selector
export const OFF_FPU_FOP: u32 = STATE_BASE + 0x454; // ... its 11-bit opcode
export const OFF_FPU_FDP: u32 = STATE_BASE + 0x458; // ... its memory operand offset
export const OFF_FPU_FDS: u32 = STATE_BASE + 0x45c; // ... its memory operand selector
export const OFF_FPU_FERR: u32 = STATE_BASE + 0x460; // non-zero while FERR# is asserted (CR0.NE=0: IRQ 13)
// The exact 80-bit contents of the registers an f64 cannot hold (an MM
// register's 64-bit integer, a restored image): bit n of OFF_FPU_EXACT says
// physical register n's bits are at OFF_FPU_BITS + 16n (u64 significand, u16
// sign and exponent); any x87 write of the register clears it (fpu/exact.ts).
export const OFF_FPU_EXACT: u32 = STATE_BASE + 0x464; // u32
export const OFF_FPU_BITS: u32 = STATE_BASE + 0x540; // 8 x 16 bytes

// SSE state (see asm/cpu/sse/README.md): XMM0-7 as 16 little-endian bytes each, then MXCSR.
export const OFF_XMM: u32 = STATE_BASE + 0x480; // 8 x 16 bytes
export const OFF_MXCSR: u32 = STATE_BASE + 0x500; // u32
export const OFF_SSE_SOURCE: u32 = STATE_BASE + 0x510; // 32 bytes of scratch: an instruction's source operand, then a copy of its destination
export const OFF_SSE_RESULT: u32 = STATE_BASE + 0x530; // 16 bytes: a floating-point result, written back only if no unmasked exception

// Counters for the inspector, u64 each.
export const OFF_CNT_TLB_HIT: u32 = STATE_BASE + 0x200;
export const OFF_CNT_TLB_MISS: u32 = STATE_BASE + 0x208;
export const OFF_CNT_TLB_FLUSH: u32 = STATE_BASE + 0x210;
export const OFF_CNT_EXCEPTIONS: u32 = STATE_BASE + 0x218;
export const OFF_CNT_BY_VECTOR: u32 = STATE_BASE + 0x300; // 32 x u64

// Why run() returned.
export const EXIT_BUDGET: u32 = 0;
export const EXIT_HLT: u32 = 1;
export const EXIT_EXCEPTION: u32 = 2;
export const EXIT_TRIPLE_FAULT: u32 = 3;
export const EXIT_HOST_REQUEST: u32 = 4;
export const EXIT_BREAKPOINT: u32 = 5;

// EFLAGS bits.
export const CF: u32 = 1 << 0;
export const PF: u32 = 1 << 2;
export const AF: u32 = 1 << 4;
export const ZF: u32 = 1 << 6;
export const SF: u32 = 1 << 7;
export const TF: u32 = 1 << 8;
export const IF: u32 = 1 << 9;
export const DF: u32 = 1 << 10;
export const OF: u32 = 1 << 11;
export const IOPL: u32 = 3 << 12;
export const NT: u32 = 1 << 14;
export const RF: u32 = 1 << 16;
export const VM: u32 = 1 << 17;
export const AC: u32 = 1 << 18;
export const VIF: u32 = 1 << 19;
export const VIP: u32 = 1 << 20;
export const ID: u32 = 1 << 21;
export const ARITH_FLAGS: u32 = CF | PF | AF | ZF | SF | OF;
export const EFLAGS_FIXED1: u32 = 1 << 1;
/** Bits 3, 5 and 15: always 0. */
export const EFLAGS_RESERVED0: u32 = (1 << 3) | (1 << 5) | (1 << 15);
/** What a 32-bit IRET or POPF may write at CPL 0 outside virtual-8086 mode (VM, VIF and VIP are kept). */
export const IRET32_FLAGS: u32 = ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | AC | ID;

// DR6 and DR7 bits (SDM vol. 3, 17.2).
export const DR6_BS: u32 = 1 << 14; // single-step trap
export const DR6_BT: u32 = 1 << 15; // task-switch trap (the new TSS's T bit)
export const DR6_INIT: u32 = 0xffff0ff0; // at reset: the reserved bits read as 1
export const DR7_INIT: u32 = 0x400; // bit 10 reads as 1

// CR0 bits.
export const CR0_PE: u32 = 1 << 0;
export const CR0_MP: u32 = 1 << 1;
export const CR0_EM: u32 = 1 << 2;
export const CR0_TS: u32 = 1 << 3;
export const CR0_ET: u32 = 1 << 4;
export const CR0_NE: u32 = 1 << 5;
export const CR0_WP: u32 = 1 << 16;
export const CR0_AM: u32 = 1 << 18;
export const CR0_PG: u32 = 1 << 31;
// CR4 bits.
export const CR4_TSD: u32 = 1 << 2;
export const CR4_DE: u32 = 1 << 3;
export const CR4_PSE: u32 = 1 << 4;
export const CR4_PAE: u32 = 1 << 5;
export const CR4_PGE: u32 = 1 << 7;
export const CR4_PCE: u32 = 1 << 8;
export const CR4_OSFXSR: u32 = 1 << 9;
export const CR4_OSXMMEXCPT: u32 = 1 << 10;

// Segment attribute bits (see OFF_SEG_ATTR).
export const ATTR_UNUSABLE: u32 = 1 << 16;
export const ATTR_DB: u32 = 1 << 14;

// Register file accessors. The 8-bit registers AL CL DL BL AH CH DH BH alias
// bytes 0 and 1 of the first four registers.
@inline export function reg32(r: u32): u32 {
  return load<u32>(OFF_REGS + (r << 2));
}
@inline export function setReg32(r: u32, v: u32): void {
  store<u32>(OFF_REGS + (r << 2), v);
}
@inline export function reg16(r: u32): u32 {
  return load<u16>(OFF_REGS + (r << 2));
}
@inline export function setReg16(r: u32, v: u32): void {
  store<u16>(OFF_REGS + (r << 2), <u16>v);
}
@inline function reg8Addr(r: u32): u32 {
  return OFF_REGS + ((r & 3) << 2) + (r >> 2);
}
@inline export function reg8(r: u32): u32 {
  return load<u8>(reg8Addr(r));
}
@inline export function setReg8(r: u32, v: u32): void {
  store<u8>(reg8Addr(r), <u8>v);
}

export const EAX: u32 = 0;
export const ECX: u32 = 1;
export const EDX: u32 = 2;
export const EBX: u32 = 3;
export const ESP: u32 = 4;
export const EBP: u32 = 5;
export const ESI: u32 = 6;
export const EDI: u32 = 7;

@inline export function eip(): u32 {
  return load<u32>(OFF_EIP);
}
@inline export function setEip(v: u32): void {
  store<u32>(OFF_EIP, v);
}
@inline export function segSel(s: i32): u32 {
  return load<u32>(OFF_SEG_SEL + (<u32>s << 2));
}
@inline export function segBase(s: i32): u32 {
  return load<u32>(OFF_SEG_BASE + (<u32>s << 2));
}
@inline export function segLimit(s: i32): u32 {
  return load<u32>(OFF_SEG_LIMIT + (<u32>s << 2));
}
@inline export function segAttr(s: i32): u32 {
  return load<u32>(OFF_SEG_ATTR + (<u32>s << 2));
}
@inline export function cpl(): u32 {
  return load<u32>(OFF_CPL);
}
@inline export function add64(off: u32, n: u64): void {
  store<u64>(off, load<u64>(off) + n);
}
