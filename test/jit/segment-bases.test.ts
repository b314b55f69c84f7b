// Accesses through FS and GS, which keep a base and limit of their own while
// the mode key makes the other segments flat: a distribution kernel's per-CPU
// segment (every `current`, preempt count and stack canary of Debian's
// kernel) and glibc's TLS. Compiled code takes them inline when the segment
// is a usable, expand-up 4 GiB one of the right type and the offset does not
// wrap past 4 GiB, else the core's slow path. Random short programs of loads,
// stores, read-modify-writes, string and SSE reads through FS and GS, with
// each segment one of: based below, at or above the data pages (an
// unaligned base too, and one whose linear addresses wrap past 4 GiB), a
// byte-granular limit inside the pages, null, read-only, expand-down, a
// readable code segment; offsets in the data pages, at their edges, in
// unmapped pages (#PF) and at the top of the 4 GiB (#GP). Each runs
// interpreted and translated on first execution: identical results (with
// the TLB counters), and the accesses compiled, not handed over.

import { describe, it } from 'vitest';
import { type Case, DATA_ADDR, DATA_SIZE } from '../cpu-diff/case.ts';
import { ATTR_UNUSABLE } from '../../src/core-abi.ts';
import { randomProgram, expectCompiledAlike, le32 } from './support/programs.ts';

const FS = 4,
  GS = 5;

interface Segment {
  selector: number;
  base: number;
  limit: number;
  attr: number;
}

const data = (base: number, attr = 0xc0f3, limit = 0xffffffff): Segment => ({ selector: 0x7b, base: base >>> 0, limit: limit >>> 0, attr });
const SEGMENTS: Segment[] = [
  data(0),
  data(0x1000),
  data(DATA_ADDR + 0x7fe), // unaligned: a dword at an aligned offset crosses pages
  data(0xfffff000), // linear addresses wrap past 4 GiB into the data pages
  data(DATA_ADDR, 0x40f3, 0x17ff), // byte-granular limit inside the pages: the slow path's #GP beyond it
  { selector: 0, base: 0, limit: 0, attr: ATTR_UNUSABLE }, // null: #GP
  data(0x1000, 0xc0f1), // read-only: reads inline, writes #GP
  data(0x1000, 0xc0f7, 0x1fff), // expand-down: offsets above the limit only
  { selector: 0x73, base: 0x1000, limit: 0xffffffff, attr: 0xc0fb }, // readable code: reads, and #GP on writes
];

/** The segments of a case, from its seed (the program and the runners agree on them). */
function segmentsOf(seed: number): [Segment, Segment] {
  return [SEGMENTS[seed % SEGMENTS.length], SEGMENTS[Math.floor(seed / SEGMENTS.length) % SEGMENTS.length]];
}

function program(seed: number): Case {
  const [fs, gs] = segmentsOf(seed);
  const instruction = (next: () => number): number[] => {
    const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
    const [prefix, seg] = next() % 2 ? [0x64, fs] : [0x65, gs];
    // An offset whose linear address is in the data pages, at their edges, in unmapped pages, or at the top of the offsets.
    const inData = () => (DATA_ADDR + (next() % DATA_SIZE) - seg.base) >>> 0;
    const off = () =>
      le32(pick([inData(), inData(), inData(), (DATA_ADDR + DATA_SIZE - 2 - seg.base) >>> 0, (DATA_ADDR - 1 - seg.base) >>> 0, 0xfffffffe, 0xffffffff, next() % 0x2000]));
    const reg = () => pick([0, 1, 2, 3, 5, 7]); // never ESP or ESI
    switch (next() % 12) {
      case 0:
        return [prefix, 0x8b, (reg() << 3) | 5, ...off()]; // MOV r32, seg:[disp]
      case 1:
        return [prefix, 0x89, (reg() << 3) | 5, ...off()]; // MOV seg:[disp], r32
      case 2:
        return [prefix, pick([0x8a, 0x88]), (reg() << 3) | 5, ...off()]; // byte
      case 3:
        return [0x66, prefix, pick([0x8b, 0x89]), (reg() << 3) | 5, ...off()]; // word
      case 4:
        return [prefix, ((next() % 8) << 3) | 1, (reg() << 3) | 5, ...off()]; // ALU seg:[disp], r32 (read-modify-write, CMP reads)
      case 5:
        return [prefix, 0xff, pick([0x05, 0x0d, 0x35]), ...off()]; // INC, DEC, PUSH seg:[disp]
      case 6:
        return [prefix, pick([0xa0, 0xa1, 0xa2, 0xa3]), ...off()]; // MOV with moffs
      case 7:
        return [prefix, pick([0xac, 0xad, 0xa4, 0xa5, 0xa6, 0xa7])]; // LODS, MOVS, CMPS from seg:[ESI]
      case 8:
        return [prefix, 0x8b, (reg() << 3) | 6]; // MOV r32, seg:[ESI]
      case 9:
        return [prefix, 0xf3, 0x0f, 0x6f, 0x05, ...off(), 0x66, 0x0f, 0x7e, 0xc0 | reg()]; // MOVDQU xmm0, seg:[disp]; MOVD r32, xmm0
      case 10:
        return [prefix, 0x0f, 0xc1, (reg() << 3) | 5, ...off()]; // XADD seg:[disp], r32
      default:
        return [prefix, 0x83, 0x3d, ...off(), next() & 0xff]; // CMP dword seg:[disp], imm8
    }
  };
  return randomProgram(seed, instruction, {
    regs: (regs, next) => {
      regs[6] = (DATA_ADDR + (next() % (DATA_SIZE - 4)) - fs.base) >>> 0; // ESI through FS's base (GS's may differ: its own edges)
      regs[7] = DATA_ADDR + (next() % (DATA_SIZE - 4)); // EDI through ES
    },
  });
}

describe('FS and GS accesses with their own base and limit', () => {
  it('match the interpreter on 4,000 random programs, #GP and #PF included, compiled inline', () => {
    expectCompiledAlike(4000, program, /^(MOV|ADD|OR|ADC|SBB|AND|SUB|XOR|CMP|INC|DEC|PUSH|LODS|MOVS|CMPS|MOVDQU|MOVD|XADD)/, 1000, (r) => {
      r.afterReset = (core, k) => {
        const [fs, gs] = segmentsOf(k.seed);
        core.setSegment(FS, fs);
        core.setSegment(GS, gs);
      };
    });
  });
});
