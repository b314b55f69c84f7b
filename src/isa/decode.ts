// Splits one instruction into prefixes, opcode, ModRM/SIB, displacement and
// immediates using the form table, so lengths and validity come from the
// same declarations the interpreter will be generated from.

import { OPCODE_INDEX, isGroup } from './table.ts';
import type { Form, Operand } from './types.ts';

/** The architectural limit: a longer instruction raises #GP(0). */
export const MAX_LENGTH = 15;

export const SEGMENT_PREFIXES: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 }; // ES CS SS DS FS GS

export interface Modrm {
  mod: number;
  reg: number;
  rm: number;
  /** Memory operand (mod != 3): base/index register numbers or -1, scale shift, signed displacement. */
  base: number;
  index: number;
  scale: number;
  disp: number;
  /** The segment the address uses when there is no override (SS for EBP/ESP bases, BP in 16-bit). */
  defaultSeg: number;
}

export interface Decoded {
  length: number;
  form: Form | null;
  /** Why there is no form (or the form cannot execute): 'opcode', 'mod', 'lock', 'length', 'truncated'. */
  invalid?: 'opcode' | 'mod' | 'lock' | 'length' | 'truncated';
  prefixes: number[];
  op16: boolean;
  ad16: boolean;
  seg: number; // segment override 0-5, or -1
  lock: boolean;
  rep: 0 | 0xf2 | 0xf3; // the last of F2/F3
  opcode: number; // 0-255, or 0x100 + b for 0F b
  opcodeLow3: number; // for Z operands
  modrm: Modrm | null;
  /** Immediate values in operand order (unsigned, at their encoded width; Ap gives offset then selector). */
  imms: number[];
  immOffset: number; // where the first immediate starts, from the instruction start
}

/** Bytes an immediate-like operand occupies. */
export function operandBytes(op: Operand, op16: boolean, ad16: boolean): number {
  switch (op) {
    case 'Ib':
    case 'Ibs':
    case 'Jb':
      return 1;
    case 'Iw':
      return 2;
    case 'Iz':
    case 'Iv':
    case 'Jz':
      return op16 ? 2 : 4;
    case 'Ap':
      return op16 ? 4 : 6;
    case 'Ob':
    case 'Ov':
      return ad16 ? 2 : 4;
    default:
      return 0;
  }
}

const BX = 3,
  BP = 5,
  SI = 6,
  DI = 7,
  SS = 2,
  DS = 3;
const MODRM16: [number, number][] = [
  [BX, SI],
  [BX, DI],
  [BP, SI],
  [BP, DI],
  [SI, -1],
  [DI, -1],
  [BP, -1],
  [BX, -1],
];

function u(bytes: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
  return v;
}

function signed(v: number, n: number): number {
  const bits = n * 8;
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

/** `d` found invalid (`why`) with decoding at `p` of the instruction at `offset` (the length is what was read, up to `end`). */
function invalid(d: Decoded, why: NonNullable<Decoded['invalid']>, offset: number, p: number, end: number): Decoded {
  d.invalid = why;
  d.length = Math.min(p, end) - offset;
  return d;
}

/** Decodes the instruction at `offset`; never reads past the end of `bytes`. (No closure per call: tsx wraps each one it creates to name it, and the translator decodes every instruction of a hot page.) */
export function decode(bytes: Uint8Array, offset: number, bits: 16 | 32 = 32): Decoded {
  const d: Decoded = {
    length: 0,
    form: null,
    prefixes: [],
    op16: bits === 16,
    ad16: bits === 16,
    seg: -1,
    lock: false,
    rep: 0,
    opcode: -1,
    opcodeLow3: 0,
    modrm: null,
    imms: [],
    immOffset: 0,
  };
  const end = bytes.length;
  let p = offset;
  // Prefixes: any number, any order, until the 15-byte limit.
  for (;;) {
    if (p >= end) return invalid(d, 'truncated', offset, p, end);
    const b = bytes[p];
    if (b in SEGMENT_PREFIXES) d.seg = SEGMENT_PREFIXES[b];
    else if (b === 0x66) d.op16 = bits !== 16;
    else if (b === 0x67) d.ad16 = bits !== 16;
    else if (b === 0xf0) d.lock = true;
    else if (b === 0xf2 || b === 0xf3) d.rep = b;
    else break;
    d.prefixes.push(b);
    p++;
  }
  let op = bytes[p++];
  if (op === 0x0f) {
    if (p >= end) return invalid(d, 'truncated', offset, p, end);
    op = 0x100 + bytes[p++];
  }
  d.opcode = op;
  d.opcodeLow3 = op & 7;
  const forms = OPCODE_INDEX[op];
  if (!forms) return invalid(d, 'opcode', offset, p, end);
  let form = forms[0];
  if (form.prefix !== undefined) {
    const mandatory = d.rep || (d.prefixes.includes(0x66) ? 0x66 : 'none');
    // Where one prefix has two forms (MOVLPS and MOVHLPS), ModRM.mod tells them apart.
    const mod = p < end ? bytes[p] >> 6 : 0;
    const chosen =
      forms.find((f) => f.prefix === mandatory && (f.mod === undefined || isGroup(forms) || (f.mod === 'mem') === (mod !== 3))) ?? forms.find((f) => f.prefix === mandatory);
    if (!chosen) return invalid(d, 'opcode', offset, p, end);
    form = chosen;
  }
  const needsModrm = form.modrm;
  let mod = 0,
    reg = 0,
    rm = 0;
  if (needsModrm) {
    if (p >= end) return invalid(d, 'truncated', offset, p, end);
    const m = bytes[p++];
    mod = m >> 6;
    reg = (m >> 3) & 7;
    rm = m & 7;
    if (isGroup(forms)) {
      // Group 15 tells CLFLUSH (memory) from SFENCE (register) by mod as well; groups 12-14 (0F 71-73) have MMX and XMM forms by prefix.
      const prefix = form.prefix;
      const fits = (f: Form) => f.prefix === prefix && f.reg === reg && (f.mod === undefined || (f.mod === 'mem') === (mod !== 3));
      const g = forms.find(fits) ?? forms.find((f) => f.prefix === prefix && f.reg === reg);
      if (!g) return invalid(d, 'opcode', offset, p, end);
      form = g;
    }
    // MOV to/from CRn/DRn ignores mod: the operand is always a register.
    const forceReg = op === 0x120 || op === 0x121 || op === 0x122 || op === 0x123;
    const modrm: Modrm = { mod: forceReg ? 3 : mod, reg, rm, base: -1, index: -1, scale: 0, disp: 0, defaultSeg: DS };
    d.modrm = modrm;
    if (modrm.mod !== 3) {
      if (d.ad16) {
        if (mod === 0 && rm === 6) {
          if (p + 2 > end) return invalid(d, 'truncated', offset, p, end);
          modrm.disp = u(bytes, p, 2);
          p += 2;
        } else {
          [modrm.base, modrm.index] = MODRM16[rm];
          if (modrm.base === BP) modrm.defaultSeg = SS;
          const n = mod === 1 ? 1 : mod === 2 ? 2 : 0;
          if (p + n > end) return invalid(d, 'truncated', offset, p, end);
          if (n) modrm.disp = signed(u(bytes, p, n), n);
          p += n;
        }
      } else {
        let base = rm;
        if (rm === 4) {
          if (p >= end) return invalid(d, 'truncated', offset, p, end);
          const sib = bytes[p++];
          modrm.scale = sib >> 6;
          modrm.index = ((sib >> 3) & 7) === 4 ? -1 : (sib >> 3) & 7;
          base = sib & 7;
          if (base === 5 && mod === 0) base = -1;
        } else if (rm === 5 && mod === 0) {
          base = -1;
        }
        modrm.base = base;
        if (base === 4 || base === 5) modrm.defaultSeg = SS;
        const n = base === -1 ? 4 : mod === 1 ? 1 : mod === 2 ? 4 : 0;
        if (p + n > end) return invalid(d, 'truncated', offset, p, end);
        // A lone displacement is an address; next to an index it reads as an offset.
        if (n) modrm.disp = base === -1 && modrm.index === -1 ? u(bytes, p, 4) : signed(u(bytes, p, n), n);
        p += n;
      }
    }
  }
  d.form = form;
  d.immOffset = p - offset;
  for (const o of form.operands) {
    const n = operandBytes(o, d.op16, d.ad16);
    if (!n) continue;
    if (o === 'Ap') {
      const off = d.op16 ? 2 : 4;
      if (p + n > end) return invalid(d, 'truncated', offset, p, end);
      d.imms.push(u(bytes, p, off), u(bytes, p + off, 2));
    } else {
      if (p + n > end) return invalid(d, 'truncated', offset, p, end);
      d.imms.push(u(bytes, p, n));
    }
    p += n;
  }
  d.length = p - offset;
  if (d.length > MAX_LENGTH) {
    d.invalid = 'length';
    d.length = MAX_LENGTH;
    return d;
  }
  if (form.mod === 'mem' && d.modrm && d.modrm.mod === 3) d.invalid = 'mod';
  if (form.mod === 'reg' && form.prefix !== undefined && d.modrm && d.modrm.mod !== 3)
    d.invalid = 'mod'; // MOVMSKPS, PEXTRW...
  else if (d.lock && !(form.lock && d.modrm && d.modrm.mod !== 3)) d.invalid = 'lock';
  return d;
}
