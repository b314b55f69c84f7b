// The two-byte (0F xx) opcode map.

import {
  SEG_FS, SEG_GS, SEG_SS, EAX, ECX, EDX, EBX, OFF_CR0, OFF_CR4, OFF_EFLAGS, OFF_GDTR_BASE,
  OFF_GDTR_LIMIT, OFF_IDTR_BASE, OFF_IDTR_LIMIT, OFF_LDTR_SEL, OFF_TR_SEL, CR4_PCE, VM, ZF,
  reg32, setReg32, segSel, segBase, cpl,
} from './state';
import { linWrite } from './segments';
import { prepareWrite, readLin, writeLin } from './memory';
import { faulted, gp, ud } from './fault';
import {
  fetch8, fetchImmV, decodeModrm, opSize32, mrMod, mrReg, mrRm, eaOff, eaSeg,
  readE, writeE, readG, writeG, readReg, writeReg, readMem, writeMem, rmwRead, rmwWrite, vSize,
  setEaOff,
} from './decode';
import { alu, ALU_CMP, ALU_ADD } from './alu';
import { imulTrunc } from './muldiv';
import { shiftDouble } from './shift';
import { bitOp, bitScan, BT } from './bits';
import { condition, setFlagBits } from './flags';
import { popSegment, pushSegment } from './stack';
import { loadFarPointer } from './far-pointer';
import { jumpRelative } from './control';
import { group15 } from './sse/group15';
import { sseOpcode } from './sse/execute';
import { protectedMode } from './segments';
import {
  cpuid, rdtsc, rdmsr, wrmsr, sysenter, sysexit, readCr, writeCr, readDr, writeDr, clts, lmsw,
  invlpg, loadTableRegister, lldt, ltr, examine, examined, requireCpl0,
  EXAMINE_LAR, EXAMINE_LSL, EXAMINE_VERR, EXAMINE_VERW,
} from './system';

/** Group 6 (0F 00): SLDT STR LLDT LTR VERR VERW. Protected mode only. */
function group6(): void {
  decodeModrm();
  if (faulted) return;
  if (!protectedMode()) {
    ud();
    return;
  }
  switch (mrReg) {
    case 0:
    case 1: {
      const sel = load<u32>(mrReg == 0 ? OFF_LDTR_SEL : OFF_TR_SEL) & 0xffff;
      if (mrMod == 3) writeReg(vSize(), mrRm, sel);
      else writeMem(eaSeg, eaOff, 1, sel);
      return;
    }
    case 2:
    case 3: {
      if (!requireCpl0()) return;
      const sel = readE(1);
      if (faulted) return;
      if (mrReg == 2) lldt(sel);
      else ltr(sel);
      return;
    }
    case 4:
    case 5: {
      const sel = readE(1);
      if (faulted) return;
      examine(mrReg == 4 ? EXAMINE_VERR : EXAMINE_VERW, sel);
      return;
    }
    default: ud();
  }
}

/** Group 7 (0F 01): SGDT SIDT LGDT LIDT SMSW LMSW INVLPG. */
function group7(): void {
  decodeModrm();
  if (faulted) return;
  const reg = mrReg;
  if (reg == 4) {
    const msw = load<u32>(OFF_CR0);
    if (mrMod == 3) writeReg(vSize(), mrRm, opSize32 ? msw : msw & 0xffff);
    else writeMem(eaSeg, eaOff, 1, msw);
    return;
  }
  if (reg == 6) {
    if (!requireCpl0()) return;
    const v = readE(1);
    if (!faulted) lmsw(v);
    return;
  }
  if (mrMod == 3 || reg == 5) {
    ud();
    return;
  }
  switch (reg) {
    case 0:
    case 1: {
      const idt = reg == 1;
      const base = load<u32>(idt ? OFF_IDTR_BASE : OFF_GDTR_BASE);
      writeMem(eaSeg, eaOff, 1, load<u32>(idt ? OFF_IDTR_LIMIT : OFF_GDTR_LIMIT));
      if (faulted) return;
      writeMem(eaSeg, eaOff + 2, 2, opSize32 ? base : base & 0xffffff);
      return;
    }
    case 2:
    case 3: {
      if (!requireCpl0()) return;
      const limit = readMem(eaSeg, eaOff, 1);
      if (faulted) return;
      const base = readMem(eaSeg, eaOff + 2, 2);
      if (faulted) return;
      loadTableRegister(reg == 3, limit, base, opSize32);
      return;
    }
    default: // 7: INVLPG
      invlpg(segBase(eaSeg) + eaOff);
  }
}

/** BT/BTS/BTR/BTC with a register bit offset: memory operands are addressed beyond the operand. */
function bitTestReg(op: u32): void {
  const sz = vSize();
  decodeModrm();
  if (faulted) return;
  const off = readG(sz);
  const bits: u32 = 8 << sz;
  if (mrMod != 3) {
    const delta = sz == 2 ? (<i32>off >> 5) << 2 : (<i32>(<i16>off) >> 4) << 1;
    setEaOff(eaOff + <u32>delta);
  }
  bitTestApply(op, sz, off & (bits - 1));
}

function bitTestApply(op: u32, sz: u32, bit: u32): void {
  if (op == BT) {
    const v = readE(sz);
    if (!faulted) bitOp(BT, v, bit);
    return;
  }
  const v = rmwRead(sz);
  if (faulted) return;
  rmwWrite(sz, bitOp(op, v, bit));
}

function cmpxchg(sz: u32): void {
  decodeModrm();
  if (faulted) return;
  const dest = rmwRead(sz);
  if (faulted) return;
  const acc = readReg(sz, EAX);
  alu(ALU_CMP, acc, dest, sz);
  if (((acc ^ dest) & (0xffffffff >>> (32 - (8 << sz)))) == 0) {
    rmwWrite(sz, readG(sz));
  } else {
    // The processor writes the destination back even when the compare fails.
    rmwWrite(sz, dest);
    writeReg(sz, EAX, dest);
  }
}

function cmpxchg8b(): void {
  decodeModrm();
  if (faulted) return;
  if (mrMod == 3 || mrReg != 1) {
    ud();
    return;
  }
  // The whole 8 bytes are checked for writing before any is read: the
  // processor always writes the operand back.
  const lin = linWrite(eaSeg, eaOff, 8);
  if (faulted) return;
  prepareWrite(lin, 2);
  if (faulted) return;
  prepareWrite(lin + 4, 2);
  if (faulted) return;
  const lo = readLin(lin, 2);
  const hi = readLin(lin + 4, 2);
  if (lo == reg32(EAX) && hi == reg32(EDX)) {
    writeLin(lin, 2, reg32(EBX));
    writeLin(lin + 4, 2, reg32(ECX));
    setFlagBits(ZF, ZF);
  } else {
    writeLin(lin, 2, lo);
    writeLin(lin + 4, 2, hi);
    setReg32(EAX, lo);
    setReg32(EDX, hi);
    setFlagBits(ZF, 0);
  }
}

function movCrDr(op: u32): void {
  // The operand is always a register, whatever mod says: no displacement follows.
  const m = fetch8();
  if (faulted) return;
  const mrReg = (m >> 3) & 7;
  const mrRm = m & 7;
  // A control register that does not exist is #UD before any privilege check.
  if (op == 0x20 || op == 0x22) {
    if (mrReg == 1 || mrReg > 4) {
      ud();
      return;
    }
  }
  if (protectedMode() && cpl() != 0) {
    gp(0);
    return;
  }
  if ((load<u32>(OFF_EFLAGS) & VM) != 0) {
    gp(0);
    return;
  }
  switch (op) {
    case 0x20: {
      const v = readCr(mrReg);
      if (!faulted) setReg32(mrRm, v);
      return;
    }
    case 0x21: {
      const v = readDr(mrReg);
      if (!faulted) setReg32(mrRm, v);
      return;
    }
    case 0x22: writeCr(mrReg, reg32(mrRm)); return;
    default: writeDr(mrReg, reg32(mrRm));
  }
}

export function execute0f(): void {
  const op = fetch8();
  if (faulted) return;
  if (op >= 0x40 && op <= 0x4f) {
    const sz = vSize();
    decodeModrm();
    if (faulted) return;
    const v = readE(sz);
    if (faulted) return;
    if (condition(op & 15)) writeG(sz, v);
    return;
  }
  if (op >= 0x80 && op <= 0x8f) {
    const rel = fetchImmV();
    if (faulted) return;
    if (condition(op & 15)) jumpRelative(opSize32 ? rel : <u32>(<i32>(<i16>rel)));
    return;
  }
  if (op >= 0x90 && op <= 0x9f) {
    decodeModrm();
    if (faulted) return;
    writeE(0, condition(op & 15) ? 1 : 0);
    return;
  }
  if (op >= 0xc8 && op <= 0xcf) {
    setReg32(op & 7, bswap<u32>(reg32(op & 7)));
    return;
  }
  switch (op) {
    case 0x00: group6(); return;
    case 0x01: group7(); return;
    case 0x02:
    case 0x03: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      if (!protectedMode()) {
        ud();
        return;
      }
      const sel = readE(1);
      if (faulted) return;
      if (examine(op == 0x02 ? EXAMINE_LAR : EXAMINE_LSL, sel)) writeG(sz, examined);
      return;
    }
    case 0x06: clts(); return;
    case 0x08:
    case 0x09:
      requireCpl0(); // INVD, WBINVD: no caches to manage
      return;
    case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
      decodeModrm(); // hint NOPs: the operand is decoded, never accessed
      return;
    case 0x20: case 0x21: case 0x22: case 0x23: movCrDr(op); return;
    case 0x30: wrmsr(); return;
    case 0x31: rdtsc(); return;
    case 0x32: rdmsr(); return;
    case 0x33: {
      // RDPMC: no performance counters are implemented; counters 0 and 1 read as 0.
      if ((load<u32>(OFF_CR4) & CR4_PCE) == 0 && protectedMode() && cpl() != 0) {
        gp(0);
        return;
      }
      if (reg32(ECX) > 1) {
        gp(0);
        return;
      }
      setReg32(EAX, 0);
      setReg32(EDX, 0);
      return;
    }
    case 0x34: sysenter(); return;
    case 0x35: sysexit(); return;
    case 0xa0: pushSegment(segSel(SEG_FS)); return;
    case 0xa1: popSegment(SEG_FS); return;
    case 0xa2: cpuid(); return;
    case 0xa3: bitTestReg(BT); return;
    case 0xa4: case 0xa5: case 0xac: case 0xad: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      const count = (op & 1) == 0 ? fetch8() : reg32(ECX) & 0xff;
      if (faulted) return;
      const v = rmwRead(sz);
      if (faulted) return;
      rmwWrite(sz, shiftDouble(op < 0xa8, v, readG(sz), count, sz));
      return;
    }
    case 0xa8: pushSegment(segSel(SEG_GS)); return;
    case 0xa9: popSegment(SEG_GS); return;
    case 0xab: bitTestReg(1); return; // BTS
    case 0xae: group15(); return;
    case 0xaf: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      const v = readE(sz);
      if (!faulted) writeG(sz, imulTrunc(readG(sz), v, sz));
      return;
    }
    case 0xb0: cmpxchg(0); return;
    case 0xb1: cmpxchg(vSize()); return;
    case 0xb2: loadFarPointer(SEG_SS); return;
    case 0xb3: bitTestReg(2); return; // BTR
    case 0xb4: loadFarPointer(SEG_FS); return;
    case 0xb5: loadFarPointer(SEG_GS); return;
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
      const srcSz: u32 = (op & 1) == 0 ? 0 : 1;
      decodeModrm();
      if (faulted) return;
      let v = readE(srcSz);
      if (faulted) return;
      if (op >= 0xbe) v = srcSz == 0 ? <u32>(<i32>(<i8>v)) : <u32>(<i32>(<i16>v));
      writeG(vSize(), v);
      return;
    }
    case 0xba: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      const imm = fetch8();
      if (faulted) return;
      if (mrReg < 4) {
        ud();
        return;
      }
      bitTestApply(mrReg - 4, sz, imm & ((8 << sz) - 1));
      return;
    }
    case 0xbb: bitTestReg(3); return; // BTC
    case 0xbc:
    case 0xbd: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      const v = readE(sz);
      if (faulted) return;
      writeG(sz, bitScan(op == 0xbc, v, readG(sz), sz));
      return;
    }
    case 0xc0:
    case 0xc1: {
      const sz: u32 = op == 0xc0 ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      const dest = rmwRead(sz);
      if (faulted) return;
      const sum = alu(ALU_ADD, dest, readG(sz), sz);
      writeG(sz, dest);
      rmwWrite(sz, sum);
      return;
    }
    case 0xc7: cmpxchg8b(); return;
  }
  if (sseOpcode(op)) return;
  ud();
}
