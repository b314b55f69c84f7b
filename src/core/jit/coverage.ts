// What the translator leaves to the interpreter, by instruction form: the
// forms compiled code runs through jitStep and those it ends a region at,
// with how often each was handed over (counted by the regions themselves, in
// the core's jitFormCounts table). It is the list of what to compile next,
// and jitStats shows it to the user.

import { JIT_FORM_SLOTS } from '../../core-abi.ts';
import type { Insn } from './forms.ts';

export type Handover = 'step' | 'stop';

export interface HandedOver {
  /** The form as the instruction table names it, with what tells its variants apart (REP, 16-bit operands, a memory operand). */
  form: string;
  how: Handover;
  count: number;
}

// Slot numbers are given in the order forms are first compiled, for the whole
// process (every core's table is read with the same numbering); the last slot
// collects whatever comes after the table is full.
const slots = new Map<string, number>();
const keys: string[] = [];
const OTHER = JIT_FORM_SLOTS - 1;

/** The name a handed-over instruction is counted under. */
export function formName(ins: Insn): string {
  const d = ins.d;
  if (!d.form) return d.invalid ? `invalid (${d.invalid})` : 'undecodable';
  const rep = d.rep === 0xf3 ? 'REP ' : d.rep === 0xf2 ? 'REPNE ' : '';
  const o16 = d.op16 ? ' o16' : '';
  const mem = d.modrm && d.modrm.mod !== 3 ? ' mem' : '';
  return `${rep}${d.form.id}${o16}${mem}`;
}

/** The counter slot of `ins` handed over `how`. */
export function formSlot(ins: Insn, how: Handover): number {
  const key = `${how}:${formName(ins)}`;
  let slot = slots.get(key);
  if (slot === undefined) {
    if (keys.length >= OTHER) return OTHER;
    slot = keys.push(key) - 1;
    slots.set(key, slot);
  }
  return slot;
}

/** The `top` forms handed over most often, from the counts at `base` in the core's memory. */
export function handedOver(memory: WebAssembly.Memory, base: number, top = 20): HandedOver[] {
  const counts = new Uint32Array(memory.buffer, base, JIT_FORM_SLOTS);
  const out: HandedOver[] = [];
  keys.forEach((key, slot) => {
    const count = counts[slot];
    if (count === 0) return;
    const colon = key.indexOf(':');
    out.push({ how: key.slice(0, colon) as Handover, form: key.slice(colon + 1), count });
  });
  if (counts[OTHER] !== 0) out.push({ how: 'step', form: '(forms past the table)', count: counts[OTHER] });
  return out.sort((a, b) => b.count - a.count).slice(0, top);
}
