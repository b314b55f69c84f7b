// The SSE2 integer forms compiled for i686 libc's string functions (MOVD,
// MOVDQA, MOVDQU, PCMPEQB/W/D, PMINUB, PMAXUB, PAND, PANDN, POR, PXOR, PUNPCKL*,
// PSHUFD, PMOVMSKB): random short programs that load XMM registers from the
// data pages (aligned and not, at the pages' edges and in unmapped pages:
// #GP for a misaligned aligned form, #PF), combine them, and make every
// register visible (PMOVMSKB into general registers, MOVDQU stores into the
// data pages, which the result's memory hash covers). Each runs interpreted
// and translated on first execution: identical results, and the translated
// run compiled the forms. A second run with CR0.TS set checks the #NM every
// form raises there, and one without CR4.OSFXSR the #UD.

import { describe, expect, it } from 'vitest';
import { type Case, DATA_ADDR } from '../cpu-diff/case.ts';
import { CR0_TS, CR4_OSFXSR } from '../../src/core-abi.ts';
import type { GlassboxRunner } from '../cpu-diff/glassbox.ts';
import { runBoth, randomProgram, expectCompiledAlike, le32 } from './support/programs.ts';

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const x = () => next() & 7;
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]);
  // Mostly 16-aligned, sometimes not (#GP for the aligned forms), across the pages' end, or unmapped (#PF).
  const aligned = () => DATA_ADDR + ((next() % 0x1f0) << 4);
  const address = () => pick([aligned(), aligned(), aligned(), aligned(), aligned(), DATA_ADDR + (next() % 0x1f00), DATA_ADDR + 0x1ff8, DATA_ADDR - 8, 0x9000]);
  const binary = () => pick([0x60, 0x61, 0x62, 0x6c, 0x74, 0x75, 0x76, 0xda, 0xde, 0xdb, 0xdf, 0xeb, 0xef]);
  switch (next() % 12) {
    case 10:
      return [0x66, 0x0f, pick([0x6e, 0x7e]), 0xc0 | (x() << 3) | reg()]; // MOVD with a general register
    case 11:
      return [0x66, 0x0f, pick([0x6e, 0x7e]), (x() << 3) | 5, ...le32(address())];
    case 0:
      return [pick([0x66, 0xf3]), 0x0f, 0x6f, (x() << 3) | 5, ...le32(address())]; // MOVDQA / MOVDQU load
    case 1:
      return [pick([0x66, 0xf3]), 0x0f, 0x6f, 0xc0 | (x() << 3) | x()];
    case 2:
      return [0x66, 0x0f, binary(), 0xc0 | (x() << 3) | x()];
    case 3:
      return [0x66, 0x0f, binary(), (x() << 3) | 5, ...le32(address())];
    case 4:
      return [0x66, 0x0f, 0x70, 0xc0 | (x() << 3) | x(), next() & 0xff]; // PSHUFD
    case 5:
      return [0x66, 0x0f, 0x70, (x() << 3) | 5, ...le32(address()), next() & 0xff];
    case 6:
    case 7:
      return [0x66, 0x0f, 0xd7, 0xc0 | (reg() << 3) | x()]; // PMOVMSKB
    case 8:
      return [0xf3, 0x0f, 0x7f, (x() << 3) | 5, ...le32(DATA_ADDR + (next() % 0x1ff0))]; // MOVDQU store: the register into the hash
    default:
      return [0x66, 0x0f, 0x6f, (x() << 3) | 6]; // MOVDQA from [ESI]
  }
}

function program(seed: number): Case {
  return randomProgram(seed, instruction, {
    length: 10,
    // Every XMM register from the data pages first, so the forms work on values; every one into the hash at the end.
    prologue: (next) => Array.from({ length: 8 }, (_, x) => [0xf3, 0x0f, 0x6f, (x << 3) | 5, ...le32(DATA_ADDR + (next() % 0xff0))]).flat(),
    epilogue: Array.from({ length: 8 }, (_, x) => [0xf3, 0x0f, 0x7f, (x << 3) | 5, ...le32(DATA_ADDR + 0x1000 + x * 16)]).flat(),
    regs: (regs, next) => {
      regs[6] = DATA_ADDR + ((next() % 0x1f0) << 4) + (next() % 2) * 4;
    },
  });
}

// The stores (MOVDQU Wx,Vx) stay with the interpreter; F3 (MOVDQU) counts as REP in the names.
const SSE_FORMS = /^(REP )?(MOVD |MOVDQA Vx|MOVDQU Vx|PCMPEQ|PMINUB|PMAXUB|PAND|POR|PXOR|PUNPCKL|PSHUFD|PMOVMSKB)/;

describe('the SSE2 integer forms translated', () => {
  it('match the interpreter on 3,000 random programs, #GP and #PF included, and are not handed over', () => {
    expectCompiledAlike(3000, program, SSE_FORMS, 300);
  });

  it('raise #NM under CR0.TS and #UD without CR4.OSFXSR as the interpreter does', () => {
    const set = (n: 0 | 4, bits: (v: number) => number) => (r: GlassboxRunner) => r.core.setCr(n, bits(r.core.cr(n)));
    for (const prepare of [set(0, (v) => v | CR0_TS), set(4, (v) => v & ~CR4_OSFXSR)]) {
      const { bad, interp } = runBoth(300, program, prepare);
      expect(bad).toEqual([]);
      expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(250);
    }
  });
});
