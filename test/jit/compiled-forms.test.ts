// The forms the translator compiles since the handed-over counts showed them
// (string instructions without REP, XADD, MUL): random short programs of
// them, with ESI/EDI and memory operands in the data pages, at their edges
// and in unmapped pages (faults, and flags at the faulting instruction),
// DF either way, and SETcc reading the flags they leave. Each runs
// interpreted and translated on first execution: identical results, and
// the translated run compiled these forms rather than handing them over.

import { describe, it } from 'vitest';
import { type Case, DATA_ADDR } from '../cpu-diff/case.ts';
import { randomProgram, expectCompiledAlike, le32 } from './support/programs.ts';

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const reg = () => pick([0, 1, 2, 3, 5]); // never ESP, ESI, EDI as a destination
  const mem = () => le32(pick([DATA_ADDR + (next() % 0x1ff0), DATA_ADDR + 0x1ffe, DATA_ADDR - 2, 0x9000]));
  switch (next() % 12) {
    case 0:
      return [pick([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf])];
    case 1:
      return [0x66, pick([0xa5, 0xa7, 0xab, 0xad, 0xaf])];
    case 2:
      return [pick([0xfc, 0xfd])];
    case 3:
      return [0x0f, pick([0xc0, 0xc1]), 0xc0 | (reg() << 3) | reg()];
    case 4:
      return [0x0f, 0xc1, (reg() << 3) | 5, ...mem()];
    case 5:
      return [0x66, 0x0f, 0xc1, (reg() << 3) | 5, ...mem()];
    case 6:
      return [pick([0xf6, 0xf7]), 0xe0 | pick([0, 1, 2, 3, 5, 6, 7])];
    case 7:
      return [0x66, 0xf7, 0xe0 | pick([0, 1, 2, 3])];
    case 8:
      return [pick([0xf6, 0xf7]), 0x25, ...mem()];
    case 9:
      return [0x0f, 0x90 + (next() % 16), 0xc0 + pick([0, 1, 2, 3])];
    case 10:
      return [pick([0x26, 0x3e, 0x64]), pick([0xa5, 0xac, 0xa7])]; // segment overrides on the source
    default:
      return [0x40 + reg()]; // INC: keeps CF of what came before
  }
}

function program(seed: number): Case {
  return randomProgram(seed, instruction, {
    regs: (regs, next) => {
      const index = () => [DATA_ADDR + (next() % 0x1ffc), DATA_ADDR + 0x1ffe, DATA_ADDR, DATA_ADDR - 1, 0x3fff][next() % 5];
      regs[6] = index();
      regs[7] = index();
    },
  });
}

describe('the forms compiled for the handed-over counts', () => {
  it('match the interpreter on 3,000 random programs, faults included, and are not handed over', () => {
    expectCompiledAlike(3000, program, /^(MOVS|CMPS|STOS|LODS|SCAS|XADD|MUL)/, 300);
  });
});
