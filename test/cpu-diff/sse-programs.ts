// FXSAVE/FXRSTOR cases: short programs whose whole FPU/SSE state lands in a
// 512-byte FXSAVE image, compared field by field with the image the host CPU
// stores (test/cpu-diff/fxsave.test.ts). ESI points at a 16-byte aligned
// image in the seeded data pages, EBX at the data pages.
//
//   restore: FXRSTOR [esi]; FXSAVE [esi]
//     The seeded fill is the image (x87 registers, XMM0-7, pointers, tags),
//     with a valid MXCSR preset; saved where it was restored, so the bytes
//     a 64-bit FXSAVE adds (XMM8-15, loaded from there) stay as they were.
//   x87: FXRSTOR [esi]; FNCLEX; FLD1; FLDZ; FILD m16 [ebx+4]; FXSAVE [esi]
//     The same, with the tags preset empty, the restored exceptions cleared
//     (else the loads raise #MF) and three exact loads, so the saved
//     registers ST0-ST2 are values an f64 register file holds exactly.

import { DATA_ADDR, type Case } from './case.ts';
import type { Generated } from './generator.ts';
import { FORMS, type Form } from '../../src/isa/table.ts';
import { APPROX_FORMS } from '../../src/isa/map-sse.ts';
import { Rng } from '../support/rng.ts';
import { laneKind, scalar, filledWord, edgeF32, edgeF64High, edgeI32, type LaneKind } from './sse-values.ts';

/** Where the image sits (16-byte aligned, inside the data pages). */
export const IMAGE_ADDR = DATA_ADDR + 0x100; // low enough for the harness's one-byte FCS field index

export const FXRSTOR_ESI = [0x0f, 0xae, 0x0e];
const FXSAVE_ESI = [0x0f, 0xae, 0x06];
const X87_LOADS = [0xdb, 0xe2, 0xd9, 0xe8, 0xd9, 0xee, 0xdf, 0x43, 0x04]; // FNCLEX; FLD1; FLDZ; FILD word [ebx+4]

// MXCSR values: the default, every flag and mask, each rounding mode, FZ, DAZ.
const MXCSR_EDGES = [0x1f80, 0x0000, 0xffff, 0x1fbf, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0x8040, 0x003f];

export type SseProgram = 'restore' | 'x87';

export function sseProgram(kind: SseProgram, seed: number, index: number): Case {
  const r = Rng.forCase(seed, index);
  const csr = r.chance(0.5) ? r.pick(MXCSR_EDGES) : r.next() & 0xffff;
  const presets = [{ addr: IMAGE_ADDR + 24, value: csr }];
  // x87: every register empty, TOP and the rest of the words from the fill (FOP stays random).
  if (kind === 'x87') presets.push({ addr: IMAGE_ADDR + 4, value: (r.next() & 0x07ff0000) >>> 0 });
  const code = kind === 'restore' ? [...FXRSTOR_ESI, ...FXSAVE_ESI] : [...FXRSTOR_ESI, ...X87_LOADS, ...FXSAVE_ESI];
  const regs = Array.from({ length: 8 }, () => r.next());
  regs[3] = DATA_ADDR;
  regs[4] = 0x5800;
  regs[6] = IMAGE_ADDR;
  return { seed: r.next(), regs, eflags: 0x202, code: new Uint8Array(code), presets };
}

// XMM form cases: FXRSTOR [esi]; <the form>; MOVDQU [ebx+0x60], <its XMM result>; STMXCSR [ebx+0x70]
// The restore gives XMM0-7 and MXCSR the seeded image's contents; the
// instruction's memory operand is [ebx+disp8] in the data pages (aligned or
// not), or [edi+disp8] across the end of the data pages (a #PF); the result
// register and MXCSR are stored where the page hash sees them. Everything
// the instruction changes is then in the case's outcome: registers, flags,
// fault, memory, MXCSR's exception flags. A floating-point form gets an
// MXCSR with its exceptions mostly masked (an unmasked one faults, #XM, with
// nothing to compare but the fault), and an edge value in one lane
// (sse-values.ts).

export const MOVDQU_STORE = [0xf3, 0x0f, 0x7f];
export const RESULT_DISP = 0x60;
export const STMXCSR_STORE = [0x0f, 0xae, 0x5b, 0x70];
export const EDGE_EDI = DATA_ADDR + 0x2000 - 8;

/** The forms these cases cover: the table's XMM forms (those with a mandatory prefix; the MM ones are mmx-programs.ts's). */
export const XMM_CASE_FORMS: readonly Form[] = FORMS.filter((f) => f.prefix !== undefined && f.category === 'sse');

export function generateSse(seed: number, index: number, only?: string): Generated {
  const r = Rng.forCase(seed, index);
  const forms = only === undefined ? XMM_CASE_FORMS : XMM_CASE_FORMS.filter((f) => f.id === only);
  if (!forms.length) throw new Error(`no XMM form is called "${only}"`);
  const f = forms[r.below(forms.length)];
  const c = sseProgram('restore', r.next(), index);
  const kind = laneKind(f);
  // A general register destination other than EBX, which addresses the stores after it.
  const reg = f.reg ?? (f.operands[0] === 'Gd' ? r.pick([0, 1, 2, 5, 6, 7]) : r.below(8));
  const code = [...FXRSTOR_ESI];
  if (typeof f.prefix === 'number') code.push(f.prefix);
  code.push(...f.opcode);
  let result = reg;
  let source: number | undefined; // where the source operand's bytes are, when they are in the data pages
  let gpr: number | undefined; // the general register source of CVTSI2Sx
  if (f.mod === 'reg' || (f.mod !== 'mem' && r.chance(0.5))) {
    const rm = r.below(8);
    code.push(0xc0 | (reg << 3) | rm);
    if (f.operands[0][0] === 'W' || f.operands[0][0] === 'U') result = rm;
    if (f.operands[1] === 'Ed') gpr = rm;
    else source = xmmImage(rm);
  } else if (r.chance(0.1)) {
    code.push(0x47 | (reg << 3), r.below(16)); // [edi+disp8]: crosses into the unmapped page
  } else {
    const disp = r.chance(0.6) ? r.below(6) * 16 : r.below(RESULT_DISP - 15);
    code.push(0x43 | (reg << 3), disp);
    source = DATA_ADDR + disp;
  }
  if (f.operands.includes('Ib')) code.push(r.below(256));
  // An approximation's result lanes are each CPU's own: approx.ts checks them against their bound;
  // here the rest is compared bit for bit (decoding, faults, MXCSR untouched).
  if (!APPROX_FORMS.includes(f)) code.push(...MOVDQU_STORE, 0x43 | (result << 3), RESULT_DISP);
  code.push(...STMXCSR_STORE);
  // MASKMOVDQU stores at [edi]: mostly inside the data pages, sometimes across their end.
  c.regs[7] = f.mnemonic === 'maskmovdqu' && r.chance(0.8) ? DATA_ADDR + 0x40 : EDGE_EDI;
  if (kind) floatOperands(r, c, f, kind, f.operands[0] === 'Gd' ? undefined : xmmImage(reg), source, gpr);
  return { case: { ...c, code: new Uint8Array(code) }, form: `sse ${f.id}`, ignoreFlags: 0 };
}

/** Where FXRSTOR [esi] loads XMM register `n` from. */
export function xmmImage(n: number): number {
  return IMAGE_ADDR + 160 + n * 16;
}

/** MXCSR mostly masked, and one edge value in a lane of the destination or the source (sse-values.ts). */
export function floatOperands(r: Rng, c: Case, f: Form, kind: LaneKind, dest: number | undefined, source: number | undefined, gpr: number | undefined): void {
  const csr = (r.next() & 0xffff) | (r.chance(0.8) ? 0x1f80 : 0);
  c.presets[0] = { addr: IMAGE_ADDR + 24, value: csr };
  // Not ESP, nor EBX, ESI or EDI, which address the program's memory operands.
  if (gpr !== undefined && [0, 1, 2, 5].includes(gpr) && r.chance(0.5)) c.regs[gpr] = edgeI32(r);
  const size = kind === 'f64' ? 8 : 4;
  const lane = scalar(f) ? 0 : r.below(f.operands[1] === 'Wq' ? 8 / size : 16 / size);
  const toDest = dest !== undefined && kind !== 'i32' && r.chance(0.5);
  const at = toDest ? dest : source;
  if (at === undefined) return;
  const word = at + lane * size + (kind === 'f64' ? 4 : 0); // a double's high word
  const otherAt = (toDest ? source : dest) ?? word;
  const other = filledWord(c.seed, otherAt + (word - at));
  const value = kind === 'f32' ? edgeF32(r, other) : kind === 'f64' ? edgeF64High(r, other) : edgeI32(r);
  c.presets[1] = { addr: word, value };
}
