// The forms on MM registers (src/isa/map-mmx.ts): MMX (0F 60-7F and D1-FE
// without a mandatory prefix, EMMS), SSE's (PSHUFW, PINSRW, PEXTRW,
// PMOVMSKB, PAVGB/W, PMINUB, PMAXUB, PMINSW, PMAXSW, PMULHUW, PSADBW,
// MASKMOVQ, MOVNTQ) and SSE2's (PADDQ, PSUBQ, PMULUDQ on MM registers,
// MOVQ2DQ, MOVDQ2Q). The lane work is the XMM forms' (packed.ts,
// integer.ts, shift.ts) on 8 bytes: the destination's value is copied to a
// scratch, worked on, and written back as an MM register. The conversions
// with an MM operand (CVTPI2PS...) are floating point: float.ts.

import { decodeModrm, fetch8, mrMod, mrReg, mrRm, eaSeg, eaOff, readE, writeE, readMem, writeMem } from '../decode';
import { setReg32, OFF_SSE_SOURCE, OFF_SSE_RESULT } from '../state';
import { faulted, ud } from '../fault';
import { probeWrite } from '../fpu/memory';
import { sseUsable } from './mxcsr';
import { mandatoryPrefix, xmm, P_NONE, P_F3, P_F2 } from './operands';
import { mm, setMm, mmxTransition, mmxUsable, emms } from './mmx';
import { shiftLanes, SRL, SRA, SLL } from './shift';
import { packedOp, shuffleWords, moveMaskBytes } from './packed';
import { laneOp, logic, ADD, SUB, CMPEQ, AND, ANDN, OR, XOR } from './integer';
import { maskMove } from './moves';

const G: u32 = OFF_SSE_RESULT; // the destination register's value while a form works on it
const S: u32 = OFF_SSE_SOURCE; // the source operand (packed.ts keeps a copy of G at S + 16)

/** Handles 0F `op` if the prefixes select a form on MM registers; false otherwise. */
export function mmxOpcode(op: u32): bool {
  const p = mandatoryPrefix();
  if (op == 0xd6) {
    if (p != P_F3 && p != P_F2) return false;
    quadMove(p == P_F3);
    return true;
  }
  if (p != P_NONE || !isMmxOpcode(op)) return false;
  if (op == 0x77) {
    if (mmxUsable()) emms();
    return true;
  }
  decodeModrm();
  if (faulted) return true;
  if (!defined(op)) {
    ud();
    return true;
  }
  if (!mmxUsable()) return true;
  run(op);
  if (!faulted) mmxTransition();
  return true;
}

function isMmxOpcode(op: u32): bool {
  if (op >= 0x60 && op <= 0x6b) return true;
  if (op >= 0x6e && op <= 0x77) return true;
  if (op == 0x7e || op == 0x7f || op == 0xc4 || op == 0xc5) return true;
  return op >= 0xd1 && op <= 0xfe && op != 0xd6 && op != 0xe6 && op != 0xf0;
}

/** The ModRM constraints: register-only and memory-only forms, and the /reg of the shift groups. */
function defined(op: u32): bool {
  const reg = mrMod == 3;
  switch (op) {
    case 0xc5: case 0xd7: case 0xf7: return reg; // PEXTRW, PMOVMSKB, MASKMOVQ
    case 0xe7: return !reg; // MOVNTQ
    case 0x71: case 0x72: return reg && (mrReg == 2 || mrReg == 4 || mrReg == 6);
    case 0x73: return reg && (mrReg == 2 || mrReg == 6);
  }
  return true;
}

/** The source operand (an MM register, or `bytes` of memory) into S; false after a fault. */
function source(bytes: u32): bool {
  if (mrMod == 3) {
    store<u64>(S, mm(mrRm));
    return true;
  }
  store<u64>(S, 0);
  for (let i: u32 = 0; i < bytes; i += 4) {
    const v = readMem(eaSeg, eaOff + i, 2);
    if (faulted) return false;
    store<u32>(S + i, v);
  }
  return true;
}

/** Stores MM register `from` to the r/m operand: another MM register or 8 bytes of memory, checked whole first. */
function storeQ(from: u32): void {
  const v = mm(from);
  if (mrMod == 3) {
    setMm(mrRm, v);
    return;
  }
  if (!probeWrite(eaSeg, eaOff, 8)) return;
  writeMem(eaSeg, eaOff, 2, <u32>v);
  writeMem(eaSeg, eaOff + 4, 2, <u32>(v >> 32));
}

function run(op: u32): void {
  switch (op) {
    case 0x6e: { // MOVD mm, r/m32
      const v = readE(2);
      if (!faulted) setMm(mrReg, <u64>v);
      return;
    }
    case 0x7e: writeE(2, <u32>mm(mrReg)); return; // MOVD r/m32, mm
    case 0x6f: if (source(8)) setMm(mrReg, load<u64>(S)); return; // MOVQ mm, mm/m64
    case 0x7f: case 0xe7: storeQ(mrReg); return; // MOVQ mm/m64, mm; MOVNTQ m64, mm
    case 0xf7: // MASKMOVQ: the selected bytes to DS:[EDI]
      store<u64>(G, mm(mrReg));
      store<u64>(S, mm(mrRm));
      maskMove(G, S, 8);
      return;
    case 0xc4: { // PINSRW mm, r32/m16, imm8
      const imm = fetch8();
      if (faulted) return;
      const v = readE(1);
      if (faulted) return;
      store<u64>(G, mm(mrReg));
      store<u16>(G + ((imm & 3) << 1), <u16>v);
      setMm(mrReg, load<u64>(G));
      return;
    }
    case 0xc5: { // PEXTRW r32, mm, imm8
      const imm = fetch8();
      if (!faulted) setReg32(mrReg, <u32>(mm(mrRm) >> ((<u64>imm & 3) << 4)) & 0xffff);
      return;
    }
    case 0xd7: // PMOVMSKB r32, mm
      store<u64>(S, mm(mrRm));
      setReg32(mrReg, moveMaskBytes(S, 8));
      return;
    case 0x71: case 0x72: case 0x73: { // shifts by an immediate: /2 SRL, /4 SRA, /6 SLL
      const imm = fetch8();
      if (faulted) return;
      store<u64>(G, mm(mrRm));
      shiftLanes(mrReg == 2 ? SRL : mrReg == 4 ? SRA : SLL, op - 0x70, G, <u64>imm, 8);
      setMm(mrRm, load<u64>(G));
      return;
    }
    case 0x70: { // PSHUFW: the immediate is fetched before the operand is read
      const imm = fetch8();
      if (faulted || !source(8)) return;
      shuffleWords(G, S, imm, false);
      setMm(mrReg, load<u64>(G));
      return;
    }
  }
  // The rest combine the destination with a source: the unpacks of the low halves read 4 bytes of memory.
  if (!source(op >= 0x60 && op <= 0x62 ? 4 : 8)) return;
  store<u64>(G, mm(mrReg));
  lanes(op);
  setMm(mrReg, load<u64>(G));
}

function lanes(op: u32): void {
  switch (op) {
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3:
      shiftLanes(op >= 0xf0 ? SLL : op >= 0xe0 ? SRA : SRL, op & 3, G, load<u64>(S), 8);
      return;
    case 0xdb: logic(AND, G, S, 8); return;
    case 0xdf: logic(ANDN, G, S, 8); return;
    case 0xeb: logic(OR, G, S, 8); return;
    case 0xef: logic(XOR, G, S, 8); return;
    case 0x74: case 0x75: case 0x76: laneOp(CMPEQ, op - 0x74, G, S, 8); return;
    case 0xd4: laneOp(ADD, 3, G, S, 8); return;
    case 0xfb: laneOp(SUB, 3, G, S, 8); return;
    case 0xf8: case 0xf9: case 0xfa: case 0xfc: case 0xfd: case 0xfe:
      laneOp(op >= 0xfc ? ADD : SUB, op & 3, G, S, 8);
      return;
  }
  packedOp(op, G, S, 0, 8);
}

/** MOVQ2DQ xmm, mm (F3 0F D6) and MOVDQ2Q mm, xmm (F2 0F D6): register operands only; SSE2, so CR4.OSFXSR is needed. */
function quadMove(toXmm: bool): void {
  decodeModrm();
  if (faulted) return;
  if (mrMod != 3) {
    ud();
    return;
  }
  if (!sseUsable() || !mmxUsable()) return;
  if (toXmm) {
    const d = xmm(mrReg);
    store<u64>(d, mm(mrRm));
    store<u64>(d + 8, 0);
  } else setMm(mrReg, load<u64>(xmm(mrRm)));
  mmxTransition();
}
