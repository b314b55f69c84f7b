// The whole table, in a stable order, and the opcode index the decoder and
// the disassembler use to find a form from the bytes.

import type { Form } from './types.ts';
import { PRIMARY_FORMS } from './map-primary.ts';
import { GROUP_FORMS } from './map-groups.ts';
import { TWO_BYTE_FORMS } from './map-0f.ts';
import { X87_FORMS } from './map-x87.ts';
import { SSE_FORMS, XMM_FORMS } from './map-sse.ts';
import { MMX_FORMS } from './map-mmx.ts';

export * from './types.ts';

/** Every form of the i686 integer instruction set, plus the x87 escapes. */
export const FORMS: readonly Form[] = [...PRIMARY_FORMS, ...GROUP_FORMS, ...TWO_BYTE_FORMS, ...X87_FORMS, ...SSE_FORMS, ...XMM_FORMS, ...MMX_FORMS];

const byId = new Map<string, Form>();
for (const f of FORMS) {
  if (byId.has(f.id)) throw new Error(`instruction form id "${f.id}" is declared twice`);
  byId.set(f.id, f);
}

export function formById(id: string): Form | undefined {
  return byId.get(id);
}

/**
 * Forms by opcode: index b for one-byte opcodes, 0x100 + b for 0F b.
 * A plain form shadows a register-in-opcode form at the same byte (90 is NOP,
 * not XCHG eAX,eAX).
 */
export const OPCODE_INDEX: readonly (readonly Form[] | undefined)[] = (() => {
  const index: Form[][] = [];
  const key = (f: Form) => (f.opcode.length === 2 ? 0x100 : 0) + f.opcode[f.opcode.length - 1];
  for (const f of FORMS) {
    if (f.plusReg) continue;
    (index[key(f)] ??= []).push(f);
  }
  for (const f of FORMS) {
    if (!f.plusReg) continue;
    for (let r = 0; r < 8; r++) {
      const k = key(f) + r;
      if (!index[k]) index[k] = [f];
      else if (!index[k].some((g) => !g.plusReg)) throw new Error(`opcode ${k.toString(16)} has two register forms`);
    }
  }
  return index;
})();

/** Whether the opcode's forms are told apart by ModRM.reg. */
export function isGroup(forms: readonly Form[]): boolean {
  return forms[0].reg !== undefined;
}
