// The forms on MM registers (SDM vol. 2, table A-3 without a mandatory
// prefix, and the SSE/SSE2 rows that name an MM operand): MMX itself, the
// integer forms SSE added on MM registers (PSHUFW, PINSRW, PEXTRW, PMOVMSKB,
// PAVGB/W, PMINUB, PMAXUB, PMINSW, PMAXSW, PMULHUW, PSADBW, MASKMOVQ,
// MOVNTQ), SSE2's (PADDQ, PSUBQ, PMULUDQ on MM registers, MOVQ2DQ,
// MOVDQ2Q) and the conversions between MM and XMM registers. Every one of
// them sets TOP to 0 and every x87 tag valid (EMMS: empty), and waits for a
// pending x87 exception (#MF); asm/cpu/sse/mmx-execute.ts executes them.
// Operand letters: P an MM register in ModRM.reg, Q an MM register or
// memory in r/m, N an MM register in r/m (SDM vol. 2, A.2.1).

import { form } from './build.ts';
import type { Form, Operand } from './types.ts';
import { PACKED_INTEGER_RUNS, SHIFT_BY_IMMEDIATE } from './packed-integer.ts';

const NOTE = 'TOP := 0, tags valid; #UD under CR0.EM, #NM under CR0.TS, #MF for a pending x87 exception';

const mmx = (id: string, op: number, extra: Partial<Form> = {}, prefix: 'none' | 0x66 | 0xf2 | 0xf3 = 'none') => {
  const operands = id.split(' ')[1].split(',') as Operand[];
  const mod = operands.some((o) => o[0] === 'N' || o[0] === 'U') ? { mod: 'reg' as const } : {};
  return form(id, [0x0f, op], operands, 'mmx', undefined, { prefix, ...mod, note: NOTE, ...extra });
};

// The conversions (asm/cpu/sse/float.ts): MXCSR rounding and flags, as the XMM ones.
const FP_NOTE = 'MXCSR rounding, DAZ, FZ and flags; #XM (#UD without CR4.OSXMMEXCPT) for an unmasked exception; needs CR4.OSFXSR';
const convert = (id: string, op: number, prefix: 'none' | 0x66, note = FP_NOTE) => mmx(id, op, { note }, prefix);

// PUNPCKL* read 32 bits of a memory source on MM registers (all 128 on XMM).
const HALF_SOURCE = new Set(['PUNPCKLBW', 'PUNPCKLWD', 'PUNPCKLDQ']);

export const MMX_FORMS: readonly Form[] = [
  ...PACKED_INTEGER_RUNS.flatMap(([first, names]) => names.map((n, k) => mmx(`${n} Pq,${HALF_SOURCE.has(n) ? 'Qd' : 'Qq'}`, first + k))),
  ...SHIFT_BY_IMMEDIATE.filter(([, , , xmmOnly]) => !xmmOnly).map(([n, op, reg]) => mmx(`${n} Nq,Ib`, op, { reg })),
  mmx('MOVD Pq,Ed', 0x6e),
  mmx('MOVQ Pq,Qq', 0x6f),
  mmx('PSHUFW Pq,Qq,Ib', 0x70),
  form('EMMS', [0x0f, 0x77], [], 'mmx', undefined, { prefix: 'none', note: 'every x87 tag empty, TOP := 0; #UD under CR0.EM, #NM under CR0.TS, #MF for a pending x87 exception' }),
  mmx('MOVD Ed,Pq', 0x7e),
  mmx('MOVQ Qq,Pq', 0x7f),
  mmx('PINSRW Pq,Ed,Ib', 0xc4, { note: `a memory operand is 16 bits; ${NOTE}` }),
  mmx('PEXTRW Gd,Nq,Ib', 0xc5),
  mmx('PMOVMSKB Gd,Nq', 0xd7),
  mmx('MOVNTQ Mq,Pq', 0xe7),
  mmx('MASKMOVQ Pq,Nq', 0xf7, { note: `stores the selected bytes at DS:[EDI] (segment overridable); a fault stores none; ${NOTE}` }),
  mmx('MOVQ2DQ Vx,Nq', 0xd6, { note: `needs CR4.OSFXSR; ${NOTE}` }, 0xf3),
  mmx('MOVDQ2Q Pq,Ux', 0xd6, { note: `needs CR4.OSFXSR; ${NOTE}` }, 0xf2),
  convert('CVTPI2PS Vx,Qq', 0x2a, 'none', `${FP_NOTE}; a memory source makes no MMX transition`),
  convert('CVTPI2PD Vx,Qq', 0x2a, 0x66, `${FP_NOTE}; a memory source makes no MMX transition`),
  convert('CVTTPS2PI Pq,Wq', 0x2c, 'none'),
  convert('CVTTPD2PI Pq,Wx', 0x2c, 0x66, `${FP_NOTE}; 16-byte aligned memory operand (#GP(0) otherwise)`),
  convert('CVTPS2PI Pq,Wq', 0x2d, 'none'),
  convert('CVTPD2PI Pq,Wx', 0x2d, 0x66, `${FP_NOTE}; 16-byte aligned memory operand (#GP(0) otherwise)`),
];
