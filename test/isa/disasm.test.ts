// The disassembler (and so the decoder's lengths and the form table) against
// GNU objdump, which is the oracle here: random encodings of every form, and
// random byte soup, are disassembled by both, and the lengths and mnemonics
// must agree. Each instruction sits in its own slot followed by NOPs so that
// objdump resynchronises even when the two disagree on a length.
//
// Where objdump spells a mnemonic differently, `normalise` maps both sides to
// one name; where it decodes an encoding as something else on purpose (a
// later ISA than the P6), `KNOWN` says why, and only the length is compared.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../src/isa/disasm.ts';
import { FORMS } from '../../src/isa/table.ts';
import type { Form } from '../../src/isa/types.ts';
import { Rng } from '../support/rng.ts';

const SLOT = 32;

interface ObjdumpLine {
  length: number;
  mnemonic: string;
  text: string;
}

/** objdump's view of the instruction at the start of each slot. */
function objdump(slots: Uint8Array[], bits: 16 | 32): ObjdumpLine[] {
  const image = new Uint8Array(slots.length * SLOT).fill(0x90);
  slots.forEach((s, i) => image.set(s, i * SLOT));
  const dir = mkdtempSync(join(tmpdir(), 'isa-disasm-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, image);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', bits === 16 ? 'i8086' : 'i386', '-M', 'intel', '--insn-width=16', file], {
      maxBuffer: 1 << 28,
      encoding: 'utf8',
    });
    const byAddr = new Map<number, ObjdumpLine>();
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+)\t?(.*)$/.exec(line);
      if (!m) continue;
      const addr = parseInt(m[1], 16);
      if (addr % SLOT) continue;
      const text = m[3].trim().replace(/\s+/g, ' ');
      byAddr.set(addr, { length: m[2].trim().split(' ').length, mnemonic: mnemonicOf(text), text });
    }
    return slots.map((_, i) => byAddr.get(i * SLOT)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prefix words both sides may print before the mnemonic. */
const PREFIX_WORDS = new Set([
  'lock',
  'rep',
  'repe',
  'repz',
  'repne',
  'repnz',
  'addr16',
  'addr32',
  'data16',
  'data32',
  'a16',
  'a32',
  'o16',
  'o32',
  'es',
  'cs',
  'ss',
  'ds',
  'fs',
  'gs',
  'bnd',
  'notrack',
  'xacquire',
  'xrelease',
]);

function mnemonicOf(text: string): string {
  const words = text.split(' ');
  while (words.length > 1 && PREFIX_WORDS.has(words[0])) words.shift();
  return words[0];
}

/** One spelling for names that differ only by convention. */
function normalise(m: string, form: Form): string {
  if (form.category === 'string') return m.replace(/^(movs|cmps|stos|lods|scas|ins|outs)[bwd]?$/, '$1');
  if (form.id === 'NOP') return 'nop'; // 66 90 is "xchg ax,ax" to objdump, F3 90 "pause"
  m = m.replace(/^(j|set|cmov|loop)(n?)e$/, '$1$2z'); // objdump: je/jne, sete, loope; here: jz/jnz...
  m = m.replace(/^sal$/, 'shl');
  m = m.replace(/^fwait$/, 'wait');
  // Operand-size suffixes objdump adds (iretw, retfw, pushaw, callw, lgdtd...) and the SDM's d/w names.
  m = m.replace(/^(pusha|popa|pushf|popf|iret|retf|ret|call|jmp|push|pop|lgdt|lidt|sgdt|sidt|enter|leave)[wdl]?$/, '$1');
  return m;
}

/**
 * Encodings objdump reads as a later ISA than the P6. 'length' compares only
 * the length; 'skip' compares nothing.
 * - 0F 18-1E are hint NOPs on the P6; objdump knows them as PREFETCHh (SSE),
 *   MPX bound instructions and CET's ENDBR/RDSSP; MPX has no 16-bit
 *   addressing, and objdump then stops after the ModRM.
 * - D6 (SALC) is undocumented, so objdump prints "(bad)" for it.
 * - 66/F2/F3 before 0F 09 (WBINVD) are mandatory prefixes to objdump (F3 0F 09
 *   is WBNOINVD on recent CPUs); the P6 ignores them.
 * - x87 escapes have no operand detail here yet.
 * - objdump knows the fences only as 0F AE E8/F0/F8 and reads 66 0F AE /6 as
 *   TPAUSE, 66 0F AE /7 as CLFLUSHOPT; the Pentium 4 runs any r/m as the
 *   fence and ignores 66.
 * 'mnemonic' compares the length and the mnemonic but not the operands.
 */
function knownDifference(form: Form, bytes: Uint8Array, bits: 16 | 32): 'length' | 'mnemonic' | 'skip' | null {
  const prefixes = Array.from(bytes.slice(0, bytes.indexOf(form.opcode[0])));
  if (form.id.startsWith('NOP Ev (0F')) {
    const ad16 = (bits === 16) !== prefixes.includes(0x67);
    return ad16 && (form.opcode[1] === 0x1a || form.opcode[1] === 0x1b) ? 'skip' : 'length';
  }
  if (form.id === 'WBINVD' && prefixes.some((p) => p === 0x66 || p === 0xf2 || p === 0xf3)) return 'length';
  if (form.id === 'SALC' || form.category === 'x87') return 'length';
  if (/^[LMS]FENCE$/.test(form.id) && ((bytes[prefixes.length + 2] & 7) !== 0 || prefixes.includes(0x66))) return 'skip';
  if (form.id === 'CLFLUSH Mb' && prefixes.includes(0x66)) return 'length';
  // 3E before an indirect CALL/JMP is CET's NOTRACK to objdump, which then drops the segment it names.
  if ((form.id === 'CALL Ev' || form.id === 'JMP Ev') && prefixes.includes(0x3e)) return 'mnemonic';
  return null;
}

/** A random encoding of `form`: legal prefixes, the opcode, a ModRM fit for the form, then random bytes. */
function encode(form: Form, r: Rng): number[] {
  const bytes: number[] = [];
  // An SSE form's mandatory prefix comes last; a stray 66 would pick another form.
  const pool = [...(form.prefix ? [] : [0x66]), 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
  if (form.lock) pool.push(0xf0);
  if (form.rep) pool.push(0xf2, 0xf3);
  const n = r.below(4) === 0 ? r.below(4) : 0;
  for (let i = 0; i < n; i++) bytes.push(pool[r.below(pool.length)]);
  if (typeof form.prefix === 'number') bytes.push(form.prefix);
  bytes.push(...form.opcode);
  if (form.plusReg) bytes[bytes.length - 1] += form.id === 'XCHG Zv,eAX' ? 1 + r.below(7) : r.below(8);
  if (form.modrm) {
    let mod = r.below(4);
    if (form.mod === 'mem' && mod === 3) mod = r.below(3);
    if (form.mod === 'reg') mod = 3;
    let reg = form.reg ?? r.below(8);
    if (form.id === 'MOV Sw,Ew') reg = [0, 2, 3, 4, 5][r.below(5)];
    if (form.id === 'MOV Ev,Sw') reg = r.below(6);
    bytes.push((mod << 6) | (reg << 3) | r.below(8));
  }
  for (let i = 0; i < 10; i++) bytes.push(r.below(256));
  return bytes;
}

/** Operands in one spelling: objdump's "DWORD PTR fs:[eax+eiz*1]" and ours "dword [fs:eax]" meet as "dword [fs:eax]". */
function operandsOf(text: string): string {
  const words = text.split(' ');
  while (words.length > 1 && PREFIX_WORDS.has(words[0])) words.shift();
  return words
    .slice(1)
    .join(' ')
    .toLowerCase()
    .replace(/ ptr/g, '')
    .replace(/xmmword/g, 'oword')
    .replace(/(es|cs|ss|ds|fs|gs):\[/g, '[$1:')
    .replace(/(?<!\[)(es|cs|ss|ds|fs|gs):(0x[0-9a-f]+)/g, '[$1:$2]')
    .replace(/\[ds:/g, '[')
    .replace(/\+?eiz\*\d\+?/g, (m) => (m.startsWith('+') && m.endsWith('+') ? '+' : ''))
    .replace(/\[((?:[a-z]s:)?)-0x([0-9a-f]+)\]/g, (_, seg, h) => `[${seg}0x${(-parseInt(h, 16) >>> 0).toString(16)}]`) // lone SIB displacement
    .replace(/\*1\b/g, '')
    .replace(/\+0x0\]/g, ']')
    .replace(/, /g, ',');
}

/** Our operands, without the size objdump leaves out where the register operand implies it (moffs forms). */
function ours(text: string, form: Form): string {
  const o = operandsOf(text);
  return form.operands.some((x) => x[0] === 'O') ? o.replace(/(byte|word|dword) /, '') : o;
}

/** objdump does not cut a branch target to 16 bits under a 16-bit operand size; the CPU does (SDM Jcc: EIP AND 0000FFFFH). */
function jumpWrapped(operands: string, form: Form, bytes: Uint8Array, bits: 16 | 32): string {
  const prefixes = Array.from(bytes.slice(0, bytes.indexOf(form.opcode[0])));
  const op16 = (bits === 16) !== prefixes.includes(0x66);
  if (!op16 || !form.operands.some((o) => o[0] === 'J')) return operands;
  return operands.replace(/^0x([0-9a-f]+)$/, (_, h) => '0x' + (parseInt(h, 16) & 0xffff).toString(16));
}

function compare(slots: Uint8Array[], forms: (Form | null)[], bits: 16 | 32, operands = false): string[] {
  const theirs = objdump(slots, bits);
  const problems: string[] = [];
  slots.forEach((s, i) => {
    const mine = disassemble(s, 0, { bits, address: i * SLOT, explicit: true });
    const form = forms[i] ?? FORMS.find((f) => f.id === mine.form)!;
    const o = theirs[i];
    const hexBytes = Array.from(s, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const where = `${hexBytes}: mine "${mine.text}" (${mine.length}, ${mine.form}) vs objdump "${o.text}" (${o.length})`;
    const known = knownDifference(form, s, bits);
    if (known === 'skip') return;
    if (mine.length !== o.length) problems.push(`length ${where}`);
    else if ((!known || known === 'mnemonic') && normalise(mnemonicOf(mine.text), form) !== normalise(o.mnemonic, form)) {
      problems.push(`mnemonic ${where}`);
    } else if (operands && !known && form.id !== 'NOP' && ours(mine.text, form) !== jumpWrapped(operandsOf(o.text), form, s, bits)) {
      problems.push(`operands ${where}`);
    }
  });
  return problems;
}

/** Cut each encoding to the length the table decodes, so the slot holds exactly one instruction. */
function slotsFor(encodings: number[][], bits: 16 | 32, keep: (d: ReturnType<typeof disassemble>) => boolean) {
  const slots: Uint8Array[] = [];
  const forms: (Form | null)[] = [];
  for (const e of encodings) {
    const bytes = new Uint8Array(e);
    const d = disassemble(bytes, 0, { bits });
    if (!keep(d)) continue;
    slots.push(bytes.slice(0, d.length));
    forms.push(FORMS.find((f) => f.id === d.form) ?? null);
  }
  return { slots, forms };
}

describe('disassembler against objdump', () => {
  for (const bits of [32, 16] as const) {
    it(`agrees on every form's length, mnemonic and operands (${bits}-bit code)`, () => {
      const r = new Rng(bits);
      const encodings: number[][] = [];
      for (const f of FORMS) for (let k = 0; k < 40; k++) encodings.push(encode(f, r));
      // Invalid encodings (LOCK misuse, register operands of memory-only forms) decode to
      // something in objdump too; only instructions the table says run are compared.
      const { slots, forms } = slotsFor(encodings, bits, (d) => d.form !== null && !d.invalid);
      expect(slots.length).toBeGreaterThan(FORMS.length * 30);
      const problems = compare(slots, forms, bits, true);
      expect(problems.slice(0, 30)).toEqual([]);
    });
  }

  it('agrees on random byte soup wherever the table finds a valid form', () => {
    const r = new Rng(99);
    const encodings: number[][] = [];
    for (let i = 0; i < 20000; i++) encodings.push(Array.from({ length: 16 }, () => r.below(256)));
    const { slots, forms } = slotsFor(encodings, 32, (d) => d.form !== null && !d.invalid);
    expect(slots.length).toBeGreaterThan(10000);
    expect(compare(slots, forms, 32, true).slice(0, 30)).toEqual([]);
  });
});

describe('disassembler output', () => {
  // Spot checks of the output format (the NASM-like spelling is ours; objdump
  // above checks what it means). Bytes come from objdump's own listing of them.
  const cases: [number[], string][] = [
    [[0x01, 0x44, 0xb3, 0x10], 'add dword [ebx+esi*4+0x10], eax'],
    [[0xf3, 0xa4], 'rep movsb'],
    [[0x75, 0x10], 'jnz 0x7012'],
    [[0x64, 0x8b, 0x45, 0xf8], 'mov eax, dword [fs:ebp-0x8]'],
    [[0x67, 0x8b, 0x40, 0x02], 'mov eax, dword [bx+si+0x2]'],
    [[0xf0, 0x0f, 0xc1, 0x03], 'lock xadd dword [ebx], eax'],
  ];
  for (const [bytes, text] of cases) {
    it(text, () => expect(disassemble(new Uint8Array(bytes), 0, { bits: 32, address: 0x7000 }).text).toBe(text));
  }

  it('refuses an instruction longer than 15 bytes', () => {
    const bytes = new Uint8Array([...Array(14).fill(0x3e), 0x8b, 0x00]);
    const d = disassemble(bytes, 0, { bits: 32 });
    expect(d.invalid).toBe(true);
    expect(d.length).toBe(15);
  });

  it('marks LOCK on a register destination, and on a non-lockable form, as #UD', () => {
    expect(disassemble(new Uint8Array([0xf0, 0x01, 0xc0]), 0, { bits: 32 }).invalid).toBe(true);
    expect(disassemble(new Uint8Array([0xf0, 0x89, 0x00]), 0, { bits: 32 }).invalid).toBe(true);
    expect(disassemble(new Uint8Array([0xf0, 0x01, 0x00]), 0, { bits: 32 }).invalid).toBeUndefined();
  });
});
