// Cases for the forms on MM registers (src/isa/map-mmx.ts):
//
//   FXRSTOR [esi]; FNINIT; <the form>; FNSAVE [esi]
//   [; MOVDQU [ebx+0x60], <its XMM result>; STMXCSR [ebx+0x70]]
//
// The restore loads the x87 registers (so MM0-7: their significands) and
// XMM0-7 from the seeded image, which is random bits, with a valid MXCSR
// preset. FNINIT then clears what an AMD host would otherwise hide from the
// image (FIP, FDP and FOP while no exception is pending), leaving TOP 0,
// every tag empty and the registers as restored. FNSAVE stores what the form
// did to the x87 side: every register's 80 bits (an MM write: exponent all
// ones), TOP and the full tag word, which the CPU computes from the
// registers' contents. A form that writes an XMM register or MXCSR (the
// conversions, MOVQ2DQ) also stores those where the page hash sees them.
// The floating-point conversions get a random MXCSR and an edge value in
// one lane, as the XMM floating-point cases do (sse-values.ts).

import { DATA_ADDR } from './case.ts';
import type { Generated } from './generator.ts';
import { FORMS, type Form } from '../../src/isa/table.ts';
import { Rng } from '../support/rng.ts';
import { laneKind, filledWord } from './sse-values.ts';
import { MM_X87_CASES, mmX87Move, mmxTransition } from './mmx-x87-programs.ts';
import { sseProgram, floatOperands, xmmImage, FXRSTOR_ESI, MOVDQU_STORE, RESULT_DISP, STMXCSR_STORE, EDGE_EDI, IMAGE_ADDR } from './sse-programs.ts';

/** The forms these cases cover: every form with an MM operand. */
export const MMX_CASE_FORMS: readonly Form[] = FORMS.filter((f) => f.category === 'mmx');

const FNINIT = [0xdb, 0xe3];
const FNSAVE_ESI = [0xdd, 0x36];
// General registers a form may write: not ESP, nor EBX, ESI or EDI, which address what follows.
const WRITABLE = [0, 1, 2, 5];

/** Where FXRSTOR puts MM register n: physical register n is ST((n - TOP) & 7) of the image. */
function mmImage(seed: number, n: number): number {
  const top = (filledWord(seed, IMAGE_ADDR) >>> 27) & 7;
  return IMAGE_ADDR + 32 + ((n - top) & 7) * 16;
}

export function generateMmx(seed: number, index: number, only?: string): Generated {
  const r = Rng.forCase(seed, index);
  // A fifth of the cases: the x87 side reading MM registers, and MMX forms after FXRSTOR alone (mmx-x87-programs.ts).
  const x87 = only === undefined ? (r.chance(0.2) ? r.pick(MM_X87_CASES) : undefined) : MM_X87_CASES.find((n) => n === only);
  if (x87 === MM_X87_CASES[MM_X87_CASES.length - 1]) return mmxTransition(r, index, MMX_CASE_FORMS);
  if (x87 !== undefined) return mmX87Move(r, index, x87);
  const forms = only === undefined ? MMX_CASE_FORMS : MMX_CASE_FORMS.filter((f) => f.id === only);
  if (!forms.length) throw new Error(`no form on MM registers is called "${only}"`);
  const f = forms[r.below(forms.length)];
  const c = sseProgram('restore', r.next(), index);
  const [dst, src] = f.operands;
  const reg = f.reg ?? (dst === 'Gd' ? r.pick(WRITABLE) : r.below(8));
  const code = [...FXRSTOR_ESI, ...FNINIT];
  if (typeof f.prefix === 'number') code.push(f.prefix);
  code.push(...f.opcode);
  let source: number | undefined; // where the source operand's bytes are, when they are in the data pages
  let memory = false;
  if (f.modrm) {
    if (f.mod === 'reg' || (f.mod !== 'mem' && r.chance(0.5))) {
      // MOVD Ed,Pq writes its register operand: one the program does not use afterwards.
      const rm = f.id === 'MOVD Ed,Pq' ? r.pick(WRITABLE) : r.below(8);
      code.push(0xc0 | (reg << 3) | rm);
      if (src?.[0] === 'Q' || src?.[0] === 'N') source = mmImage(c.seed, rm);
      else if (src?.[0] === 'W' || src?.[0] === 'U') source = xmmImage(rm);
    } else if (r.chance(0.1)) {
      code.push(0x47 | (reg << 3), r.below(16)); // [edi+disp8]: crosses into the unmapped page
      memory = true;
    } else {
      const disp = r.chance(0.6) ? r.below(6) * 16 : r.below(RESULT_DISP - 15);
      code.push(0x43 | (reg << 3), disp);
      source = DATA_ADDR + disp;
      memory = true;
    }
  }
  if (f.operands.includes('Ib')) code.push(r.below(256));
  const xmmResult = dst === 'Vx';
  // CVTPI2PD from memory makes no MMX transition and has no room left for FNSAVE.
  if (!(xmmResult && memory && f.prefix === 0x66)) code.push(...FNSAVE_ESI);
  if (xmmResult) code.push(...MOVDQU_STORE, 0x43 | (reg << 3), RESULT_DISP);
  const kind = laneKind(f);
  if (kind) code.push(...STMXCSR_STORE);
  // MASKMOVQ stores at [edi]: mostly inside the data pages, sometimes across their end.
  c.regs[7] = f.mnemonic === 'maskmovq' && r.chance(0.8) ? DATA_ADDR + 0x40 : EDGE_EDI;
  if (kind) floatOperands(r, c, f, kind, xmmResult ? xmmImage(reg) : undefined, source, undefined);
  return { case: { ...c, code: new Uint8Array(code) }, form: `mmx ${f.id}`, ignoreFlags: 0 };
}
