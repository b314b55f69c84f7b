// x87 differential cases. Each case is a short program around the
// instruction under test, so the FPU starts from a known state and its whole
// state lands in memory, where the page hash compares it:
//   FNINIT; FLDCW [ebx]; FLD m32 [ebx+4]; FLD m32 [ebx+8]; <instruction>; FNSAVE [ebx+0x40]
// EBX points at the data pages. The two operands are the seeded fill read as
// f32 (so every kind of f32 appears, denormals included), one of them
// sometimes replaced by a special value; memory operands of the instruction
// are at [ebx+12]. The FNSAVE image holds control, status (flags, condition
// codes, TOP) and tag words, FIP/FOP/FDP and all eight registers in 80 bits.
//
// The control word always selects 53-bit precision, where an f64 register
// file (asm/cpu/fpu/README.md) rounds as the hardware does. Forms listed in
// EXACT_X87 must match bit for bit; the others (transcendentals, constants,
// m64 arithmetic whose results can leave the double range, FSCALE, FPREM,
// FXTRACT, BCD) are measured and reported, not required.

import { type Case, DATA_ADDR } from './case.ts';
import type { Generated } from './generator.ts';
import { Rng } from '../support/rng.ts';

interface X87Form {
  id: string;
  bytes: number[]; // the instruction; a ModRM of 0x43 means [ebx+12] (the disp8 is appended)
  rc?: boolean; // honours rounding control: the case picks RC at random
}

const reg = (name: string, op: number, base: number): X87Form[] => [0, 1, 2].map((i) => ({ id: `${name} ST(${i})`, bytes: [op, base + i] }));
const mem = (name: string, op: number, r: number, rc = false): X87Form => ({ id: name, bytes: [op, 0x43 | (r << 3)], rc });
const one = (name: string, op: number, b: number, rc = false): X87Form => ({ id: name, bytes: [op, b], rc });

const ARITH = ['FADD', 'FMUL', 'FCOM', 'FCOMP', 'FSUB', 'FSUBR', 'FDIV', 'FDIVR'];

export const X87_FORMS: readonly X87Form[] = [
  ...ARITH.flatMap((n, r) => reg(`${n} ST,`, 0xd8, 0xc0 + r * 8)),
  ...ARITH.map((n, r) => mem(`${n} m32fp`, 0xd8, r)),
  ...ARITH.map((n, r) => mem(`${n} m32int`, 0xda, r)),
  ...ARITH.map((n, r) => mem(`${n} m16int`, 0xde, r)),
  ...ARITH.map((n, r) => mem(`${n} m64fp`, 0xdc, r)),
  ...['FADD', 'FMUL', '', '', 'FSUBR', 'FSUB', 'FDIVR', 'FDIV'].flatMap((n, r) =>
    n ? [...reg(`${n} ST(i),ST`, 0xdc, 0xc0 + r * 8), ...reg(`${n}P ST(i),ST`, 0xde, 0xc0 + r * 8)] : [],
  ),
  one('FCOMPP', 0xde, 0xd9),
  one('FUCOMPP', 0xda, 0xe9),
  ...reg('FUCOM', 0xdd, 0xe0),
  ...reg('FUCOMP', 0xdd, 0xe8),
  ...reg('FCOMI ST,', 0xdb, 0xf0),
  ...reg('FUCOMI ST,', 0xdb, 0xe8),
  ...reg('FCOMIP ST,', 0xdf, 0xf0),
  ...reg('FUCOMIP ST,', 0xdf, 0xe8),
  ...['FCMOVB', 'FCMOVE', 'FCMOVBE', 'FCMOVU'].flatMap((n, r) => reg(`${n} ST,`, 0xda, 0xc0 + r * 8)),
  ...['FCMOVNB', 'FCMOVNE', 'FCMOVNBE', 'FCMOVNU'].flatMap((n, r) => reg(`${n} ST,`, 0xdb, 0xc0 + r * 8)),
  ...reg('FLD', 0xd9, 0xc0),
  ...reg('FXCH', 0xd9, 0xc8),
  ...reg('FST', 0xdd, 0xd0),
  ...reg('FSTP', 0xdd, 0xd8),
  ...reg('FFREE', 0xdd, 0xc0),
  one('FCHS', 0xd9, 0xe0),
  one('FABS', 0xd9, 0xe1),
  one('FTST', 0xd9, 0xe4),
  one('FXAM', 0xd9, 0xe5),
  one('FLD1', 0xd9, 0xe8),
  one('FLDL2T', 0xd9, 0xe9),
  one('FLDL2E', 0xd9, 0xea),
  one('FLDPI', 0xd9, 0xeb),
  one('FLDLG2', 0xd9, 0xec),
  one('FLDLN2', 0xd9, 0xed),
  one('FLDZ', 0xd9, 0xee),
  one('F2XM1', 0xd9, 0xf0),
  one('FYL2X', 0xd9, 0xf1),
  one('FPTAN', 0xd9, 0xf2),
  one('FPATAN', 0xd9, 0xf3),
  one('FXTRACT', 0xd9, 0xf4),
  one('FPREM1', 0xd9, 0xf5),
  one('FDECSTP', 0xd9, 0xf6),
  one('FINCSTP', 0xd9, 0xf7),
  one('FPREM', 0xd9, 0xf8),
  one('FYL2XP1', 0xd9, 0xf9),
  one('FSQRT', 0xd9, 0xfa),
  one('FSINCOS', 0xd9, 0xfb),
  one('FRNDINT', 0xd9, 0xfc, true),
  one('FSCALE', 0xd9, 0xfd),
  one('FSIN', 0xd9, 0xfe),
  one('FCOS', 0xd9, 0xff),
  one('FNSTSW AX', 0xdf, 0xe0),
  one('FNCLEX', 0xdb, 0xe2),
  mem('FST m32fp', 0xd9, 2),
  mem('FSTP m32fp', 0xd9, 3),
  mem('FST m64fp', 0xdd, 2),
  mem('FSTP m64fp', 0xdd, 3),
  mem('FSTP m80fp', 0xdb, 7),
  mem('FLD m80fp', 0xdb, 5),
  mem('FLD m64fp', 0xdd, 0),
  mem('FILD m16int', 0xdf, 0),
  mem('FILD m32int', 0xdb, 0),
  mem('FILD m64int', 0xdf, 5),
  mem('FIST m16int', 0xdf, 2, true),
  mem('FISTP m16int', 0xdf, 3, true),
  mem('FIST m32int', 0xdb, 2, true),
  mem('FISTP m32int', 0xdb, 3, true),
  mem('FISTP m64int', 0xdf, 7, true),
  // SSE3: FISTTP truncates whatever RC says (rc: true checks that it does).
  mem('FISTTP m16int', 0xdf, 1, true),
  mem('FISTTP m32int', 0xdb, 1, true),
  mem('FISTTP m64int', 0xdd, 1, true),
  mem('FBLD m80bcd', 0xdf, 4),
  mem('FBSTP m80bcd', 0xdf, 6, true),
  mem('FNSTCW', 0xd9, 7),
  mem('FNSTSW m16', 0xdd, 7),
  mem('FNSTENV', 0xd9, 6),
  mem('FLDENV', 0xd9, 4),
];

// Required to match exactly; README.md in asm/cpu/fpu says why the rest may differ.
const INEXACT =
  /^(F2XM1|FYL2X|FYL2XP1|FPTAN|FPATAN|FSIN|FCOS|FSINCOS|FLDL2T|FLDL2E|FLDPI|FLDLG2|FLDLN2|FSCALE|FPREM1?|FXTRACT|FBLD m80bcd|FBSTP m80bcd|FILD m64int|FLDENV)$|m64fp$/;
export const EXACT_X87 = new Set(X87_FORMS.map((f) => f.id).filter((id) => !INEXACT.test(id) || /^(FST|FSTP|FLD) m64fp$/.test(id)));

// f32 bit patterns for one operand: zeros, denormals, infinities, NaNs, extremes.
const SPECIAL_F32 = [
  0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0x00800000,
  0x4f000000, 0xcf000000, 0x46fffe00, 0x3f000000, 0x40490fdb, 0x5f000000,
];

const PROLOGUE = [0xdb, 0xe3, 0xd9, 0x2b, 0xd9, 0x43, 0x04, 0xd9, 0x43, 0x08];
const EPILOGUE = [0xdd, 0x73, 0x40];

export function generateX87(seed: number, index: number, only?: string): Generated {
  const r = Rng.forCase(seed, index);
  const forms = only === undefined ? X87_FORMS : X87_FORMS.filter((f) => f.id === only);
  if (!forms.length) throw new Error(`no x87 form is called "${only}"`);
  const f = forms[r.below(forms.length)];
  const code = [...PROLOGUE, ...f.bytes];
  if (f.bytes[1] < 0xc0) code.push(12);
  code.push(...EPILOGUE);
  // Precision 53 bits; rounding to nearest unless the form honours RC; masks mostly all set.
  const rc = f.rc ? r.below(4) : 0;
  const masks = r.chance(0.8) ? 0x3f : r.next() & 0x3f;
  const presets = [{ addr: DATA_ADDR, value: (0x40 | 0x200 | (rc << 10) | masks) >>> 0 }];
  if (r.chance(0.5)) presets.push({ addr: DATA_ADDR + (r.chance(0.5) ? 4 : 8), value: r.pick(SPECIAL_F32) });
  const regs = Array.from({ length: 8 }, () => r.next());
  regs[3] = DATA_ADDR;
  regs[4] = 0x5800;
  const c: Case = { seed: r.next(), regs, eflags: (r.next() & 0x8d5) | 0x202, code: new Uint8Array(code), presets };
  return { case: c, form: `x87 ${f.id}`, ignoreFlags: 0 };
}
