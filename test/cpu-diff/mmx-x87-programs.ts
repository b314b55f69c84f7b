// Cases where the x87 side reads what MMX wrote, and where an MMX form
// meets an x87 state FNINIT did not make (the forms of mmx-programs.ts start
// from FNINIT, which leaves TOP 0 already).
//
//   moves:      FXRSTOR [esi]; FNINIT; MOVQ mmK, [ebx+d]; <x87 move>; FNSAVE [esi]
//     An MM write leaves 80 bits no f64 holds (exponent all ones, any
//     significand); FLD ST(i) (after FFREE ST(7): MMX left no register
//     empty), FXCH, FST/FSTP ST(i), FCMOVcc and FSTP m80 move them, and
//     FLD m80 loads another 80 random bits; FXAM, FCHS and FABS read or
//     change only the sign and class of one. FNSAVE stores every register's
//     80 bits, TOP and the tag word: each move must keep them exactly.
//   transition: FXRSTOR [esi]; <MMX form>; FNSTSW AX; MOVQ [ebx+0x60], <its MM result>
//     The restored status word has a random TOP (and flags; the control
//     word mostly masks them, else the form raises #MF): the form must set
//     TOP to 0 (EMMS and the forms that touch no MM register leave it).
//     FNSTSW shows TOP without FNSAVE's instruction and data pointers,
//     which the AMD host stores as zero after FXRSTOR while FSW.ES is clear.

import type { Case } from './case.ts';
import type { Generated } from './generator.ts';
import type { Form } from '../../src/isa/table.ts';
import type { Rng } from '../support/rng.ts';
import { laneKind } from './sse-values.ts';
import { sseProgram, FXRSTOR_ESI, MOVDQU_STORE, RESULT_DISP, IMAGE_ADDR } from './sse-programs.ts';

const FNINIT = [0xdb, 0xe3];
const FNSAVE_ESI = [0xdd, 0x36];
const FFREE_ST7 = [0xdd, 0xc7];
const FNSTSW_AX = [0xdf, 0xe0];

/** The x87 moves after an MM write, by name: the bytes for ST(i) (or [ebx+0x60]), and whether ST(7) must be freed first. */
const MOVES: Record<string, { bytes: (i: number, r: Rng) => number[]; push?: boolean }> = {
  'FLD ST(i)': { bytes: (i) => [0xd9, 0xc0 + i], push: true },
  'FXCH ST(i)': { bytes: (i) => [0xd9, 0xc8 + i] },
  'FST ST(i)': { bytes: (i) => [0xdd, 0xd0 + i] },
  'FSTP ST(i)': { bytes: (i) => [0xdd, 0xd8 + i] },
  'FCMOVcc ST,ST(i)': { bytes: (i, r) => [r.pick([0xda, 0xdb]), 0xc0 + r.below(4) * 8 + i] },
  'FSTP m80fp': { bytes: () => [0xdb, 0x7b, RESULT_DISP] },
  // Not moves, but they read or change only the sign and class: FXAM, FCHS, FABS of ST(0) = MMi.
  'FXCH ST(i); FXAM': { bytes: (i) => [0xd9, 0xc8 + i, 0xd9, 0xe5] },
  'FXCH ST(i); FCHS': { bytes: (i) => [0xd9, 0xc8 + i, 0xd9, 0xe0] },
  'FXCH ST(i); FABS': { bytes: (i) => [0xd9, 0xc8 + i, 0xd9, 0xe1] },
  'FLD m80fp': { bytes: (_i, r) => [0xdb, 0x6b, r.below(RESULT_DISP - 10)], push: true },
};

/** The case names these programs add to the MMX suite (corpus coverage wants each). */
export const MM_X87_CASES = [...Object.keys(MOVES).map((m) => `mm then x87 ${m}`), 'mmx transition from an FXRSTOR state'];

export function mmX87Move(r: Rng, index: number, name: string): Generated {
  const move = MOVES[name.replace('mm then x87 ', '')];
  const c = sseProgram('restore', r.next(), index);
  const k = r.below(8),
    d = r.below(RESULT_DISP - 8);
  const code = [...FXRSTOR_ESI, ...FNINIT, 0x0f, 0x6f, 0x43 | (k << 3), d];
  if (move.push) code.push(...FFREE_ST7);
  code.push(...move.bytes(r.below(8), r), ...FNSAVE_ESI);
  c.eflags = (r.next() & 0x8d5) | 0x202; // the FCMOV conditions
  return { case: { ...c, code: new Uint8Array(code) }, form: name, ignoreFlags: 0 };
}

/** An MMX form (not a floating-point conversion: those use the one free preset) from the state FXRSTOR leaves. */
export function mmxTransition(r: Rng, index: number, forms: readonly Form[]): Generated {
  const f = r.pick(forms.filter((x) => !laneKind(x)));
  const c: Case = sseProgram('restore', r.next(), index);
  const fcw = r.chance(0.8) ? (r.next() & 0x0f00) | 0x7f : r.next() & 0x0f7f;
  c.presets.push({ addr: IMAGE_ADDR, value: (fcw | (r.next() << 16)) >>> 0 });
  const reg = f.reg ?? (f.operands[0] === 'Gd' ? r.pick([1, 2, 5]) : r.below(8)); // not EAX: FNSTSW writes it
  const code = [...FXRSTOR_ESI];
  if (typeof f.prefix === 'number') code.push(f.prefix);
  code.push(...f.opcode);
  if (f.modrm) {
    if (f.mod === 'reg' || (f.mod !== 'mem' && r.chance(0.5))) code.push(0xc0 | (reg << 3) | (f.id === 'MOVD Ed,Pq' ? r.pick([1, 2, 5]) : r.below(8)));
    else code.push(0x43 | (reg << 3), r.chance(0.6) ? r.below(6) * 8 : r.below(RESULT_DISP - 15));
  }
  if (f.operands.includes('Ib')) code.push(r.below(256));
  code.push(...FNSTSW_AX);
  if (f.operands[0] === 'Pq') code.push(0x0f, 0x7f, 0x43 | (reg << 3), RESULT_DISP);
  else if (f.operands[0] === 'Vx') code.push(...MOVDQU_STORE, 0x43 | (reg << 3), RESULT_DISP);
  c.regs[7] = 0x2000 + 0x40; // MASKMOVQ's [edi], inside the data pages
  return { case: { ...c, code: new Uint8Array(code) }, form: 'mmx transition from an FXRSTOR state', ignoreFlags: 0 };
}
