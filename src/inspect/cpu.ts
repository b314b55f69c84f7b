// The CPU view: registers, EFLAGS decoded, mode, CPL, segment caches,
// control/debug/table registers, and the disassembly around EIP read
// through the MMU the way the CPU would fetch it.

import { type Core, SEGMENT_NAMES, REGISTER_NAMES } from '../core/core.ts';
import { disassemble } from '../isa/disasm.ts';
import {
  OFF_DR,
  OFF_GDTR_BASE,
  OFF_GDTR_LIMIT,
  OFF_IDTR_BASE,
  OFF_IDTR_LIMIT,
  CF,
  PF,
  AF,
  ZF,
  SF,
  TF,
  IF,
  DF,
  OF,
  IOPL,
  NT,
  RF,
  VM,
  AC,
  VIF,
  VIP,
  ID,
  CR0_PE,
  CR0_PG,
  ATTR_DB,
  SEG_CS,
} from '../core-abi.ts';

const FLAG_NAMES: [number, string][] = Object.entries({ CF, PF, AF, ZF, SF, TF, IF, DF, OF, NT, RF, VM, AC, VIF, VIP, ID }).map(([n, bit]) => [bit, n]);

export interface SegmentView {
  name: string;
  selector: number;
  base: number;
  limit: number;
  attr: number;
  dpl: number;
  big: boolean;
}

export interface CpuView {
  registers: Record<string, number>;
  eip: number;
  eflags: { value: number; set: string[]; iopl: number };
  mode: 'real' | 'protected' | 'virtual-8086';
  paging: boolean;
  cpl: number;
  halted: boolean;
  segments: SegmentView[];
  cr: { cr0: number; cr2: number; cr3: number; cr4: number };
  dr: number[];
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
  /** Instructions from EIP on, the one at EIP first. */
  code: CodeLine[];
  /**
   * The instructions just before EIP, ending where EIP starts: reconstructed
   * (see instructionsBefore), since the core keeps no history of what ran.
   */
  codeBefore: CodeLine[];
}

export interface CodeLine {
  address: number;
  bytes: string;
  text: string;
}

/** How many bytes before EIP may start the instructions shown before it. */
const BEFORE_WINDOW = 64;

const word = (core: Core, offset: number, i = 0) => core.memory.getUint32(offset + i * 4, true);

/** Bytes as hex digits (no Buffer: the view runs in the browser's worker too). */
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Reads `n` bytes at a linear address through the page tables; stops at the first unmapped byte. */
function readLinear(core: Core, linear: number, n: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    // A supervisor read: the page's presence decides, as for the CPU's own fetch at CPL 0.
    const probe = core.probeWalk((linear + i) >>> 0, core.cr(3), { write: false, user: false });
    const phys = probe.physical;
    if (probe.fault !== null || phys >= core.ramBytes) break;
    out.push(core.ramForRead(phys, 1)[phys]!);
  }
  return Uint8Array.from(out);
}

interface CodeAt {
  /** Linear address and EIP of the first byte. */
  linear: number;
  ip: number;
  bits: 16 | 32;
}

/** The instruction at byte `off`, or null if it runs past the bytes given. */
function lineAt(bytes: Uint8Array, off: number, at: CodeAt): (CodeLine & { length: number; invalid: boolean }) | null {
  const d = disassemble(bytes, off, { bits: at.bits, address: (at.ip + off) >>> 0 });
  if (off + d.length > bytes.length) return null;
  return { address: (at.linear + off) >>> 0, bytes: hexBytes(bytes.subarray(off, off + d.length)), text: d.text, length: d.length, invalid: !!d.invalid };
}

/** Up to `count` instructions from the start of `bytes`, bad ones shown as such. */
function decodeLines(bytes: Uint8Array, at: CodeAt, count: number): CodeLine[] {
  const lines: CodeLine[] = [];
  for (let off = 0; off < bytes.length && lines.length < count; ) {
    const l = lineAt(bytes, off, at);
    if (!l) break;
    lines.push({ address: l.address, bytes: l.bytes, text: l.text });
    off += l.length;
  }
  return lines;
}

/**
 * Lines that start with opcode 00 (add r/m8, r8): how zero bytes, the
 * padding between functions and the tail of an immediate, decode, and rare
 * in code that runs.
 */
const fromZeroBytes = (lines: CodeLine[]) => lines.filter((l) => l.bytes.startsWith('00')).length;

/**
 * x86 code cannot be decoded backwards, but decoding forward from a little
 * earlier soon falls into step with the real instruction stream (debuggers
 * rely on this). Every start byte whose decoding runs without a bad
 * instruction and ends exactly at EIP is a candidate. The one taken reads
 * the fewest zero bytes as instructions (a misreading shows as an "add"
 * from padding or from an immediate's zero tail), and of those the earliest,
 * as it agrees with the stream over the most bytes. Only bytes the CPU could
 * fetch are tried.
 */
function instructionsBefore(core: Core, linearEip: number, ip: number, bits: 16 | 32, count: number): CodeLine[] {
  let window = bits === 16 ? Math.min(BEFORE_WINDOW, ip & 0xffff) : BEFORE_WINDOW;
  let bytes = readLinear(core, (linearEip - window) >>> 0, window);
  if (bytes.length < window) {
    // the page before EIP's is not mapped: look within EIP's own page only
    window = Math.min(window, linearEip & 0xfff);
    bytes = readLinear(core, (linearEip - window) >>> 0, window);
  }
  const n = bytes.length;
  const at = { linear: (linearEip - n) >>> 0, ip: (ip - n) >>> 0, bits };
  // Decodings from different starts merge into the same tail, so each byte is
  // decoded once, from EIP backwards: for each start, whether its decoding
  // reaches EIP cleanly, its last `count` lines and how many lines it has.
  const tail: (CodeLine[] | null)[] = new Array(n + 1).fill(null);
  const lines = new Array<number>(n + 1).fill(0);
  tail[n] = [];
  for (let off = n - 1; off >= 0; off--) {
    const l = lineAt(bytes, off, at);
    const next = l && !l.invalid ? off + l.length : -1;
    if (next < 0 || !tail[next]) continue;
    const line = { address: l!.address, bytes: l!.bytes, text: l!.text };
    tail[off] = lines[next] >= count ? tail[next] : [line, ...tail[next]!];
    lines[off] = lines[next] + 1;
  }
  let best: { lines: CodeLine[]; zeros: number } | undefined;
  for (let start = 0; start < n && best?.zeros !== 0; start++) {
    const t = tail[start];
    if (!t) continue;
    const zeros = fromZeroBytes(t);
    if (!best || zeros < best.zeros) best = { lines: t, zeros };
  }
  return best?.lines ?? [];
}

export function readCpu(core: Core, instructions = 8, before = 4): CpuView {
  const eflags = core.eflags >>> 0;
  const cr0 = core.cr(0) >>> 0;
  const mode = !(cr0 & CR0_PE) ? 'real' : eflags & VM ? 'virtual-8086' : 'protected';
  const segments = SEGMENT_NAMES.map((name, i) => {
    const s = core.segment(i);
    return { name, ...s, dpl: (s.attr >> 5) & 3, big: (s.attr & ATTR_DB) !== 0 };
  });
  const cs = segments[SEG_CS];
  const bits = mode === 'protected' && cs.big ? 32 : 16;
  const start = (cs.base + core.eip) >>> 0;
  const bytes = readLinear(core, start, instructions * 15);
  const code = decodeLines(bytes, { linear: start, ip: core.eip >>> 0, bits }, instructions);
  return {
    registers: Object.fromEntries(REGISTER_NAMES.map((n, i) => [n, core.reg(i) >>> 0])),
    eip: core.eip >>> 0,
    eflags: { value: eflags, set: FLAG_NAMES.filter(([bit]) => eflags & bit).map(([, n]) => n), iopl: (eflags & IOPL) >>> 12 },
    mode,
    paging: (cr0 & CR0_PG) !== 0,
    cpl: core.cpl,
    halted: core.halted,
    segments,
    cr: { cr0, cr2: core.cr(2) >>> 0, cr3: core.cr(3) >>> 0, cr4: core.cr(4) >>> 0 },
    dr: Array.from({ length: 8 }, (_, i) => word(core, OFF_DR, i)),
    gdtr: { base: word(core, OFF_GDTR_BASE), limit: word(core, OFF_GDTR_LIMIT) },
    idtr: { base: word(core, OFF_IDTR_BASE), limit: word(core, OFF_IDTR_LIMIT) },
    code,
    codeBefore: before > 0 ? instructionsBefore(core, start, core.eip >>> 0, bits, before) : [],
  };
}
