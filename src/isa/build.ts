// A terse constructor for table rows, so each map file reads like the SDM's
// opcode map: the mnemonic and whether a ModRM follows are derived from the
// id and the operand letters instead of being written twice.

import { type Category, type FlagUse, type Form, type Operand, NO_FLAGS } from './types.ts';

const MODRM_OPERANDS = /^([EGRCDSMVWUPQN][a-z]|M$)/;

export function form(id: string, opcode: readonly number[], operands: readonly Operand[], category: Category, flagUse: FlagUse = NO_FLAGS, extra: Partial<Form> = {}): Form {
  const mnemonic = id.split(' ')[0].toLowerCase();
  const modrm = extra.reg !== undefined || operands.some((o) => MODRM_OPERANDS.test(o));
  const mem = operands.some((o) => o[0] === 'M');
  return {
    id,
    mnemonic,
    opcode,
    modrm,
    ...(mem ? { mod: 'mem' as const } : {}),
    operands,
    category,
    flags: flagUse,
    ...extra,
  };
}
