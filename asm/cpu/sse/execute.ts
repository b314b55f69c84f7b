// The SSE/SSE2 forms this core has so far (src/isa/map-sse.ts lists them):
// the 128-bit and scalar moves, MOVD/MOVQ, the bitwise logic of SSE and
// SSE2, PADD/PSUB/PCMPEQ, and the lane-combining integer forms of packed.ts. Without a mandatory prefix the 0F 6x-Fx
// opcodes are MMX forms, which this core does not have (#UD), as is every
// prefix an opcode does not define. None of these touch MXCSR: no floating
// point arithmetic is done.

import { fetch8, mrMod, mrReg, mrRm, readE, writeE } from '../decode';
import { setReg32, OFF_SSE_SOURCE } from '../state';
import { shiftLanes, shiftBytes, SRL, SRA, SLL } from './shift';
import { packedOp, shuffleWords, moveMaskBytes } from './packed';
import { faulted } from '../fault';
import { floatOpcode } from './float';
import { moveOpcode } from './moves';
import { mmxOpcode } from './mmx-execute';
import { decodeXmm, xmm, xmmG, sourceW, storeW, P_NONE, P_66, P_F3, P_F2 } from './operands';
import { laneOp, logic, ADD, SUB, CMPEQ, AND, ANDN, OR, XOR } from './integer';

/** Handles 0F `op` if it is one of the forms above; false when it is not an SSE opcode here. */
export function sseOpcode(op: u32): bool {
  if (mmxOpcode(op) || floatOpcode(op) || moveOpcode(op)) return true;
  switch (op) {
    case 0x10: case 0x11: case 0x28: case 0x29: case 0x54: case 0x55: case 0x56: case 0x57:
    case 0x6e: case 0x6f: case 0x74: case 0x75: case 0x76: case 0x7e: case 0x7f:
    case 0xd4: case 0xd6: case 0xdb: case 0xdf: case 0xeb: case 0xef:
    case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: case 0xfe:
    case 0x60: case 0x61: case 0x62: case 0x63: case 0x64: case 0x65: case 0x66: case 0x67:
    case 0x68: case 0x69: case 0x6a: case 0x6b: case 0x6c: case 0x6d: case 0x70:
    case 0xd5: case 0xd7: case 0xd8: case 0xd9: case 0xda: case 0xdc: case 0xdd: case 0xde:
    case 0xe0: case 0xe3: case 0xe4: case 0xe5: case 0xe8: case 0xe9: case 0xea: case 0xec:
    case 0xed: case 0xee: case 0xf4: case 0xf5: case 0xf6:
    case 0x71: case 0x72: case 0x73: case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2:
    case 0xf1: case 0xf2: case 0xf3:
      break;
    default:
      return false;
  }
  const p = decodeXmm(op, defined);
  if (p >= 0) run(op, <u32>p);
  return true;
}

/** Whether prefix class `p` selects a form of `op` here. */
function defined(op: u32, p: u32): bool {
  if (op == 0x10 || op == 0x11) return true;
  if (op == 0x28 || op == 0x29 || (op >= 0x54 && op <= 0x57)) return p == P_NONE || p == P_66;
  if (op == 0x6f || op == 0x7f) return p == P_66 || p == P_F3;
  if (op == 0x7e) return p == P_66 || p == P_F3;
  if (op == 0x70) return p != P_NONE;
  if (op == 0xd7) return p == P_66 && mrMod == 3; // PMOVMSKB: register operand only
  if (op >= 0x71 && op <= 0x73) return p == P_66 && mrMod == 3 && immShiftKind(op) >= 0;
  return p == P_66;
}

function run(op: u32, p: u32): void {
  const g = xmmG();
  switch (op) {
    case 0x10: { // MOVUPS MOVUPD MOVSS MOVSD: load
      const n: u32 = p == P_F3 ? 4 : p == P_F2 ? 8 : 16;
      const s = sourceW(n, false);
      if (faulted) return;
      // A scalar load from memory clears the rest; from a register it merges.
      if (n < 16 && mrMod != 3) memory.fill(g, 0, 16);
      memory.copy(g, s, n);
      return;
    }
    case 0x11: // the same as stores
      storeW(g, p == P_F3 ? 4 : p == P_F2 ? 8 : 16, false);
      return;
    case 0x28: case 0x6f: { // MOVAPS MOVAPD MOVDQA MOVDQU: load
      const s = sourceW(16, op == 0x28 || p == P_66);
      if (!faulted) memory.copy(g, s, 16);
      return;
    }
    case 0x29: case 0x7f: // and store
      storeW(g, 16, op == 0x29 || p == P_66);
      return;
    case 0x6e: { // MOVD xmm, r/m32
      const v = readE(2);
      if (faulted) return;
      memory.fill(g, 0, 16);
      store<u32>(g, v);
      return;
    }
    case 0x7e:
      if (p == P_66) writeE(2, load<u32>(g)); // MOVD r/m32, xmm
      else loadQuad(g); // F3: MOVQ xmm, xmm/m64
      return;
    case 0xd6: // MOVQ xmm/m64, xmm: a register destination has its upper half cleared
      if (mrMod == 3) {
        const d = xmm(mrRm);
        store<u64>(d, load<u64>(g));
        store<u64>(d + 8, 0);
      } else storeW(g, 8, false);
      return;
    case 0xd7:
      setReg32(mrReg, moveMaskBytes(xmm(mrRm), 16));
      return;
    case 0x71: case 0x72: case 0x73: { // shifts by an immediate: groups 12, 13, 14
      const imm = fetch8();
      if (faulted) return;
      const d = xmm(mrRm);
      if (op == 0x73 && (mrReg == 3 || mrReg == 7)) shiftBytes(mrReg == 7, d, imm > 16 ? 16 : imm, OFF_SSE_SOURCE);
      else shiftLanes(<u32>immShiftKind(op), op == 0x71 ? 1 : op == 0x72 ? 2 : 3, d, <u64>imm, 16);
      return;
    }
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3: {
      const s = sourceW(16, true);
      if (faulted) return;
      shiftLanes(op >= 0xf0 ? SLL : op >= 0xe0 ? SRA : SRL, op & 3, g, load<u64>(s), 16);
      return;
    }
    case 0x70: { // PSHUFD PSHUFHW PSHUFLW: the immediate is fetched before the operand is read
      const imm = fetch8();
      if (faulted) return;
      const s = sourceW(16, true);
      if (faulted) return;
      if (p == P_66) packedOp(op, g, s, imm, 16);
      else shuffleWords(g, s, imm, p == P_F3);
      return;
    }
  }
  const s = sourceW(16, true);
  if (faulted) return;
  if (packedOp(op, g, s, 0, 16)) return;
  switch (op) {
    case 0x54: case 0xdb: logic(AND, g, s, 16); return;
    case 0x55: case 0xdf: logic(ANDN, g, s, 16); return;
    case 0x56: case 0xeb: logic(OR, g, s, 16); return;
    case 0x57: case 0xef: logic(XOR, g, s, 16); return;
    case 0x74: case 0x75: case 0x76: laneOp(CMPEQ, op - 0x74, g, s, 16); return;
    case 0xd4: laneOp(ADD, 3, g, s, 16); return;
    case 0xfb: laneOp(SUB, 3, g, s, 16); return;
    default: laneOp(op >= 0xfc ? ADD : SUB, op & 3, g, s, 16); // FC-FE PADDB/W/D, F8-FA PSUBB/W/D
  }
}

/** The shift an immediate group's /reg selects (SRL /2, SRA /4, SLL /6; 0F 73 /3 /7 byte shifts), or -1 (#UD). */
function immShiftKind(op: u32): i32 {
  if (mrReg == 2) return <i32>SRL;
  if (mrReg == 6) return <i32>SLL;
  if (mrReg == 4 && op != 0x73) return <i32>SRA;
  if ((mrReg == 3 || mrReg == 7) && op == 0x73) return <i32>SRL; // PSRLDQ, PSLLDQ
  return -1;
}

function loadQuad(g: u32): void {
  const s = sourceW(8, false);
  if (faulted) return;
  const v = load<u64>(s);
  store<u64>(g, v);
  store<u64>(g + 8, 0);
}
