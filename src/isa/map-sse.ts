// The SSE-era additions to the two-byte map that this CPU has so far: group
// 15 (0F AE) of a Pentium 4 (SDM vol. 2, table A-6): FXSAVE, FXRSTOR,
// LDMXCSR, STMXCSR and CLFLUSH with a memory operand, the fences with a
// register one (any r/m). The SSE arithmetic and MMX are not here yet, so
// they stay #UD (invalid.ts).

import { form } from './build.ts';
import type { Form } from './types.ts';

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
