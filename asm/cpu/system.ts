// System instructions: control and debug registers, descriptor-table
// registers, CPUID, RDTSC, MSRs, SYSENTER/SYSEXIT, HLT, CLI/STI.

import {
  OFF_CR0, OFF_CR2, OFF_CR3, OFF_CR4, OFF_DR, OFF_EFLAGS, OFF_GDTR_BASE, OFF_GDTR_LIMIT,
  OFF_IDTR_BASE, OFF_IDTR_LIMIT, OFF_LDTR_SEL, OFF_LDTR_BASE, OFF_LDTR_LIMIT, OFF_TR_SEL,
  OFF_TR_BASE, OFF_TR_LIMIT, OFF_TR_ATTR, OFF_TSC_OFFSET, OFF_HALTED,
  OFF_SYSENTER_CS, OFF_SYSENTER_ESP, OFF_SYSENTER_EIP, OFF_APIC_BASE, OFF_EFER, EFER_NXE,
  SEG_SS, EAX, ECX, EDX, EBX, ESP,
  CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_TS, CR4_TSD, CR4_DE, CR4_PSE, CR4_PAE, CR4_PGE, CR4_PCE,
  CR4_OSFXSR, CR4_OSXMMEXCPT,
  IF, VM, RF, ZF, reg32, setReg32, cpl,
} from './state';
import { faulted, gp, ud, raise, VEC_GP, VEC_NP } from './fault';
import { flushTlb, invalidatePage, writeAs, loadPdptes } from './memory';
import {
  protectedMode, readDescriptor, descHigh, descBase, descLimit, descAttr,
  setSegmentCache, refreshAllFast, isCodeType,
} from './segments';
import { setFlagBits, getFlags, setFlags } from './flags';
import { setCodeSegment } from './code-segment';
import { setIp } from './decode';
import { retired, instructionTicks } from './clock';
import { raiseAttention } from './signals';
import { noteSysenter, noteHlt, noteCr3Load } from './counters';
import { SEL_TI, LDT_TYPE, TSS16_AVAILABLE, TSS32_AVAILABLE, SEL_NO_RPL } from './descriptors';

// CPUID leaf 1 EDX: FPU, PSE, TSC, MSR, PAE, CX8, SEP, PGE, CMOV, CLFSH,
// MMX, FXSR, SSE, SSE2; ECX: SSE3. Nothing is claimed that the core lacks
// (no MONITOR/MWAIT, SSSE3, MTRRs, PAT, MCE, PSE-36, VME, DE, APIC unless the
// machine has one: below).
const FEATURES_EDX: u32 = (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 19)
  | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
const FEATURES_ECX: u32 = 1 << 0;
// Leaf 1 EBX bits 15-8: the CLFLUSH line size in 8-byte units (64 bytes).
const CLFLUSH_LINE: u32 = 8 << 8;
// Family 15, model 4, stepping 1: a Pentium 4 5x0J (Prescott E0, 90 nm):
// SSE3 and XD (NX), without Intel 64. Linux trusts SEP on it, so the guest
// makes its system calls with SYSENTER.
export const SIGNATURE: u32 = 0xf41;
// Leaf 0x80000001 EDX: NX (the XD bit of PAE entries, with EFER.NXE).
const EXT_FEATURES_EDX: u32 = 1 << 20;
// IA32_MISC_ENABLE (MSR 0x1A0), which Linux reads on family 15: fast
// strings on; branch trace and PEBS unavailable (bits 11, 12); performance
// monitoring unavailable (bit 7 clear), as this core has none.
const MISC_ENABLE: u32 = (1 << 0) | (1 << 11) | (1 << 12);

export const featuresEdx: u32 = FEATURES_EDX;
const APIC_BSP: u32 = 1 << 8;
const APIC_GLOBAL_ENABLE: u32 = 1 << 11;

@inline function paeOn(): bool {
  return (load<u32>(OFF_CR4) & CR4_PAE) != 0;
}
@inline function pagingOn(): bool {
  return (load<u32>(OFF_CR0) & CR0_PG) != 0;
}

// Interrupt shadow: STI (when IF was clear) and loads of SS hold off
// interrupts until one more instruction has run. Kept as the retired count at
// which the shadow ends, so nothing is paid per instruction.
let shadowEnd: u64 = 0;
export function setShadow(): void {
  shadowEnd = retired() + 2;
}
export function inShadow(): bool {
  return retired() < shadowEnd;
}
// MOV SS and POP SS (not STI, not LSS) also hold off debug exceptions,
// the single-step trap included, for the instruction that follows.
let debugShadowEnd: u64 = 0;
export function setStackShadow(): void {
  setShadow();
  debugShadowEnd = shadowEnd;
}
export function inDebugShadow(): bool {
  return retired() < debugShadowEnd;
}
/** The shadows' ends, to and from a snapshot (snapshot.ts). */
export function saveShadows(at: u32): void {
  store<u64>(at, shadowEnd);
  store<u64>(at + 8, debugShadowEnd);
}
export function loadShadows(at: u32): void {
  shadowEnd = load<u64>(at);
  debugShadowEnd = load<u64>(at + 8);
}

/** Privileged instructions need CPL 0 (and are #GP in virtual-8086 mode). */
export function requireCpl0(): bool {
  if (protectedMode() && cpl() == 0) return true;
  if ((load<u32>(OFF_CR0) & CR0_PE) == 0) return true; // real mode
  gp(0);
  return false;
}

export function cpuid(): void {
  const leaf = reg32(EAX);
  let a: u32 = 0;
  let b: u32 = 0;
  let c: u32 = 0;
  let d: u32 = 0;
  if (leaf == 0x80000000) {
    a = 0x80000001; // the highest extended leaf
  } else if (leaf == 0x80000001) {
    d = EXT_FEATURES_EDX;
  } else if (leaf == 0) {
    a = 1;
    b = 0x756e6547; // "Genu"
    d = 0x49656e69; // "ineI"
    c = 0x6c65746e; // "ntel"
  } else if (leaf == 1) {
    a = SIGNATURE;
    b = CLFLUSH_LINE;
    c = FEATURES_ECX;
    d = featuresEdx;
    // CPUID.APIC follows the APIC's global enable, as on Intel parts.
    if (load<u32>(OFF_APIC_BASE) & APIC_GLOBAL_ENABLE) d |= 1 << 9;
  }
  setReg32(EAX, a);
  setReg32(EBX, b);
  setReg32(ECX, c);
  setReg32(EDX, d);
}

/** The TSC: guest time in ticks (the instructions' and the idle time's) plus what WRMSR set. */
export function tsc(): u64 {
  return instructionTicks() + load<u64>(OFF_TSC_OFFSET);
}

export function rdtsc(): void {
  if ((load<u32>(OFF_CR4) & CR4_TSD) != 0 && protectedMode() && cpl() != 0) {
    gp(0);
    return;
  }
  const t = tsc();
  setReg32(EAX, <u32>t);
  setReg32(EDX, <u32>(t >>> 32));
}

export function rdmsr(): void {
  if (!requireCpl0()) return;
  const msr = reg32(ECX);
  let v: u64 = 0;
  switch (msr) {
    case 0x10: v = tsc(); break;
    case 0x1b: {
      if (load<u32>(OFF_APIC_BASE) == 0) { gp(0); return; }
      v = load<u32>(OFF_APIC_BASE);
      break;
    }
    case 0x8b: v = 0; break; // microcode update signature: no update was ever loaded (revision 0)
    case 0x17: v = 0; break; // IA32_PLATFORM_ID, which Linux's microcode driver reads on family 15: platform 0
    case 0x1a0: v = MISC_ENABLE; break;
    case 0xc0000080: v = load<u32>(OFF_EFER); break;
    case 0x174: v = load<u32>(OFF_SYSENTER_CS); break;
    case 0x175: v = load<u32>(OFF_SYSENTER_ESP); break;
    case 0x176: v = load<u32>(OFF_SYSENTER_EIP); break;
    default: gp(0); return;
  }
  setReg32(EAX, <u32>v);
  setReg32(EDX, <u32>(v >>> 32));
}

export function wrmsr(): void {
  if (!requireCpl0()) return;
  const msr = reg32(ECX);
  const v = reg32(EAX);
  switch (msr) {
    case 0x10: {
      const want = (<u64>reg32(EDX) << 32) | <u64>v;
      store<u64>(OFF_TSC_OFFSET, want - instructionTicks());
      break;
    }
    case 0x1b: {
      // Base and global enable; the BSP flag is read-only. x2APIC is not claimed, so its enable bit is reserved.
      const was = load<u32>(OFF_APIC_BASE);
      if (was == 0 || (v & 0x6ff) != 0 || reg32(EDX) != 0) { gp(0); return; }
      store<u32>(OFF_APIC_BASE, (v & 0xfffff800) | (was & APIC_BSP));
      break;
    }
    case 0x8b: break; // software clears the signature before CPUID(1) refreshes it
    case 0x1a0: break; // nothing here can change: fast strings are always on, the rest is absent
    case 0xc0000080: // EFER: NXE only (no SYSCALL, no long mode); the TLB holds XD as it was
      if ((v & ~EFER_NXE) != 0 || reg32(EDX) != 0) { gp(0); return; }
      if (v != load<u32>(OFF_EFER)) flushTlb(false);
      store<u32>(OFF_EFER, v);
      break;
    case 0x174: store<u32>(OFF_SYSENTER_CS, v & 0xffff); break;
    case 0x175: store<u32>(OFF_SYSENTER_ESP, v); break;
    case 0x176: store<u32>(OFF_SYSENTER_EIP, v); break;
    default: gp(0);
  }
}

// Flat 4 GiB segments as SYSENTER/SYSEXIT load them (attributes: access byte | G | D).
const FLAT_CODE0: u32 = 0xc09b;
const FLAT_DATA0: u32 = 0xc093;
const FLAT_CODE3: u32 = 0xc0fb;
const FLAT_DATA3: u32 = 0xc0f3;

export function sysenter(): void {
  const cs = load<u32>(OFF_SYSENTER_CS);
  if ((load<u32>(OFF_CR0) & CR0_PE) == 0 || (cs & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  setFlags(getFlags() & ~(VM | IF | RF));
  setCodeSegment(cs & SEL_NO_RPL, 0, 0xffffffff, FLAT_CODE0, 0);
  setSegmentCache(SEG_SS, (cs + 8) & SEL_NO_RPL, 0, 0xffffffff, FLAT_DATA0);
  noteSysenter();
  setReg32(ESP, load<u32>(OFF_SYSENTER_ESP));
  setIp(load<u32>(OFF_SYSENTER_EIP));
}

export function sysexit(): void {
  const cs = load<u32>(OFF_SYSENTER_CS);
  if (!protectedMode() || cpl() != 0 || (cs & SEL_NO_RPL) == 0) {
    gp(0);
    return;
  }
  setCodeSegment((cs + 16) | 3, 0, 0xffffffff, FLAT_CODE3, 3);
  setSegmentCache(SEG_SS, (cs + 24) | 3, 0, 0xffffffff, FLAT_DATA3);
  setReg32(ESP, reg32(ECX));
  setIp(reg32(EDX));
}

export function hlt(): bool {
  if (!requireCpl0()) return false;
  store<u32>(OFF_HALTED, 1);
  noteHlt();
  raiseAttention();
  return true;
}

/** CLI (set = false) and STI: IOPL-sensitive in protected and virtual-8086 mode. */
export function setInterruptFlag(set: bool): void {
  const f = load<u32>(OFF_EFLAGS);
  const iopl = (f >> 12) & 3;
  const pe = (load<u32>(OFF_CR0) & CR0_PE) != 0;
  if (pe && ((f & VM) != 0 ? iopl < 3 : cpl() > iopl)) {
    gp(0);
    return;
  }
  if (set && (f & IF) == 0) {
    setShadow();
    raiseAttention(); // a pending interrupt can be taken after the next instruction
  }
  store<u32>(OFF_EFLAGS, set ? f | IF : f & ~IF);
}

// ---------------------------------------------------------------- control registers

export function readCr(n: u32): u32 {
  switch (n) {
    case 0: return load<u32>(OFF_CR0);
    case 2: return load<u32>(OFF_CR2);
    case 3: return load<u32>(OFF_CR3);
    case 4: return load<u32>(OFF_CR4);
    default: ud(); return 0;
  }
}

export function writeCr(n: u32, v: u32): void {
  switch (n) {
    case 0: {
      // NW set with CD clear, or PG without PE, are invalid combinations.
      if (((v >> 29) & 3) == 1 || ((v & CR0_PG) != 0 && (v & CR0_PE) == 0)) {
        gp(0);
        return;
      }
      const old = load<u32>(OFF_CR0);
      v |= CR0_ET;
      if ((v & ~old & CR0_PG) != 0 && paeOn() && !loadPdptes(load<u32>(OFF_CR3))) {
        gp(0);
        return;
      }
      store<u32>(OFF_CR0, v);
      if (((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) != 0) flushTlb(false);
      if (((old ^ v) & CR0_PE) != 0) refreshAllFast();
      return;
    }
    case 2: store<u32>(OFF_CR2, v); return;
    case 3:
      if (paeOn() && pagingOn() && !loadPdptes(v)) {
        gp(0);
        return;
      }
      noteCr3Load(load<u32>(OFF_CR3), v);
      store<u32>(OFF_CR3, v);
      flushTlb(true);
      return;
    case 4: {
      if ((v & ~(CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT)) != 0) {
        gp(0);
        return;
      }
      const old = load<u32>(OFF_CR4);
      if ((v & ~old & CR4_PAE) != 0 && pagingOn() && !loadPdptes(load<u32>(OFF_CR3))) {
        gp(0);
        return;
      }
      store<u32>(OFF_CR4, v);
      if (((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)) != 0) flushTlb(false);
      return;
    }
    default: ud();
  }
}

/** DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined. Returns the index, or -1 after #UD. */
function drIndex(n: u32): i32 {
  if (n == 4 || n == 5) {
    if ((load<u32>(OFF_CR4) & CR4_DE) != 0) {
      ud();
      return -1;
    }
    return <i32>n + 2;
  }
  return <i32>n;
}

export function readDr(n: u32): u32 {
  const i = drIndex(n);
  if (i < 0) return 0;
  return load<u32>(OFF_DR + (<u32>i << 2));
}

export function writeDr(n: u32, v: u32): void {
  const i = drIndex(n);
  if (i < 0) return;
  if (i == 6) v |= 0xffff0ff0;
  if (i == 7) v = (v | 0x400) & ~0xd000;
  store<u32>(OFF_DR + (<u32>i << 2), v);
}

export function clts(): void {
  if (!requireCpl0()) return;
  store<u32>(OFF_CR0, load<u32>(OFF_CR0) & ~CR0_TS);
}

/** LMSW: loads CR0 bits 0-3; PE can be set but not cleared. */
export function lmsw(v: u32): void {
  if (!requireCpl0()) return;
  const old = load<u32>(OFF_CR0);
  writeCr(0, (old & ~0xe) | (v & 0xf) | (old & CR0_PE));
}

export function invlpg(lin: u32): void {
  if (!requireCpl0()) return;
  invalidatePage(lin);
}

// ---------------------------------------------------------------- descriptor tables

/** LGDT/LIDT from a 6-byte operand; with a 16-bit operand size only 24 bits of base. */
export function loadTableRegister(idt: bool, limit: u32, base: u32, op32: bool): void {
  if (!op32) base &= 0xffffff;
  store<u32>(idt ? OFF_IDTR_BASE : OFF_GDTR_BASE, base);
  store<u32>(idt ? OFF_IDTR_LIMIT : OFF_GDTR_LIMIT, limit & 0xffff);
}

export function lldt(sel: u32): void {
  if (!requireCpl0()) return;
  sel &= 0xffff;
  if ((sel & SEL_NO_RPL) == 0) {
    store<u32>(OFF_LDTR_SEL, sel);
    store<u32>(OFF_LDTR_BASE, 0);
    store<u32>(OFF_LDTR_LIMIT, 0);
    return;
  }
  if ((sel & SEL_TI) != 0) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  if (((descHigh >> 8) & 0x1f) != LDT_TYPE) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if ((descHigh & 0x8000) == 0) {
    raise(VEC_NP, sel & SEL_NO_RPL, true);
    return;
  }
  store<u32>(OFF_LDTR_SEL, sel);
  store<u32>(OFF_LDTR_BASE, descBase());
  store<u32>(OFF_LDTR_LIMIT, descLimit());
}

export function ltr(sel: u32): void {
  if (!requireCpl0()) return;
  sel &= 0xffff;
  if ((sel & SEL_NO_RPL) == 0 || (sel & SEL_TI) != 0) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if (!readDescriptor(sel, VEC_GP)) return;
  const type = (descHigh >> 8) & 0x1f;
  if (type != TSS16_AVAILABLE && type != TSS32_AVAILABLE) {
    raise(VEC_GP, sel & SEL_NO_RPL, true);
    return;
  }
  if ((descHigh & 0x8000) == 0) {
    raise(VEC_NP, sel & SEL_NO_RPL, true);
    return;
  }
  // Mark the TSS busy in the GDT.
  const addr = load<u32>(OFF_GDTR_BASE) + (sel & 0xfff8) + 4;
  writeAs(addr, 2, descHigh | 0x200, false);
  if (faulted) return;
  store<u32>(OFF_TR_SEL, sel);
  store<u32>(OFF_TR_BASE, descBase());
  store<u32>(OFF_TR_LIMIT, descLimit());
  store<u32>(OFF_TR_ATTR, descAttr() | 0x2);
}

/**
 * LAR, LSL, VERR, VERW: examine a selector without faulting on it. Returns
 * true and sets ZF when the descriptor passes; ZF clear otherwise.
 */
export const EXAMINE_LAR: u32 = 0;
export const EXAMINE_LSL: u32 = 1;
export const EXAMINE_VERR: u32 = 2;
export const EXAMINE_VERW: u32 = 3;

// The value LAR/LSL produce when examine() succeeds.
export let examined: u32 = 0;

export function examine(kind: u32, sel: u32): bool {
  sel &= 0xffff;
  let ok = false;
  if ((sel & SEL_NO_RPL) != 0 && selectorInTable(sel)) {
    readDescriptor(sel, VEC_GP);
    if (faulted) return false;
    const access = (descHigh >> 8) & 0xff;
    const dpl = (access >> 5) & 3;
    const privOk = dpl >= cpl() && dpl >= (sel & 3);
    if ((access & 0x10) != 0) {
      const code = isCodeType(access);
      const conforming = code && (access & 4) != 0;
      const priv = conforming && kind != EXAMINE_VERW ? true : privOk;
      if (kind == EXAMINE_VERR) ok = priv && (!code || (access & 2) != 0);
      else if (kind == EXAMINE_VERW) ok = priv && !code && (access & 2) != 0;
      else ok = priv;
    } else {
      const type = access & 0xf;
      // System types LAR accepts: TSSs, LDT, call and task gates; LSL: TSSs and LDT.
      const larTypes: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 11) | (1 << 12);
      const lslTypes: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);
      if (kind == EXAMINE_LAR) ok = privOk && ((larTypes >> type) & 1) != 0;
      else if (kind == EXAMINE_LSL) ok = privOk && ((lslTypes >> type) & 1) != 0;
    }
    if (ok) examined = kind == EXAMINE_LSL ? descLimit() : descHigh & 0x00f0ff00;
  }
  setFlagBits(ZF, ok ? ZF : 0);
  return ok;
}

function selectorInTable(sel: u32): bool {
  const limit = (sel & SEL_TI) != 0 ? load<u32>(OFF_LDTR_LIMIT) : load<u32>(OFF_GDTR_LIMIT);
  if ((sel & SEL_TI) != 0 && (load<u32>(OFF_LDTR_SEL) & SEL_NO_RPL) == 0) return false;
  return (sel & 0xfff8) + 7 <= limit;
}
