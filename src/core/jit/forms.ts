// Which instruction forms the translator emits as wasm ('native'), runs
// through the interpreter from inside a region ('step'), or leaves to the run
// loop by ending the region there ('stop'): those that change the mode,
// privilege, or control flow in ways not compiled here, or talk to devices.
// The forms come from the one instruction table (src/isa decode).

import type { Decoded } from '../../isa/decode.ts';
import { isSseNative } from './sse-forms.ts';

export interface Insn {
  off: number;
  d: Decoded;
  how: 'native' | 'step' | 'stop';
}

/** Whether `op` is one of the string forms emit-string.ts emits (without REP). */
export function isStringOp(op: number): boolean {
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

/** Whether the interpreter must run this instruction outside any region. */
function mustStop(d: Decoded): boolean {
  const f = d.form;
  if (!f || (d.invalid && !cutByPageEnd(d)) || f.undefinedOpcode) return true;
  if (d.ad16) return true;
  // CLI and STI change IF alone (or raise #GP): they run through jitStep, and
  // STI's shadow raises attention, which ends the region after it as the run
  // loop needs. The kernel runs them some 150,000 times in a boot, each one
  // ending a region when they stopped.
  if (f.privilege && d.opcode !== 0xfa && d.opcode !== 0xfb) return true;
  if (f.operands[0] === 'Sw' || /^(POP (ES|SS|DS|FS|GS)|L[DEFGS]S )/.test(f.id)) return true;
  return false;
}

/**
 * An instruction the page ends inside, whose form is known all the same (its
 * opcode and ModRM, which pick the form, are on this page; displacement or
 * immediate bytes are on the next): it runs through jitStep, which fetches
 * it whole as the interpreter does (the next page's bytes as they are then,
 * a #PF there at this instruction), and the region leaves after it rather
 * than before. A branch stays a stop: a region's exits keep the mode key.
 */
function cutByPageEnd(d: Decoded): boolean {
  const f = d.form;
  return d.invalid === 'truncated' && f !== null && !f.branch && (!f.modrm || d.modrm !== null);
}

/** The forms emitted as wasm; everything else that is not a stop runs through jitStep. */
function isNative(d: Decoded): boolean {
  const op = d.opcode;
  const m = d.modrm;
  const mem = m !== null && m.mod !== 3;
  if (op < 0x40) {
    return (op & 7) < 6;
  }
  if (op >= 0x40 && op <= 0x5f) return true; // INC DEC PUSH POP reg
  if (op === 0x68 || op === 0x6a) return true;
  if (op >= 0x70 && op <= 0x7f) return true;
  if (op >= 0x80 && op <= 0x83) return true;
  if (op >= 0x84 && op <= 0x8b) return true;
  if (op === 0x8d) return true;
  if (op >= 0x90 && op <= 0x99) return true;
  if (op >= 0xa0 && op <= 0xa3) return true;
  if (op === 0xa8 || op === 0xa9) return true;
  if (op >= 0xb0 && op <= 0xbf) return true;
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    // SHL SHR SAL SAR in every form; ROL ROR of a 32-bit register by a constant.
    const r = m!.reg;
    return r >= 4 || (r <= 1 && !mem && !d.op16 && (op & 1) === 1 && op !== 0xd3);
  }
  if (op === 0x69 || op === 0x6b || op === 0x1af) return true; // IMUL G,E(,imm)
  if (op === 0xc9) return !d.op16; // LEAVE
  if (op === 0xf5 || op === 0xf8 || op === 0xf9 || op === 0xfc || op === 0xfd) return true; // CMC CLC STC CLD STD
  if (op === 0xc2 || op === 0xc3) return !d.op16;
  if (op === 0xc6 || op === 0xc7) return m!.reg === 0;
  if (op === 0xe8 || op === 0xe9 || op === 0xeb) return !d.op16;
  if (op === 0xf6 || op === 0xf7) return m!.reg !== 5; // TEST NOT NEG MUL DIV IDIV (IMUL's one-operand form steps)
  if (op === 0x131) return true; // RDTSC
  if (isSseNative(op, d.rep, d.op16, mem)) return true;
  if (op === 0x1a4 || op === 0x1a5 || op === 0x1ac || op === 0x1ad) return !d.op16; // SHLD SHRD
  if (op === 0x1ae) return !mem && m!.reg >= 5 && d.rep === 0; // LFENCE MFENCE SFENCE
  if (isStringOp(op)) return d.rep === 0; // one iteration; REP stays with the interpreter's bulk copies
  if (op === 0x1c0 || op === 0x1c1) return true; // XADD
  if (op === 0x1b0 || op === 0x1b1) return true; // CMPXCHG
  if (op >= 0x1c8 && op <= 0x1cf) return true; // BSWAP (of the 32-bit register, with 66 too, as the interpreter does)
  if (op === 0x1bc || op === 0x1bd) return true; // BSF BSR (F3 0F BC, TZCNT on later CPUs, is BSF here)
  if (op === 0xfe) return m!.reg <= 1;
  if (op === 0xff) return m!.reg <= 1 || m!.reg === 6 || ((m!.reg === 2 || m!.reg === 4) && !d.op16);
  if (op >= 0x140 && op <= 0x14f) return true; // CMOVcc
  if (op >= 0x180 && op <= 0x18f) return !d.op16; // Jcc rel32
  if (op >= 0xe0 && op <= 0xe3) return !d.op16; // LOOPNE LOOPE LOOP JECXZ (ECX: 16-bit addressing stops)
  if (op >= 0x190 && op <= 0x19f) return true; // SETcc
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return true;
  if (op === 0x11f) return true; // NOP Ev
  if (op === 0x1ba) return m!.reg >= 4; // BT BTS BTR BTC Ev,Ib
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb) return !mem; // the same by a register (memory ones address past E)
  return false;
}

export function classify(d: Decoded): Insn['how'] {
  if (mustStop(d)) return 'stop';
  if (d.invalid) return 'step'; // cut by the page's end
  if (isNative(d)) return 'native';
  return d.form!.branch ? 'stop' : 'step';
}
