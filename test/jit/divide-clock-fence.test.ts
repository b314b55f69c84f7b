// DIV and IDIV (register and memory divisors, every operand size), RDTSC and
// the fences, compiled since the handed-over counts of Debian's boot showed
// them: random short programs with edge dividends and divisors, so that
// both kinds of #DE (a zero divisor, a quotient that does not fit) happen
// with the registers and flags before the instruction intact, and memory
// divisors at the data pages' edges and in unmapped pages (#PF). RDTSC reads
// the clock after instructions of the same block, so its value shows where
// the count stands. Each program runs interpreted and translated on first
// execution: identical results, and the translated run compiled the forms.

import { describe, expect, it } from 'vitest';
import { type Case, DATA_ADDR } from '../cpu-diff/case.ts';
import { runBoth, randomProgram, expectCompiledAlike, le32 } from './support/programs.ts';
import type { GlassboxRunner } from '../cpu-diff/glassbox.ts';
import { OFF_TSC_OFFSET } from '../../src/core-abi.ts';

const CR4_TSD = 0x4;

/** A TSC whose low half wraps during the programs, so EDX changes between RDTSCs (as WRMSR could set it). */
function highTsc(r: GlassboxRunner): void {
  new DataView(r.core.memory.buffer).setBigUint64(OFF_TSC_OFFSET, 0x12345678_ffff0000n, true);
}

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]);
  const mem = () => le32(pick([DATA_ADDR + (next() % 0x1ff0), DATA_ADDR + 0x1ffe, DATA_ADDR - 2, 0x9000]));
  const divide = () => pick([6, 7]) << 3;
  switch (next() % 11) {
    case 0:
      return [pick([0xf6, 0xf7]), 0xc0 | divide() | reg()];
    case 1:
      return [0x66, 0xf7, 0xc0 | divide() | reg()];
    case 2:
      return [pick([0xf6, 0xf7]), divide() | 5, ...mem()];
    case 3:
      return [0x66, 0xf7, divide() | 5, ...mem()];
    case 4:
      return [0xf7, divide() | 0x44, 0x8d, pick([0, 4, 0x80, 0xfe])]; // [EBP + ECX*4 + disp8]
    case 5:
      return [0x0f, 0x31]; // RDTSC
    case 6:
      return [0x0f, 0xae, pick([0xe8, 0xf0, 0xf8]) | (next() & 7)]; // LFENCE MFENCE SFENCE, any r/m
    case 7:
      return [0x0f, 0x90 + (next() % 16), 0xc0 + pick([0, 1, 2, 3])]; // SETcc: the flags DIV left
    case 8:
      return [0xb8 + pick([0, 2]), ...le32(pick([0, 1, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, next()]))];
    case 9:
      return [0x9c]; // PUSHF: every flag to memory
    default:
      return [pick([0x01, 0x29, 0x31]), 0xc0 | (reg() << 3) | reg()]; // ADD SUB XOR: flags for DIV to keep
  }
}

function program(seed: number): Case {
  return randomProgram(seed, instruction, {
    regs: (regs, next) => {
      regs[5] = DATA_ADDR + (next() % 0x1000);
      if (next() % 2) regs[2] = next() % 4; // a small EDX: quotients that fit
      regs[1] = next() % 0x500;
    },
  });
}

describe('DIV, IDIV, RDTSC and the fences translated', () => {
  it('match the interpreter on 3,000 random programs, #DE and #PF included, and are not handed over', () => {
    expectCompiledAlike(3000, program, /^(DIV|IDIV|RDTSC|LFENCE|MFENCE|SFENCE)/, 500);
  });

  it('read a TSC past 32 bits as the interpreter does', () => {
    const { bad, jit } = runBoth(1000, program, highTsc);
    expect(bad).toEqual([]);
    expect(jit.core.reg(2)).not.toBe(0); // the high half did reach EDX somewhere
  });

  it('raise #GP at RDTSC when CR4.TSD denies it at CPL 3, with the registers before it', () => {
    const { bad, interp } = runBoth(500, program, (r) => r.core.setCr(4, r.core.cr(4) | CR4_TSD));
    expect(bad).toEqual([]);
    expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(100);
  });
});
