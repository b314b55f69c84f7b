// Intel-syntax disassembly driven by the form table: decode.ts finds the form
// and the operand bytes, this file only spells them. Output follows NASM
// conventions (`dword [ebx+esi*4+0x10]`, `rep movsb`, `a16`/`o16` where a
// size prefix changes an instruction that has no operand to show it).

import { decode, type Decoded, type Modrm } from './decode.ts';
import type { Operand } from './types.ts';

export interface Disassembly {
  length: number;
  text: string;
  form: string | null; // the form id, or null when no form matches
  invalid?: boolean; // #UD (or #GP for over-long) when executed
}

export interface DisasmOptions {
  bits: 16 | 32;
  /** Linear address (EIP) of bytes[offset], for relative branch targets; defaults to `offset`. */
  address?: number;
  /** Spell out the implicit memory operands of string instructions and XLAT (`movs byte [es:edi], byte [esi]`). */
  explicit?: boolean;
}

const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const SIZE_NAMES: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword', 6: 'fword', 8: 'qword', 16: 'oword' };

/**
 * Opcodes whose Ew operand is a selector or MSW: the CPU uses 16 bits of a
 * register, but a register operand is spelled at the operand size, as
 * assemblers write it (`mov ds, eax`, `str eax` zero-extends on the P6).
 */
const CMP_PREDICATES = ['eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord'];
const SELECTOR_OPERAND = new Set(['MOV Sw,Ew', 'SLDT Ew', 'STR Ew', 'SMSW Ew', 'LAR Gv,Ew', 'LSL Gv,Ew']);

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);
const signedHex = (v: number): string => (v < 0 ? '-' + hex(-v) : '+' + hex(v));

function address(m: Modrm, ad16: boolean): string {
  const regs = ad16 ? R16 : R32;
  const parts: string[] = [];
  if (m.base >= 0) parts.push(regs[m.base]);
  if (m.index >= 0) parts.push(regs[m.index] + (m.scale ? `*${1 << m.scale}` : ''));
  if (!parts.length) return hex(m.disp);
  return parts.join('+') + (m.disp ? signedHex(m.disp) : '');
}

/** The memory-operand width in bytes for an operand letter, or 0 when it has none to print. */
function memorySize(o: Operand, d: Decoded): number {
  const v = d.op16 ? 2 : 4;
  switch (o) {
    case 'Eb':
    case 'Mb':
    case 'Ob':
    case 'Xb':
    case 'Yb':
      return 1;
    case 'Ew':
    case 'Mw':
      return 2;
    case 'Ed':
      return d.form?.mnemonic === 'pinsrw' ? 2 : 4; // PINSRW takes a 32-bit register or 16 bits of memory
    case 'Md':
    case 'Wd':
      return 4;
    case 'Wq':
    case 'Qq':
      return 8;
    case 'Qd':
      return 4;
    case 'Wx':
      return 16;
    case 'Mx':
      return d.form?.mnemonic === 'lddqu' ? 0 : 16; // objdump names no size for LDDQU's operand
    case 'Ev':
    case 'Ov':
    case 'Xv':
    case 'Yv':
      return d.opcode === 0x8c ? 2 : v; // MOV Ev,Sw stores 16 bits
    case 'Ma':
      return 2 * v;
    case 'Mp':
      return v + 2;
    case 'Mq':
      return 8;
    default:
      return 0; // M, Ms
  }
}

function register(o: Operand, n: number, d: Decoded): string {
  const last = o[o.length - 1];
  if (last === 'b') return R8[n];
  if (last === 'w') return R16[n];
  if (last === 'd') return R32[n];
  return d.op16 ? R16[n] : R32[n];
}

function memory(o: Operand, d: Decoded, where: string, seg: number): string {
  const size = memorySize(o, d);
  const segText = seg >= 0 ? `${SEGS[seg]}:` : '';
  return `${size ? SIZE_NAMES[size] + ' ' : ''}[${segText}${where}]`;
}

function operandText(o: Operand, d: Decoded, imms: number[], next: number): string {
  const m = d.modrm;
  const op16 = d.op16;
  switch (o) {
    case 'Eb':
    case 'Ew':
    case 'Ev':
    case 'Ed':
    case 'M':
    case 'Mb':
    case 'Mw':
    case 'Md':
    case 'Ma':
    case 'Mp':
    case 'Mq':
    case 'Mx':
    case 'Ms':
    case 'Rd':
      if (m!.mod === 3) return register(o === 'Ew' && SELECTOR_OPERAND.has(d.form!.id) ? 'Ev' : o, m!.rm, d);
      return memory(o, d, address(m!, d.ad16), d.seg);
    case 'Gb':
    case 'Gw':
    case 'Gv':
    case 'Gd':
      return register(o, m!.reg, d);
    case 'Vx':
      return `xmm${m!.reg}`;
    case 'Ux':
      return `xmm${m!.rm}`;
    case 'Pq':
      return `mm${m!.reg}`;
    case 'Nq':
      return `mm${m!.rm}`;
    case 'Qq':
    case 'Qd':
      return m!.mod === 3 ? `mm${m!.rm}` : memory(o, d, address(m!, d.ad16), d.seg);
    case 'Wx':
    case 'Wd':
    case 'Wq':
      return m!.mod === 3 ? `xmm${m!.rm}` : memory(o, d, address(m!, d.ad16), d.seg);
    case 'Sw':
      return SEGS[m!.reg] ?? `seg${m!.reg}`;
    case 'Cd':
      return `cr${m!.reg}`;
    case 'Dd':
      return `dr${m!.reg}`;
    case 'Zb':
    case 'Zv':
      return register(o, d.opcodeLow3, d);
    case 'Ib':
    case 'Iw':
    case 'Iz':
    case 'Iv':
      return hex(imms.shift()!);
    case 'Ibs': {
      const v = (imms.shift()! << 24) >> 24;
      return hex(op16 ? v & 0xffff : v);
    }
    case 'Jb':
    case 'Jz': {
      const n = o === 'Jb' ? 1 : op16 ? 2 : 4;
      const raw = imms.shift()!;
      const disp = n === 4 ? raw | 0 : (raw << (32 - 8 * n)) >> (32 - 8 * n);
      const target = next + disp;
      return hex(op16 ? target & 0xffff : target);
    }
    case 'Ap': {
      const off = imms.shift()!;
      return `${hex(imms.shift()!)}:${hex(off)}`;
    }
    case 'Ob':
    case 'Ov':
      return memory(o, d, hex(imms.shift()!), d.seg);
    case 'Xb':
    case 'Xv':
      return memory(o, d, d.ad16 ? 'si' : 'esi', d.seg >= 0 ? d.seg : 3);
    case 'Yb':
    case 'Yv':
      return memory(o, d, d.ad16 ? 'di' : 'edi', 0);
    case 'AL':
      return 'al';
    case 'CL':
      return 'cl';
    case 'DX':
      return 'dx';
    case 'eAX':
      return op16 ? 'ax' : 'eax';
    case '1':
      return '1';
    default:
      return o.toLowerCase(); // segment registers
  }
}

/** Disassembles the one instruction at `offset`. */
export function disassemble(bytes: Uint8Array, offset = 0, opts: DisasmOptions = { bits: 32 }): Disassembly {
  const bits = opts.bits ?? 32;
  const d = decode(bytes, offset, bits);
  const f = d.form;
  if (!f || d.invalid === 'truncated' || d.invalid === 'length' || d.invalid === 'opcode') {
    const why = d.invalid === 'length' ? 'longer than 15 bytes' : d.invalid === 'truncated' ? 'truncated' : 'undefined opcode';
    return { length: Math.max(1, d.length), text: `(bad: ${why})`, form: f && d.invalid !== 'opcode' ? f.id : null, invalid: true };
  }
  const next = (opts.address ?? offset) + d.length;
  let name = f.mnemonic;
  if (f.sized) name = f.sized.names[(f.sized.by === 'operand' ? d.op16 : d.ad16) ? 0 : 1];
  const words: string[] = [];
  if (d.lock) words.push('lock');
  if (f.rep && d.rep) words.push(f.rep === 'repcc' ? (d.rep === 0xf3 ? 'repe' : 'repne') : d.rep === 0xf3 ? 'rep' : 'repne');
  if (f.id === 'NOP' && d.rep === 0xf3) name = 'pause';
  let operands: string[];
  if (opts.explicit && (f.category === 'string' || f.id === 'XLAT')) {
    name = name.replace(/^(movs|cmps|stos|lods|scas|ins|outs)[bwd]$/, '$1');
    operands = f.id === 'XLAT' ? [memory('Eb', d, d.ad16 ? 'bx' : 'ebx', d.seg)] : f.operands.map((o) => operandText(o, d, [], next));
  } else if (f.category === 'string') {
    // The bare mnemonic says it all unless a prefix moved the operands.
    if (d.seg >= 0 && d.seg !== 3 && f.operands.some((o) => o[0] === 'X')) words.push(SEGS[d.seg]);
    if (d.ad16 !== (bits === 16)) words.push(d.ad16 ? 'a16' : 'a32');
    operands = [];
  } else if (f.category === 'x87') {
    const m = d.modrm!;
    operands = [hex(f.opcode[0]), `/${m.reg}`, m.mod === 3 ? `st(${m.rm})` : operandText('M', d, [], next)];
  } else {
    const imms = [...d.imms];
    operands = f.operands.map((o) => operandText(o, d, imms, next));
    if (f.id === 'XLAT' && d.seg >= 0 && d.seg !== 3) words.push(SEGS[d.seg]);
    if ((f.id.startsWith('LOOP') || (f.category === 'stack' && !f.operands.length && !f.sized)) && d.ad16 !== (bits === 16)) {
      words.push(d.ad16 ? 'a16' : 'a32');
    }
    // Far pointers and returns whose width the operands do not show.
    if (
      (f.operands[0] === 'Ap' || f.operands[0] === 'Jz' || /^(PUSH|POP) [ECSDFG]S$/.test(f.id) || f.id.startsWith('PUSH I') || f.id.startsWith('RET ') || f.id === 'RET') &&
      d.op16 !== (bits === 16)
    ) {
      words.push(d.op16 ? 'o16' : 'o32');
    }
  }
  // CMPPS/PD/SS/SD with a predicate 0-7 print as its pseudo-op (cmpltps xmm1, xmm2), as assemblers write them.
  if (f.prefix !== undefined && f.mnemonic.startsWith('cmp') && d.imms[0] < 8) {
    name = `cmp${CMP_PREDICATES[d.imms[0]]}${f.mnemonic.slice(3)}`;
    operands.pop();
  }
  words.push(name);
  const text = words.join(' ') + (operands.length ? ' ' + operands.join(', ') : '');
  const out: Disassembly = { length: d.length, text, form: f.id };
  if (d.invalid || f.undefinedOpcode || segmentRegisterInvalid(d)) out.invalid = true;
  return out;
}

/** MOV to or from a segment register that does not exist, or a MOV to CS: #UD. */
function segmentRegisterInvalid(d: Decoded): boolean {
  if (d.opcode !== 0x8c && d.opcode !== 0x8e) return false;
  const reg = d.modrm!.reg;
  return reg > 5 || (d.opcode === 0x8e && reg === 1);
}

/** Disassembles a run of instructions, one per line, with addresses. */
export function disassembleAll(bytes: Uint8Array, opts: DisasmOptions = { bits: 32 }): Disassembly[] {
  const out: Disassembly[] = [];
  for (let at = 0; at < bytes.length; ) {
    const d = disassemble(bytes, at, { ...opts, address: (opts.address ?? 0) + at });
    out.push(d);
    at += d.length;
  }
  return out;
}
