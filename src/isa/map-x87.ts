// The x87 escapes D8-DF: one form per escape byte for now, enough to know
// an instruction's length (every one has a ModRM and no immediate) and to
// count it. Operand detail arrives with the x87 unit.

import { form } from './build.ts';
import type { Form } from './types.ts';

export const X87_FORMS: readonly Form[] = [0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf].map((op) => ({
  ...form(`ESC ${op.toString(16).toUpperCase()}`, [op], ['Ev'], 'x87'),
  mnemonic: 'esc',
  note: 'x87 (FCMOVcc, FCOMI included on the P6): #NM when CR0.EM or CR0.TS',
}));
