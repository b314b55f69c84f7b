// The one-byte opcode map: decodes one instruction at EIP and executes it.
// Handlers live with their instruction family; this file only routes.

import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, EAX, ECX, EDX, EBX, ESP, OFF_EFLAGS,
  VM, RF, CF, PF, AF, ZF, SF, DF, EFLAGS_FIXED1,
  reg32, setReg32, reg16, setReg16, reg8, setReg8, segSel,
} from './state';
import { faulted, raise, raiseTrap, raiseSoftware, gp, ud, BR, DB, OF_VECTOR, BP } from './fault';
import {
  fetchOpcode, fetch8, fetch16, fetchImmV, fetchImm, fetchSimm8, decodeModrm, decodeModrmByte, decodeMemoryModrm,
  opSize32, adSize32, lockPrefix, mrMod, mrReg, mrRm, eaOff, eaSeg, eaBaseIsEsp, ip, setEaOff,
  readE, writeE, readG, writeG, readReg, writeReg, readMem, writeMem, rmwRead, rmwWrite, vSize,
  dataSeg,
} from './decode';
import { alu, inc, dec, neg, test, ALU_CMP } from './alu';
import { mul, imul1, imulTrunc, div, idiv } from './muldiv';
import { shift } from './shift';
import { daa, das, aaa, aas, aam, aad } from './bcd';
import { condition, getFlags, setFlagBits, getCF, getOF } from './flags';
import { stringOp, MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS } from './string';
import { push, pop, peekStack, popCommit, pushSegment, popSegment, pusha, popa, enter, leave } from './stack';
import { loadFarPointer } from './far-pointer';
import { jumpRelative, jumpNear, callNear, retNear, farTransfer, retFar } from './control';
import { softwareGateAllowed, iret, loadFlags } from './interrupts';
import { loadDataSegment, protectedMode } from './segments';
import { ioIn, ioOut } from './io';
import { hlt, setInterruptFlag, setStackShadow } from './system';
import { execute0f } from './execute0f';
import { lockAllowed, skipRest } from './lock-prefix';
import { fpuEscape, fwait } from './fpu/escape';

/** ALU rows 00-3F: E op= G, G op= E, and accumulator op= immediate. */
function aluRow(op: u32): void {
  const kind = (op >> 3) & 7;
  const form = op & 7;
  const sz: u32 = (form & 1) == 0 ? 0 : vSize();
  if (form >= 4) {
    const imm = fetchImm(sz);
    if (faulted) return;
    const r = alu(kind, readReg(sz, EAX), imm, sz);
    if (kind != ALU_CMP) writeReg(sz, EAX, r);
    return;
  }
  const modrm = fetch8();
  if (faulted) return;
  if (modrm >= 0xc0 && sz == 2) {
    // Register-to-register dword forms are most of the ALU work: no operand decode.
    const e = modrm & 7;
    const g = (modrm >> 3) & 7;
    const dst = form == 1 ? e : g;
    const src = form == 1 ? g : e;
    const r = alu(kind, reg32(dst), reg32(src), 2);
    if (kind != ALU_CMP) setReg32(dst, r);
    return;
  }
  decodeModrmByte(modrm);
  if (faulted) return;
  if (form >= 2) {
    const b = readE(sz);
    if (faulted) return;
    const r = alu(kind, readG(sz), b, sz);
    if (kind != ALU_CMP) writeG(sz, r);
  } else if (kind == ALU_CMP) {
    const a = readE(sz);
    if (faulted) return;
    alu(kind, a, readG(sz), sz);
  } else {
    const a = rmwRead(sz);
    if (faulted) return;
    rmwWrite(sz, alu(kind, a, readG(sz), sz));
  }
}

/** Group 1 (80-83): ALU op with an immediate. */
function group1(op: u32): void {
  const sz: u32 = op == 0x81 || op == 0x83 ? vSize() : 0;
  decodeModrm();
  if (faulted) return;
  const imm = op == 0x83 ? fetchSimm8() : fetchImm(sz);
  if (faulted) return;
  if (mrReg == ALU_CMP) {
    const a = readE(sz);
    if (faulted) return;
    alu(ALU_CMP, a, imm, sz);
    return;
  }
  const a = rmwRead(sz);
  if (faulted) return;
  rmwWrite(sz, alu(mrReg, a, imm, sz));
}

/** Group 2 (C0 C1 D0-D3): shifts and rotates by imm8, 1 or CL. */
function group2(op: u32): void {
  const sz: u32 = (op & 1) == 0 ? 0 : vSize();
  decodeModrm();
  if (faulted) return;
  let count: u32;
  if (op <= 0xc1) count = fetch8();
  else if (op <= 0xd1) count = 1;
  else count = reg8(ECX);
  if (faulted) return;
  const v = rmwRead(sz);
  if (faulted) return;
  rmwWrite(sz, shift(mrReg, v, count, sz));
}

/** Group 3 (F6 F7): TEST imm, NOT, NEG, MUL, IMUL, DIV, IDIV. */
function group3(op: u32): void {
  const sz: u32 = op == 0xf6 ? 0 : vSize();
  decodeModrm();
  if (faulted) return;
  switch (mrReg) {
    case 0:
    case 1: {
      const imm = fetchImm(sz);
      if (faulted) return;
      const a = readE(sz);
      if (faulted) return;
      test(a, imm, sz);
      return;
    }
    case 2: {
      const a = rmwRead(sz);
      if (faulted) return;
      rmwWrite(sz, ~a);
      return;
    }
    case 3: {
      const a = rmwRead(sz);
      if (faulted) return;
      rmwWrite(sz, neg(a, sz));
      return;
    }
  }
  const src = readE(sz);
  if (faulted) return;
  switch (mrReg) {
    case 4: mul(src, sz); break;
    case 5: imul1(src, sz); break;
    case 6: div(src, sz); break;
    default: idiv(src, sz);
  }
}

/** Group 4/5 (FE FF): INC, DEC, indirect CALL/JMP (near and far), PUSH. */
function group5(op: u32): void {
  const sz: u32 = op == 0xfe ? 0 : vSize();
  decodeModrm();
  if (faulted) return;
  if (op == 0xfe && mrReg >= 2) {
    ud();
    return;
  }
  switch (mrReg) {
    case 0:
    case 1: {
      const a = rmwRead(sz);
      if (faulted) return;
      rmwWrite(sz, mrReg == 0 ? inc(a, sz) : dec(a, sz));
      return;
    }
    case 2:
    case 4: {
      const target = readE(sz);
      if (faulted) return;
      if (mrReg == 2) callNear(target);
      else jumpNear(target);
      return;
    }
    case 3:
    case 5: {
      if (mrMod == 3) {
        ud();
        return;
      }
      const off = readMem(eaSeg, eaOff, sz);
      if (faulted) return;
      const sel = readMem(eaSeg, eaOff + (1 << sz), 1);
      if (faulted) return;
      farTransfer(sel, off, mrReg == 3);
      return;
    }
    case 6: {
      const v = readE(sz);
      if (faulted) return;
      push(sz, v);
      return;
    }
    default: ud();
  }
}

function bound(): void {
  if (!decodeMemoryModrm()) return;
  const sz = vSize();
  const lo = readMem(eaSeg, eaOff, sz);
  if (faulted) return;
  const hi = readMem(eaSeg, eaOff + (1 << sz), sz);
  if (faulted) return;
  const idx = readG(sz);
  let out: bool;
  if (sz == 2) out = <i32>idx < <i32>lo || <i32>idx > <i32>hi;
  else out = <i16>idx < <i16>lo || <i16>idx > <i16>hi;
  if (out) raise(BR, 0, false);
}

function arpl(): void {
  if (!protectedMode()) {
    ud();
    return;
  }
  decodeModrm();
  if (faulted) return;
  // The destination is only written when its RPL changes (SDM pseudocode), so a read comes first.
  const dst = readE(1);
  if (faulted) return;
  const src = readG(1);
  if ((dst & 3) < (src & 3)) {
    writeE(1, (dst & ~3) | (src & 3));
    if (faulted) return;
    setFlagBits(ZF, ZF);
  } else {
    setFlagBits(ZF, 0);
  }
}

function loop(op: u32): void {
  const rel = fetchSimm8();
  if (faulted) return;
  let count = adSize32 ? reg32(ECX) : reg16(ECX);
  if (op == 0xe3) {
    if (count == 0) jumpRelative(rel);
    return;
  }
  count = adSize32 ? count - 1 : (count - 1) & 0xffff;
  let go = count != 0;
  if (op == 0xe0) go = go && !condition(4); // LOOPNE: ZF clear
  else if (op == 0xe1) go = go && condition(4); // LOOPE: ZF set
  if (go) {
    jumpRelative(rel);
    if (faulted) return;
  }
  if (adSize32) setReg32(ECX, count);
  else setReg16(ECX, count);
}

function vm86IoplTrap(): bool {
  const f = load<u32>(OFF_EFLAGS);
  if ((f & VM) != 0 && ((f >> 12) & 3) < 3) {
    gp(0);
    return true;
  }
  return false;
}

@inline export function execute(): void {
  const op = fetchOpcode();
  if (faulted) return;
  if (lockPrefix && !lockAllowed(op)) {
    if (faulted) return;
    skipRest(op); // a fetch fault or the 15-byte limit comes before the #UD
    if (!faulted) ud();
    return;
  }
  if (op < 0x40) {
    if ((op & 7) < 6) {
      aluRow(op);
      return;
    }
    switch (op) {
      case 0x06: pushSegment(segSel(SEG_ES)); return;
      case 0x07: popSegment(SEG_ES); return;
      case 0x0e: pushSegment(segSel(SEG_CS)); return;
      case 0x0f: execute0f(); return;
      case 0x16: pushSegment(segSel(SEG_SS)); return;
      case 0x17: popSegment(SEG_SS); return;
      case 0x1e: pushSegment(segSel(SEG_DS)); return;
      case 0x1f: popSegment(SEG_DS); return;
      case 0x27: daa(); return;
      case 0x2f: das(); return;
      case 0x37: aaa(); return;
      case 0x3f: aas(); return;
    }
    ud(); // prefixes never reach here
    return;
  }
  switch (op) {
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47: {
      const sz = vSize();
      writeReg(sz, op & 7, inc(readReg(sz, op & 7), sz));
      return;
    }
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      const sz = vSize();
      writeReg(sz, op & 7, dec(readReg(sz, op & 7), sz));
      return;
    }
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57: {
      const sz = vSize();
      push(sz, readReg(sz, op & 7));
      return;
    }
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      const sz = vSize();
      const v = pop(sz);
      if (!faulted) writeReg(sz, op & 7, v);
      return;
    }
    case 0x60: pusha(); return;
    case 0x61: popa(); return;
    case 0x62: bound(); return;
    case 0x63: arpl(); return;
    case 0x68: {
      const v = fetchImmV();
      if (!faulted) push(vSize(), v);
      return;
    }
    case 0x6a: {
      const v = fetchSimm8();
      if (!faulted) push(vSize(), v);
      return;
    }
    case 0x69:
    case 0x6b: {
      const sz = vSize();
      decodeModrm();
      if (faulted) return;
      const imm = op == 0x6b ? fetchSimm8() : fetchImmV();
      if (faulted) return;
      const a = readE(sz);
      if (faulted) return;
      writeG(sz, imulTrunc(a, imm, sz));
      return;
    }
    case 0x6c: stringOp(INS, 0); return;
    case 0x6d: stringOp(INS, vSize()); return;
    case 0x6e: stringOp(OUTS, 0); return;
    case 0x6f: stringOp(OUTS, vSize()); return;
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
      const rel = fetchSimm8();
      if (faulted) return;
      if (condition(op & 15)) jumpRelative(rel);
      return;
    }
    case 0x80: case 0x81: case 0x82: case 0x83: group1(op); return;
    case 0x84:
    case 0x85: {
      const sz: u32 = op == 0x84 ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      const a = readE(sz);
      if (faulted) return;
      test(a, readG(sz), sz);
      return;
    }
    case 0x86:
    case 0x87: {
      const sz: u32 = op == 0x86 ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      const a = rmwRead(sz);
      if (faulted) return;
      rmwWrite(sz, readG(sz));
      writeG(sz, a);
      return;
    }
    case 0x88:
    case 0x89: {
      const sz: u32 = op == 0x88 ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      writeE(sz, readG(sz));
      return;
    }
    case 0x8a:
    case 0x8b: {
      const sz: u32 = op == 0x8a ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      const v = readE(sz);
      if (!faulted) writeG(sz, v);
      return;
    }
    case 0x8c: {
      decodeModrm();
      if (faulted) return;
      if (mrReg >= 6) {
        ud();
        return;
      }
      // A register destination takes the zero-extended selector; memory gets 16 bits.
      if (mrMod == 3) writeReg(vSize(), mrRm, segSel(<i32>mrReg));
      else writeMem(eaSeg, eaOff, 1, segSel(<i32>mrReg));
      return;
    }
    case 0x8d: {
      decodeModrm();
      if (faulted) return;
      if (mrMod == 3) {
        ud();
        return;
      }
      writeG(vSize(), eaOff);
      return;
    }
    case 0x8e: {
      decodeModrm();
      if (faulted) return;
      if (mrReg == 1 || mrReg >= 6) {
        ud();
        return;
      }
      const v = readE(1);
      if (faulted) return;
      loadDataSegment(<i32>mrReg, v);
      if (!faulted && mrReg == 2) setStackShadow();
      return;
    }
    case 0x8f: {
      decodeModrm();
      if (faulted) return;
      if (mrReg != 0) {
        ud();
        return;
      }
      // The destination address is computed with ESP already incremented.
      const sz = vSize();
      const v = peekStack(sz, 0);
      if (faulted) return;
      popCommit(1 << sz);
      if (mrMod != 3 && eaBaseIsEsp) setEaOff(eaOff + (1 << sz));
      writeE(sz, v);
      return;
    }
    case 0x90:
      return; // NOP, and PAUSE with F3
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
      const sz = vSize();
      const a = readReg(sz, EAX);
      writeReg(sz, EAX, readReg(sz, op & 7));
      writeReg(sz, op & 7, a);
      return;
    }
    case 0x98:
      if (opSize32) setReg32(EAX, <u32>(<i32>(<i16>reg16(EAX))));
      else setReg16(EAX, <u32>(<i32>(<i8>reg8(0))));
      return;
    case 0x99:
      if (opSize32) setReg32(EDX, <u32>(<i32>reg32(EAX) >> 31));
      else setReg16(EDX, <u32>(<i32>(<i16>reg16(EAX)) >> 15));
      return;
    case 0x9a: {
      const off = fetchImmV();
      if (faulted) return;
      const sel = fetch16();
      if (faulted) return;
      farTransfer(sel, off, true);
      return;
    }
    case 0x9b: fwait(); return;
    case 0x9c:
      if (vm86IoplTrap()) return;
      push(vSize(), getFlags() & ~(VM | RF));
      return;
    case 0x9d: {
      if (vm86IoplTrap()) return;
      const sz = vSize();
      const v = pop(sz);
      if (faulted) return;
      loadFlags(sz == 2 ? v : (getFlags() & 0xffff0000) | v, sz, false);
      return;
    }
    case 0x9e: {
      const mask: u32 = SF | ZF | AF | PF | CF;
      setFlagBits(mask | EFLAGS_FIXED1, (reg8(4) & mask) | EFLAGS_FIXED1);
      return;
    }
    case 0x9f:
      setReg8(4, getFlags() & 0xff);
      return;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
      const sz: u32 = (op & 1) == 0 ? 0 : vSize();
      const off = adSize32 ? fetchImm(2) : fetchImm(1);
      if (faulted) return;
      if (op < 0xa2) {
        const v = readMem(dataSeg(), off, sz);
        if (!faulted) writeReg(sz, EAX, v);
      } else {
        writeMem(dataSeg(), off, sz, readReg(sz, EAX));
      }
      return;
    }
    case 0xa4: stringOp(MOVS, 0); return;
    case 0xa5: stringOp(MOVS, vSize()); return;
    case 0xa6: stringOp(CMPS, 0); return;
    case 0xa7: stringOp(CMPS, vSize()); return;
    case 0xa8:
    case 0xa9: {
      const sz: u32 = op == 0xa8 ? 0 : vSize();
      const imm = fetchImm(sz);
      if (!faulted) test(readReg(sz, EAX), imm, sz);
      return;
    }
    case 0xaa: stringOp(STOS, 0); return;
    case 0xab: stringOp(STOS, vSize()); return;
    case 0xac: stringOp(LODS, 0); return;
    case 0xad: stringOp(LODS, vSize()); return;
    case 0xae: stringOp(SCAS, 0); return;
    case 0xaf: stringOp(SCAS, vSize()); return;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7: {
      const v = fetch8();
      if (!faulted) setReg8(op & 7, v);
      return;
    }
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf: {
      const v = fetchImmV();
      if (!faulted) writeReg(vSize(), op & 7, v);
      return;
    }
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: group2(op); return;
    case 0xc2: {
      const n = fetch16();
      if (!faulted) retNear(n);
      return;
    }
    case 0xc3: retNear(0); return;
    case 0xc4: loadFarPointer(SEG_ES); return;
    case 0xc5: loadFarPointer(SEG_DS); return;
    case 0xc6:
    case 0xc7: {
      const sz: u32 = op == 0xc6 ? 0 : vSize();
      decodeModrm();
      if (faulted) return;
      // The whole instruction is fetched first: a length over 15 bytes is #GP before /reg's #UD.
      const imm = fetchImm(sz);
      if (faulted) return;
      if (mrReg != 0) {
        ud();
        return;
      }
      writeE(sz, imm);
      return;
    }
    case 0xc8: enter(); return;
    case 0xc9: leave(); return;
    case 0xca: {
      const n = fetch16();
      if (!faulted) retFar(n);
      return;
    }
    case 0xcb: retFar(0); return;
    case 0xcc:
      if (softwareGateAllowed(BP)) raiseSoftware(BP);
      return;
    case 0xcd: {
      const v = fetch8();
      if (faulted) return;
      if (softwareGateAllowed(v)) raiseSoftware(v);
      return;
    }
    case 0xce:
      if (getOF() && softwareGateAllowed(OF_VECTOR)) raiseSoftware(OF_VECTOR);
      return;
    case 0xcf: iret(); return;
    case 0xd4: {
      const b = fetch8();
      if (!faulted) aam(b);
      return;
    }
    case 0xd5: {
      const b = fetch8();
      if (!faulted) aad(b);
      return;
    }
    case 0xd6:
      setReg8(0, getCF() ? 0xff : 0); // SALC
      return;
    case 0xd7: {
      const off = (adSize32 ? reg32(EBX) : reg16(EBX)) + reg8(0);
      const v = readMem(dataSeg(), adSize32 ? off : off & 0xffff, 0);
      if (!faulted) setReg8(0, v);
      return;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      fpuEscape(op);
      return;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: loop(op); return;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: {
      const port = fetch8();
      if (faulted) return;
      const sz: u32 = (op & 1) == 0 ? 0 : vSize();
      if (op < 0xe6) {
        const v = ioIn(port, sz);
        if (!faulted) writeReg(sz, EAX, v);
      } else {
        ioOut(port, sz, readReg(sz, EAX));
      }
      return;
    }
    case 0xe8: {
      const rel = fetchImmV();
      if (!faulted) callNear(ip + (opSize32 ? rel : <u32>(<i32>(<i16>rel))));
      return;
    }
    case 0xe9: {
      const rel = fetchImmV();
      if (!faulted) jumpRelative(opSize32 ? rel : <u32>(<i32>(<i16>rel)));
      return;
    }
    case 0xea: {
      const off = fetchImmV();
      if (faulted) return;
      const sel = fetch16();
      if (!faulted) farTransfer(sel, off, false);
      return;
    }
    case 0xeb: {
      const rel = fetchSimm8();
      if (!faulted) jumpRelative(rel);
      return;
    }
    case 0xec: case 0xed: case 0xee: case 0xef: {
      const sz: u32 = (op & 1) == 0 ? 0 : vSize();
      const port = reg16(EDX);
      if (op < 0xee) {
        const v = ioIn(port, sz);
        if (!faulted) writeReg(sz, EAX, v);
      } else {
        ioOut(port, sz, readReg(sz, EAX));
      }
      return;
    }
    case 0xf1: raiseTrap(DB); return; // INT1 / ICEBP
    case 0xf4: hlt(); return;
    case 0xf5: setFlagBits(CF, getCF() ^ 1); return;
    case 0xf6: case 0xf7: group3(op); return;
    case 0xf8: setFlagBits(CF, 0); return;
    case 0xf9: setFlagBits(CF, CF); return;
    case 0xfa: setInterruptFlag(false); return;
    case 0xfb: setInterruptFlag(true); return;
    case 0xfc: setFlagBits(DF, 0); return;
    case 0xfd: setFlagBits(DF, DF); return;
    case 0xfe: case 0xff: group5(op); return;
  }
  ud();
}
