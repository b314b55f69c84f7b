// The CPU view: registers, EFLAGS decoded, mode, CPL, segment caches,
// control/debug/table registers, and the disassembly around EIP read
// through the MMU the way the CPU would fetch it.

import { type Core, SEGMENT_NAMES, REGISTER_NAMES } from '../core/core.ts';
import { disassemble } from '../isa/disasm.ts';
import { walkPageTables } from '../machine/page-walk.ts';

const FLAG_NAMES: [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];

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
  /** Instructions from EIP on (the core keeps no history, so "around" starts at EIP). */
  code: { address: number; bytes: string; text: string }[];
}

const word = (core: Core, name: string, i = 0) => core.memory.getUint32(core.off(name) + i * 4, true);

/** Bytes as hex digits (no Buffer: the view runs in the browser's worker too). */
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Reads `n` bytes at a linear address through the page tables; stops at the first unmapped byte. */
function readLinear(core: Core, linear: number, n: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const phys = walkPageTables(core, (linear + i) >>> 0).physical;
    if (phys === null || phys >= core.ram.length) break;
    out.push(core.ram[phys]);
  }
  return Uint8Array.from(out);
}

export function readCpu(core: Core, instructions = 8): CpuView {
  const eflags = core.eflags >>> 0;
  const cr0 = core.cr(0) >>> 0;
  const mode = !(cr0 & 1) ? 'real' : eflags & (1 << 17) ? 'virtual-8086' : 'protected';
  const segments = SEGMENT_NAMES.map((name, i) => {
    const s = core.segment(i);
    return { name, ...s, dpl: (s.attr >> 5) & 3, big: (s.attr & 0x4000) !== 0 };
  });
  const cs = segments[1];
  const bits = mode === 'protected' && cs.big ? 32 : 16;
  const start = (cs.base + core.eip) >>> 0;
  const bytes = readLinear(core, start, instructions * 15);
  const code: CpuView['code'] = [];
  for (let off = 0; code.length < instructions && off < bytes.length; ) {
    const d = disassemble(bytes, off, { bits, address: (core.eip + off) >>> 0 });
    if (off + d.length > bytes.length) break;
    code.push({ address: (start + off) >>> 0, bytes: hexBytes(bytes.subarray(off, off + d.length)), text: d.text });
    off += d.length;
  }
  return {
    registers: Object.fromEntries(REGISTER_NAMES.map((n, i) => [n, core.reg(i) >>> 0])),
    eip: core.eip >>> 0,
    eflags: { value: eflags, set: FLAG_NAMES.filter(([b]) => eflags & (1 << b)).map(([, n]) => n), iopl: (eflags >> 12) & 3 },
    mode,
    paging: (cr0 & 0x80000000) !== 0,
    cpl: core.cpl,
    halted: core.halted,
    segments,
    cr: { cr0, cr2: core.cr(2) >>> 0, cr3: core.cr(3) >>> 0, cr4: core.cr(4) >>> 0 },
    dr: Array.from({ length: 8 }, (_, i) => word(core, 'OFF_DR', i)),
    gdtr: { base: word(core, 'OFF_GDTR_BASE'), limit: word(core, 'OFF_GDTR_LIMIT') },
    idtr: { base: word(core, 'OFF_IDTR_BASE'), limit: word(core, 'OFF_IDTR_LIMIT') },
    code,
  };
}
