// XMM operands: the register named by ModRM.reg (V), and the register or
// memory operand named by r/m (W). A memory source is read whole into the
// scratch at OFF_SSE_SOURCE before anything changes, so a fault leaves the
// registers as they were. Aligned forms check the linear address (#GP(0)).

import { OFF_XMM, OFF_SSE_SOURCE, segBase } from '../state';
import { decodeModrm, mrMod, mrRm, mrReg, eaSeg, eaOff, readMem, writeMem, opSize32, repPrefix } from '../decode';
import { codeIs32 } from '../segments';
import { faulted, gp, ud } from '../fault';
import { sseUsable } from './mxcsr';
import { probeWrite } from '../fpu/memory';

// The mandatory prefix that selects among the forms of an opcode: F2/F3 win over 66.
export const P_NONE: u32 = 0;
export const P_66: u32 = 1;
export const P_F3: u32 = 2;
export const P_F2: u32 = 3;

export function mandatoryPrefix(): u32 {
  if (repPrefix == 0xf3) return P_F3;
  if (repPrefix == 0xf2) return P_F2;
  return opSize32 != codeIs32() ? P_66 : P_NONE;
}

@inline export function xmm(r: u32): u32 {
  return OFF_XMM + (r << 4);
}
/** The V operand's register. */
@inline export function xmmG(): u32 {
  return xmm(mrReg);
}

/**
 * Decodes the ModRM byte of 0F `op` and checks that its prefix class has a
 * form (`defined`: #UD otherwise) and that SSE may run (#UD, #NM). Returns
 * the prefix class, or -1 after a fault.
 */
export function decodeXmm(op: u32, defined: (op: u32, p: u32) => bool): i32 {
  const p = mandatoryPrefix();
  decodeModrm();
  if (faulted) return -1;
  if (!defined(op, p)) {
    ud();
    return -1;
  }
  return sseUsable() ? <i32>p : -1;
}

function misaligned(seg: i32, off: u32): bool {
  if (((segBase(seg) + off) & 15) != 0) {
    gp(0);
    return true;
  }
  return false;
}

/**
 * `bytes` (4, 8 or 16) of memory at seg:off copied into the scratch, the
 * linear address checked first when `aligned`. Returns the scratch's
 * address, 0 after a fault. Compiled code reads its memory sources here too.
 */
export function readSource(seg: i32, off: u32, bytes: u32, aligned: bool): u32 {
  if (aligned && misaligned(seg, off)) return 0;
  for (let i: u32 = 0; i < bytes; i += 4) {
    const v = readMem(seg, off + i, 2);
    if (faulted) return 0;
    store<u32>(OFF_SSE_SOURCE + i, v);
  }
  return OFF_SSE_SOURCE;
}

/**
 * The W operand as a source of `bytes` (4, 8 or 16): the register itself, or
 * the memory bytes copied into the scratch. Returns its address, 0 after a fault.
 */
export function sourceW(bytes: u32, aligned: bool): u32 {
  if (mrMod == 3) return xmm(mrRm);
  return readSource(eaSeg, eaOff, bytes, aligned);
}

/** Stores `bytes` from host address `from` to the W operand (register or memory). */
export function storeW(from: u32, bytes: u32, aligned: bool): void {
  if (mrMod == 3) {
    memory.copy(xmm(mrRm), from, bytes);
    return;
  }
  if (aligned && misaligned(eaSeg, eaOff)) return;
  if (!probeWrite(eaSeg, eaOff, bytes)) return;
  for (let i: u32 = 0; i < bytes; i += 4) writeMem(eaSeg, eaOff + i, 2, load<u32>(from + i));
}
