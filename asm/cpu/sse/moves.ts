// The SSE/SSE2/SSE3 forms that move or rearrange lanes without arithmetic:
// MOVLPS/MOVHPS/MOVLPD/MOVHPD and MOVHLPS/MOVLHPS (0F 12/13/16/17), the
// unpacks and shuffles of floats (UNPCKL/H, SHUFPS/PD), MOVMSKPS/PD, the
// non-temporal stores (MOVNTPS/PD, MOVNTDQ, MASKMOVDQU: this core has no
// cache to bypass), PINSRW/PEXTRW, and SSE3's MOVDDUP, MOVSLDUP, MOVSHDUP
// and LDDQU. Without a mandatory prefix, 0F C4 C5 E7 F7 are MMX forms,
// which this core does not have (#UD).

import { decodeModrm, fetch8, mrMod, mrReg, mrRm, readE, writeE, writeMem, adSize32, segOverride } from '../decode';
import { reg32, setReg32, OFF_SSE_SOURCE, SEG_DS } from '../state';
import { faulted, ud } from '../fault';
import { probeWrite } from '../fpu/memory';
import { moveMaskBytes } from './packed';
import { decodeXmm, mandatoryPrefix, xmm, xmmG, sourceW, storeW, P_NONE, P_66, P_F3, P_F2 } from './operands';

const D: u32 = OFF_SSE_SOURCE + 16; // a copy of the destination's old value

/** Handles 0F `op` if it is one of these forms; false when the opcode is not one. */
export function moveOpcode(op: u32): bool {
  switch (op) {
    case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17: case 0x2b: case 0x50:
    case 0xc3: case 0xc4: case 0xc5: case 0xc6: case 0xe7: case 0xf0: case 0xf7:
      break;
    default:
      return false;
  }
  if (op == 0xc3) { // MOVNTI m32, r32: general registers, so neither CR4.OSFXSR nor CR0.TS matter
    const p = mandatoryPrefix();
    decodeModrm();
    if (faulted) return true;
    if (p != P_NONE || mrMod == 3) ud();
    else writeE(2, reg32(mrReg));
    return true;
  }
  const p = decodeXmm(op, defined);
  if (p >= 0) run(op, <u32>p);
  return true;
}

function defined(op: u32, p: u32): bool {
  const mem = mrMod != 3;
  switch (op) {
    case 0x12: return p == P_66 ? mem : true; // MOVLPS/MOVHLPS, MOVLPD, MOVDDUP, MOVSLDUP
    case 0x16: return p == P_66 ? mem : p != P_F2; // MOVHPS/MOVLHPS, MOVHPD, MOVSHDUP
    case 0x13: case 0x17: case 0x2b: return (p == P_NONE || p == P_66) && mem;
    case 0x14: case 0x15: case 0xc6: return p == P_NONE || p == P_66;
    case 0x50: return (p == P_NONE || p == P_66) && !mem;
    case 0xc4: return p == P_66;
    case 0xc5: case 0xf7: return p == P_66 && !mem;
    case 0xe7: return p == P_66 && mem;
    default: return p == P_F2 && mem; // 0xf0 LDDQU
  }
}

function run(op: u32, p: u32): void {
  const g = xmmG();
  switch (op) {
    case 0x12: case 0x16: {
      const high = op == 0x16;
      if (p == P_F3) { // MOVSLDUP, MOVSHDUP: the even or odd dwords, each twice
        const s = sourceW(16, true);
        if (faulted) return;
        const k: u32 = high ? 4 : 0;
        const lo = load<u32>(s + k), hi = load<u32>(s + 8 + k);
        store<u32>(g, lo);
        store<u32>(g + 4, lo);
        store<u32>(g + 8, hi);
        store<u32>(g + 12, hi);
        return;
      }
      // MOVHLPS takes the source's high half; the memory forms and MOVLHPS its low one.
      const s = sourceW(8, false);
      if (faulted) return;
      const v = load<u64>(mrMod == 3 && !high && p == P_NONE ? s + 8 : s);
      if (p == P_F2) store<u64>(g + 8, v); // MOVDDUP
      store<u64>(high ? g + 8 : g, v);
      return;
    }
    case 0x13: storeW(g, 8, false); return; // MOVLPS, MOVLPD
    case 0x17: storeW(g + 8, 8, false); return; // MOVHPS, MOVHPD
    case 0x2b: case 0xe7: storeW(g, 16, true); return; // MOVNTPS, MOVNTPD, MOVNTDQ
    case 0xf0: { // LDDQU: any alignment
      const s = sourceW(16, false);
      if (!faulted) memory.copy(g, s, 16);
      return;
    }
    case 0x50: { // MOVMSKPS, MOVMSKPD: the sign bits
      const s = xmm(mrRm);
      const m: u32 = p == P_NONE
        ? (load<u32>(s) >> 31) | ((load<u32>(s + 4) >> 31) << 1) | ((load<u32>(s + 8) >> 31) << 2) | ((load<u32>(s + 12) >> 31) << 3)
        : <u32>(load<u64>(s) >> 63) | (<u32>(load<u64>(s + 8) >> 63) << 1);
      setReg32(mrReg, m);
      return;
    }
    case 0xc4: { // PINSRW xmm, r32/m16, imm8
      const imm = fetch8();
      if (faulted) return;
      const v = readE(1);
      if (faulted) return;
      store<u16>(g + ((imm & 7) << 1), <u16>v);
      return;
    }
    case 0xc5: { // PEXTRW r32, xmm, imm8
      const imm = fetch8();
      if (faulted) return;
      setReg32(mrReg, <u32>load<u16>(xmm(mrRm) + ((imm & 7) << 1)));
      return;
    }
    case 0xf7: maskMove(g, xmm(mrRm), 16); return;
  }
  // 0x14 0x15 0xc6: the unpacks and shuffles read both operands whole.
  const imm = op == 0xc6 ? fetch8() : 0;
  if (faulted) return;
  const w = sourceW(16, true);
  if (faulted) return;
  const s = OFF_SSE_SOURCE; // copies of both, as the destination may be the source
  if (w != s) memory.copy(s, w, 16);
  memory.copy(D, g, 16);
  if (p == P_66) {
    const a = op == 0x14 ? load<u64>(D) : op == 0x15 ? load<u64>(D + 8) : load<u64>(D + ((imm & 1) << 3));
    const b = op == 0x14 ? load<u64>(s) : op == 0x15 ? load<u64>(s + 8) : load<u64>(s + ((imm & 2) << 2));
    store<u64>(g, a);
    store<u64>(g + 8, b);
    return;
  }
  for (let i: u32 = 0; i < 4; i++) {
    let v: u32;
    if (op == 0xc6) v = load<u32>((i < 2 ? D : s) + (((imm >> (i << 1)) & 3) << 2));
    else v = load<u32>(((i & 1) == 0 ? D : s) + ((i >> 1) << 2) + (op == 0x15 ? 8 : 0)); // UNPCKLPS, UNPCKHPS
    store<u32>(g + (i << 2), v);
  }
}

/** MASKMOVDQU (`n` 16) and MASKMOVQ (8): the bytes of `g` whose byte in `mask` has its top bit set, to DS:[EDI] (overridable). */
export function maskMove(g: u32, mask: u32, n: u32): void {
  const seg = segOverride >= 0 ? segOverride : SEG_DS;
  const base = adSize32 ? reg32(7) : reg32(7) & 0xffff;
  // The n bytes are checked as one store before any is written, so a fault writes nothing, and
  // CR2 names the first byte of a faulting second page, whichever bytes are selected (measured).
  if (moveMaskBytes(mask, n) == 0) return;
  if (!probeWrite(seg, base, n)) return;
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(mask + i) & 0x80) != 0) writeMem(seg, addressed(base, i), 0, <u32>load<u8>(g + i));
  }
}

@inline function addressed(base: u32, i: u32): u32 {
  return adSize32 ? base + i : (base + i) & 0xffff;
}
