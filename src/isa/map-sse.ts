// The SSE-era additions to the two-byte map that this CPU has so far: group
// 15 (0F AE) of a Pentium 4 (SDM vol. 2, table A-6): FXSAVE, FXRSTOR,
// LDMXCSR, STMXCSR and CLFLUSH with a memory operand, the fences with a
// register one (any r/m). The SSE arithmetic and MMX are not here yet, so
// they stay #UD (invalid.ts).

import { form } from './build.ts';
import { type Form, NO_FLAGS, flags, CF, PF, ZF, AF, SF, OF } from './types.ts';
import { PACKED_INTEGER_RUNS, SHIFT_BY_IMMEDIATE } from './packed-integer.ts';

const FENCE_NOTE = 'any r/m; orders nothing in this core (one instruction at a time, no write buffer)';

export const SSE_FORMS: readonly Form[] = [
  form('FXSAVE M', [0x0f, 0xae], ['M'], 'sse', undefined, { reg: 0, note: '512 bytes, 16-byte aligned (#GP(0)); #NM under CR0.TS or EM' }),
  form('FXRSTOR M', [0x0f, 0xae], ['M'], 'sse', undefined, { reg: 1, note: '512 bytes, 16-byte aligned; #GP(0) for reserved MXCSR bits; #NM under CR0.TS or EM' }),
  form('LDMXCSR Md', [0x0f, 0xae], ['Md'], 'sse', undefined, { reg: 2, note: '#UD without CR4.OSFXSR or with CR0.EM; #GP(0) for reserved bits' }),
  form('STMXCSR Md', [0x0f, 0xae], ['Md'], 'sse', undefined, { reg: 3, note: '#UD without CR4.OSFXSR or with CR0.EM' }),
  form('LFENCE', [0x0f, 0xae], [], 'sse', undefined, { reg: 5, mod: 'reg', note: FENCE_NOTE }),
  form('MFENCE', [0x0f, 0xae], [], 'sse', undefined, { reg: 6, mod: 'reg', note: FENCE_NOTE }),
  form('SFENCE', [0x0f, 0xae], [], 'sse', undefined, { reg: 7, mod: 'reg', note: FENCE_NOTE }),
  form('CLFLUSH Mb', [0x0f, 0xae], ['Mb'], 'sse', undefined, { reg: 7, note: 'checked as a byte read; no cache to flush' }),
];

// The SSE and SSE2 forms this core executes (asm/cpu/sse/execute.ts). The
// rest of the two sets stays #UD until it is written, and CPUID claims
// neither SSE nor SSE2 until then.
const ALIGNED = '16-byte aligned memory operand (#GP(0) otherwise)';
const xmmForm = (id: string, prefix: 'none' | 0x66 | 0xf2 | 0xf3, op: number, aligned: boolean) => {
  const operands = id.split(' ')[1].split(',') as Form['operands'];
  const mod = operands.includes('Ux') ? { mod: 'reg' as const } : {};
  return form(id, [0x0f, op], operands, 'sse', undefined, { prefix, ...mod, ...(aligned ? { note: ALIGNED } : {}) });
};
const sse2 = (names: readonly string[], first: number) => names.map((n, k) => xmmForm(`${n} Vx,Wx`, 0x66, first + k, true));

// The floating-point forms (asm/cpu/sse/float.ts): IEEE arithmetic under
// MXCSR, #XM for an unmasked exception (#UD without CR4.OSXMMEXCPT).
const FP_NOTE = 'MXCSR rounding, DAZ, FZ and flags; #XM (#UD without CR4.OSXMMEXCPT) for an unmasked exception';
const fpForm = (id: string, prefix: 'none' | 0x66 | 0xf2 | 0xf3, op: number, flagUse = NO_FLAGS) => {
  const operands = id.split(' ')[1].split(',') as Form['operands'];
  const aligned = operands.includes('Wx');
  return form(id, [0x0f, op], operands, 'sse', flagUse, { prefix, note: aligned ? `${FP_NOTE}; ${ALIGNED}` : FP_NOTE });
};
/** One arithmetic opcode's four forms: packed single, packed double, scalar single, scalar double. */
const fourWays = (name: string, op: number, tail = '') => [
  fpForm(`${name}PS Vx,Wx${tail}`, 'none', op),
  fpForm(`${name}PD Vx,Wx${tail}`, 0x66, op),
  fpForm(`${name}SS Vx,Wd${tail}`, 0xf3, op),
  fpForm(`${name}SD Vx,Wq${tail}`, 0xf2, op),
];
// RCPPS/SS and RSQRTPS/SS (asm/cpu/sse/approx.ts): approximations bounded by
// the SDM (relative error at most 1.5 * 2^-12), deterministic here; no MXCSR
// control or flag applies. Their results are checked against that bound, not
// bit for bit (test/cpu-diff/approx.ts).
const APPROX_NOTE = 'relative error at most 1.5 * 2^-12 (each CPU model its own bits; here 1/x rounded at 12 fraction bits); no MXCSR effect or flag';
const approxForm = (id: string, prefix: 'none' | 0xf3, op: number) =>
  form(id, [0x0f, op], id.split(' ')[1].split(',') as Form['operands'], 'sse', undefined, { prefix, note: prefix === 'none' ? `${APPROX_NOTE}; ${ALIGNED}` : APPROX_NOTE });
export const APPROX_FORMS: readonly Form[] = [
  approxForm('RSQRTPS Vx,Wx', 'none', 0x52),
  approxForm('RSQRTSS Vx,Wd', 0xf3, 0x52),
  approxForm('RCPPS Vx,Wx', 'none', 0x53),
  approxForm('RCPSS Vx,Wd', 0xf3, 0x53),
];
const COMPARE_FLAGS = flags(0, CF | PF | ZF | AF | SF | OF);

const FLOAT_FORMS: readonly Form[] = [
  ...fourWays('SQRT', 0x51),
  ...APPROX_FORMS,
  ...fourWays('ADD', 0x58),
  ...fourWays('MUL', 0x59),
  ...fourWays('SUB', 0x5c),
  ...fourWays('MIN', 0x5d),
  ...fourWays('DIV', 0x5e),
  ...fourWays('MAX', 0x5f),
  ...fourWays('CMP', 0xc2, ',Ib'),
  fpForm('UCOMISS Vx,Wd', 'none', 0x2e, COMPARE_FLAGS),
  fpForm('UCOMISD Vx,Wq', 0x66, 0x2e, COMPARE_FLAGS),
  fpForm('COMISS Vx,Wd', 'none', 0x2f, COMPARE_FLAGS),
  fpForm('COMISD Vx,Wq', 0x66, 0x2f, COMPARE_FLAGS),
  fpForm('CVTSI2SS Vx,Ed', 0xf3, 0x2a),
  fpForm('CVTSI2SD Vx,Ed', 0xf2, 0x2a),
  fpForm('CVTTSS2SI Gd,Wd', 0xf3, 0x2c),
  fpForm('CVTTSD2SI Gd,Wq', 0xf2, 0x2c),
  fpForm('CVTSS2SI Gd,Wd', 0xf3, 0x2d),
  fpForm('CVTSD2SI Gd,Wq', 0xf2, 0x2d),
  fpForm('CVTPS2PD Vx,Wq', 'none', 0x5a),
  fpForm('CVTPD2PS Vx,Wx', 0x66, 0x5a),
  fpForm('CVTSS2SD Vx,Wd', 0xf3, 0x5a),
  fpForm('CVTSD2SS Vx,Wq', 0xf2, 0x5a),
  fpForm('CVTDQ2PS Vx,Wx', 'none', 0x5b),
  fpForm('CVTPS2DQ Vx,Wx', 0x66, 0x5b),
  fpForm('CVTTPS2DQ Vx,Wx', 0xf3, 0x5b),
  fpForm('CVTTPD2DQ Vx,Wx', 0x66, 0xe6),
  fpForm('CVTPD2DQ Vx,Wx', 0xf2, 0xe6),
  fpForm('CVTDQ2PD Vx,Wq', 0xf3, 0xe6),
  // SSE3
  fpForm('HADDPD Vx,Wx', 0x66, 0x7c),
  fpForm('HADDPS Vx,Wx', 0xf2, 0x7c),
  fpForm('HSUBPD Vx,Wx', 0x66, 0x7d),
  fpForm('HSUBPS Vx,Wx', 0xf2, 0x7d),
  fpForm('ADDSUBPD Vx,Wx', 0x66, 0xd0),
  fpForm('ADDSUBPS Vx,Wx', 0xf2, 0xd0),
];

// Lane moves and shuffles without arithmetic (asm/cpu/sse/moves.ts), with SSE3's MOVDDUP, MOVSLDUP, MOVSHDUP, LDDQU.
const MOVE_FORMS: readonly Form[] = [
  xmmForm('MOVLPS Vx,Mq', 'none', 0x12, false),
  xmmForm('MOVHLPS Vx,Ux', 'none', 0x12, false),
  xmmForm('MOVLPD Vx,Mq', 0x66, 0x12, false),
  xmmForm('MOVDDUP Vx,Wq', 0xf2, 0x12, false),
  xmmForm('MOVSLDUP Vx,Wx', 0xf3, 0x12, true),
  xmmForm('MOVLPS Mq,Vx', 'none', 0x13, false),
  xmmForm('MOVLPD Mq,Vx', 0x66, 0x13, false),
  xmmForm('UNPCKLPS Vx,Wx', 'none', 0x14, true),
  xmmForm('UNPCKLPD Vx,Wx', 0x66, 0x14, true),
  xmmForm('UNPCKHPS Vx,Wx', 'none', 0x15, true),
  xmmForm('UNPCKHPD Vx,Wx', 0x66, 0x15, true),
  xmmForm('MOVHPS Vx,Mq', 'none', 0x16, false),
  xmmForm('MOVLHPS Vx,Ux', 'none', 0x16, false),
  xmmForm('MOVHPD Vx,Mq', 0x66, 0x16, false),
  xmmForm('MOVSHDUP Vx,Wx', 0xf3, 0x16, true),
  xmmForm('MOVHPS Mq,Vx', 'none', 0x17, false),
  xmmForm('MOVHPD Mq,Vx', 0x66, 0x17, false),
  xmmForm('MOVNTPS Mx,Vx', 'none', 0x2b, true),
  xmmForm('MOVNTPD Mx,Vx', 0x66, 0x2b, true),
  xmmForm('MOVMSKPS Gd,Ux', 'none', 0x50, false),
  xmmForm('MOVMSKPD Gd,Ux', 0x66, 0x50, false),
  form('PINSRW Vx,Ed,Ib', [0x0f, 0xc4], ['Vx', 'Ed', 'Ib'], 'sse', undefined, { prefix: 0x66, note: 'a memory operand is 16 bits' }),
  xmmForm('PEXTRW Gd,Ux,Ib', 0x66, 0xc5, false),
  xmmForm('SHUFPS Vx,Wx,Ib', 'none', 0xc6, true),
  xmmForm('SHUFPD Vx,Wx,Ib', 0x66, 0xc6, true),
  xmmForm('MOVNTDQ Mx,Vx', 0x66, 0xe7, true),
  xmmForm('LDDQU Vx,Mx', 0xf2, 0xf0, false),
  // A general register's non-temporal store: 66, F2 and F3 make it #UD, as the 'none' prefix class says.
  form('MOVNTI Md,Gd', [0x0f, 0xc3], ['Md', 'Gd'], 'sse', undefined, { prefix: 'none', note: 'needs no CR4.OSFXSR' }),
  form('MASKMOVDQU Vx,Ux', [0x0f, 0xf7], ['Vx', 'Ux'], 'sse', undefined, {
    prefix: 0x66,
    mod: 'reg',
    note: 'stores the selected bytes at DS:[EDI] (segment overridable); a fault stores none',
  }),
];

export const XMM_FORMS: readonly Form[] = [
  xmmForm('MOVUPS Vx,Wx', 'none', 0x10, false),
  xmmForm('MOVUPD Vx,Wx', 0x66, 0x10, false),
  xmmForm('MOVSS Vx,Wd', 0xf3, 0x10, false),
  xmmForm('MOVSD Vx,Wq', 0xf2, 0x10, false),
  xmmForm('MOVUPS Wx,Vx', 'none', 0x11, false),
  xmmForm('MOVUPD Wx,Vx', 0x66, 0x11, false),
  xmmForm('MOVSS Wd,Vx', 0xf3, 0x11, false),
  xmmForm('MOVSD Wq,Vx', 0xf2, 0x11, false),
  xmmForm('MOVAPS Vx,Wx', 'none', 0x28, true),
  xmmForm('MOVAPD Vx,Wx', 0x66, 0x28, true),
  xmmForm('MOVAPS Wx,Vx', 'none', 0x29, true),
  xmmForm('MOVAPD Wx,Vx', 0x66, 0x29, true),
  ...['ANDPS', 'ANDNPS', 'ORPS', 'XORPS'].map((n, k) => xmmForm(`${n} Vx,Wx`, 'none', 0x54 + k, true)),
  ...['ANDPD', 'ANDNPD', 'ORPD', 'XORPD'].map((n, k) => xmmForm(`${n} Vx,Wx`, 0x66, 0x54 + k, true)),
  xmmForm('MOVD Vx,Ed', 0x66, 0x6e, false),
  xmmForm('MOVDQA Vx,Wx', 0x66, 0x6f, true),
  xmmForm('MOVDQU Vx,Wx', 0xf3, 0x6f, false),
  xmmForm('MOVD Ed,Vx', 0x66, 0x7e, false),
  xmmForm('MOVQ Vx,Wq', 0xf3, 0x7e, false),
  xmmForm('MOVDQA Wx,Vx', 0x66, 0x7f, true),
  xmmForm('MOVDQU Wx,Vx', 0xf3, 0x7f, false),
  xmmForm('MOVQ Wq,Vx', 0x66, 0xd6, false),
  ...PACKED_INTEGER_RUNS.flatMap(([first, names]) => sse2(names, first)),
  ...sse2(['PUNPCKLQDQ', 'PUNPCKHQDQ'], 0x6c),
  xmmForm('PSHUFD Vx,Wx,Ib', 0x66, 0x70, true),
  xmmForm('PSHUFHW Vx,Wx,Ib', 0xf3, 0x70, true),
  xmmForm('PSHUFLW Vx,Wx,Ib', 0xf2, 0x70, true),
  xmmForm('PMOVMSKB Gd,Ux', 0x66, 0xd7, false),
  ...FLOAT_FORMS,
  ...MOVE_FORMS,
  // Groups 12, 13 and 14: shifts by an immediate, register operand only.
  ...SHIFT_BY_IMMEDIATE.map(([n, op, reg]) => form(`${n} Ux,Ib`, [0x0f, op], ['Ux', 'Ib'], 'sse', undefined, { prefix: 0x66, reg, mod: 'reg' })),
];
