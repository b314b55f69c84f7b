// Compares a glassbox result with the host's and says how they differ, in
// terms a person debugging the core can act on: registers by name, EFLAGS
// bits by name, exceptions by mnemonic.

import { EXCEPTION_MNEMONICS } from '../../src/inspect/names.ts';
import { type Case, type Result, CODE_ADDR } from './case.ts';

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const FLAG_NAMES: [number, string][] = [
  [0x1, 'CF'],
  [0x4, 'PF'],
  [0x10, 'AF'],
  [0x40, 'ZF'],
  [0x80, 'SF'],
  [0x100, 'TF'],
  [0x200, 'IF'],
  [0x400, 'DF'],
  [0x800, 'OF'],
  [0x3000, 'IOPL'],
  [0x4000, 'NT'],
  [0x10000, 'RF'],
  [0x20000, 'VM'],
  [0x40000, 'AC'],
  [0x80000, 'VIF'],
  [0x100000, 'VIP'],
  [0x200000, 'ID'],
];
export const TIMEOUT = 0xfffffffe;
export const REFUSED = 0xffffffff;
export const BAD_CASE = 0xfffffffd;

export const hex = (v: number, digits = 0): string => '0x' + (v >>> 0).toString(16).padStart(digits, '0');

export function flagNames(bits: number): string {
  return (
    FLAG_NAMES.filter(([b]) => bits & b)
      .map(([, n]) => n)
      .join(' ') || '-'
  );
}

const VECTORS: Record<number, string> = { ...EXCEPTION_MNEMONICS, 3: '#BP (the INT3 after the instruction)' };

export function vectorName(v: number): string {
  if (v === TIMEOUT) return 'no end (endless loop)';
  if (v === REFUSED) return 'refused (a system call)';
  if (v === BAD_CASE) return 'not run (a preset outside the case pages)';
  return VECTORS[v] ?? `vector ${v}`;
}

/**
 * The differences between two outcomes, one line each; empty when they agree.
 * `names` says what the two sides are (glassbox and the host, by default).
 */
export function differences(glassbox: Result, native: Result, ignoreFlags: number, names: [string, string] = ['glassbox', 'host']): string[] {
  const d: string[] = [];
  const [gn, nn] = names;
  const pair = (what: string, g: string, n: string) => d.push(`${what}: ${gn} ${g}, ${nn} ${n}`);
  if (glassbox.vector !== native.vector) pair('ended by', vectorName(glassbox.vector), vectorName(native.vector));
  // An endless loop stops at an arbitrary point on each side: nothing else is comparable.
  if (native.vector === TIMEOUT && glassbox.vector === TIMEOUT) return d;
  REGS.forEach((name, i) => {
    if (glassbox.regs[i] !== native.regs[i]) pair(name, hex(glassbox.regs[i], 8), hex(native.regs[i], 8));
  });
  if (glassbox.eip !== native.eip) pair('eip', hex(glassbox.eip, 8), hex(native.eip, 8));
  const flags = (glassbox.eflags ^ native.eflags) & ~ignoreFlags;
  if (flags) {
    const set = (r: Result) => `${hex(r.eflags, 8)} [${flagNames(r.eflags & flags)}]`;
    d.push(`eflags differ in ${flagNames(flags)}: ${gn} ${set(glassbox)}, ${nn} ${set(native)} (shown: which of those are set)`);
  }
  // The host runs with NX enabled, so its #PF error codes carry the I/D bit
  // (bit 4) on instruction fetches; a P6 without PAE never reports it (SDM
  // vol. 3, 4.7). Every other bit of the error code is compared.
  const codeMask = native.vector === 14 ? ~0x10 : ~0;
  if ((glassbox.errorCode & codeMask) !== (native.errorCode & codeMask)) pair('error code', hex(glassbox.errorCode), hex(native.errorCode));
  if (glassbox.faultAddr !== native.faultAddr) pair('fault address', hex(glassbox.faultAddr, 8), hex(native.faultAddr, 8));
  SEGS.forEach((name, i) => {
    if (glassbox.segs[i] !== native.segs[i]) pair(name, hex(glassbox.segs[i], 4), hex(native.segs[i], 4));
  });
  if (glassbox.memHash[0] !== native.memHash[0] || glassbox.memHash[1] !== native.memHash[1]) {
    d.push('memory: the data or stack pages differ afterwards');
  }
  return d;
}

// src/isa/disasm.ts: disassemble(bytes, offset, { bits, address }) -> { text, length }.
type Disassemble = (code: Uint8Array, offset: number, opts: { bits: 16 | 32; address?: number }) => unknown;
let disassembler: Promise<Disassemble | null> | undefined;

/**
 * The disassembler of src/isa if there is one (it is written separately and
 * may not exist yet): any module there exporting `disassemble`.
 */
export function loadDisassembler(): Promise<Disassemble | null> {
  disassembler ??= (async () => {
    for (const name of ['disasm.ts', 'disassemble.ts', 'disassembler.ts', 'index.ts']) {
      try {
        const m = (await import(/* @vite-ignore */ new URL(`../../src/isa/${name}`, import.meta.url).href)) as Record<string, unknown>;
        const f = m.disassemble ?? m.disasm;
        if (typeof f === 'function') return f as Disassemble;
      } catch {
        // not written yet
      }
    }
    return null;
  })();
  return disassembler;
}

function asText(d: unknown): string {
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return d.map(asText).join('; ');
  if (d && typeof d === 'object' && 'text' in d) return String((d as { text: unknown }).text);
  return String(d);
}

/** The case's starting state, one line each, with the instruction disassembled when possible. */
export async function describeCase(c: Case): Promise<string[]> {
  const bytes = Array.from(c.code, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const dis = await loadDisassembler();
  let text = '';
  if (dis) {
    try {
      text = `   ${asText(dis(c.code, 0, { bits: 32, address: CODE_ADDR }))}`;
    } catch (e) {
      text = `   (disassembler failed: ${(e as Error).message})`;
    }
  }
  const lines = [`code ${bytes}${text}`];
  lines.push(REGS.map((r, i) => `${r}=${hex(c.regs[i], 8)}`).join(' '));
  lines.push(`eflags=${hex(c.eflags, 8)} [${flagNames(c.eflags & 0x200cd5)}] seed=${hex(c.seed, 8)}`);
  for (const p of c.presets) lines.push(`preset [${hex(p.addr, 8)}] = ${hex(p.value, 8)}`);
  return lines;
}

/** Memory changed by one side, as "address: before -> after" per u32 word. */
export type MemoryChanges = Map<number, { before: number; after: number }>;

export function parseChanges(lines: string[]): MemoryChanges {
  const m: MemoryChanges = new Map();
  for (const l of lines) {
    const x = /^([0-9a-f]+): ([0-9a-f]+) -> ([0-9a-f]+)$/.exec(l.trim());
    if (x) m.set(parseInt(x[1], 16), { before: parseInt(x[2], 16), after: parseInt(x[3], 16) });
  }
  return m;
}

/** The words where the two sides' memory ends up different. */
export function memoryDifferences(glassbox: MemoryChanges, native: MemoryChanges): string[] {
  const addrs = [...new Set([...glassbox.keys(), ...native.keys()])].sort((a, b) => a - b);
  const out: string[] = [];
  for (const a of addrs) {
    const g = glassbox.get(a),
      n = native.get(a);
    const before = (g ?? n)!.before;
    const ga = g ? g.after : before,
      na = n ? n.after : before;
    if (ga !== na) out.push(`[${hex(a, 8)}] was ${hex(before, 8)}: glassbox ${hex(ga, 8)}, host ${hex(na, 8)}`);
  }
  return out;
}
