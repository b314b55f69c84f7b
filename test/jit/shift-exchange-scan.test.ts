// SHLD/SHRD (32-bit, by an immediate and by CL), CMPXCHG (every size,
// with and without LOCK), BSF/BSR (with F3, TZCNT's prefix) and BSWAP,
// compiled since the handed-over counts of Debian's boot and workload
// showed them: random short programs with register and
// memory operands at the data pages' edges and in unmapped pages (#PF with
// the state before the instruction), counts of 0, 1, 31 and past 31, compares
// that succeed (the accumulator loaded from the same operand) and fail, and
// SETcc and PUSHF reading the flags they leave. Each runs interpreted and
// translated on first execution: identical results, and the translated run
// compiled the forms.

import { describe, it } from 'vitest';
import { DATA_ADDR } from '../cpu-diff/case.ts';
import { randomProgram, expectCompiledAlike, le32 } from './support/programs.ts';

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]); // never ESP
  const mem = () => le32(pick([DATA_ADDR + (next() % 0x1ff0), DATA_ADDR + 0x1ffe, DATA_ADDR - 2, 0x9000]));
  const count = () => pick([0, 1, 2, 7, 16, 31, 32, 33, next() & 0xff]);
  switch (next() % 15) {
    case 14:
      return [pick([[], [0x66]]), 0x0f, 0xc8 + reg()].flat(); // BSWAP
    case 12:
      return [pick([[], [0x66], [0xf3]]), 0x0f, pick([0xbc, 0xbd]), 0xc0 | (reg() << 3) | reg()].flat(); // zero sources too: the edges
    case 13:
      return [pick([[], [0x66]]), 0x0f, pick([0xbc, 0xbd]), (reg() << 3) | 5, ...mem()].flat();
    case 0:
      return [0x0f, pick([0xa4, 0xac]), 0xc0 | (reg() << 3) | reg(), count()];
    case 1:
      return [0x0f, pick([0xa5, 0xad]), 0xc0 | (reg() << 3) | reg()];
    case 2:
      return [0x0f, pick([0xa4, 0xac]), (reg() << 3) | 5, ...mem(), count()];
    case 3:
      return [0x0f, pick([0xa5, 0xad]), (reg() << 3) | 5, ...mem()];
    case 4:
      return [0xb1, count()]; // MOV CL, imm8
    case 5:
      return [pick([[], [0x66]]), 0x0f, pick([0xb0, 0xb1]), 0xc0 | (reg() << 3) | reg()].flat();
    case 6:
      return [pick([[], [0xf0], [0x66], [0xf0, 0x66]]), 0x0f, pick([0xb0, 0xb1]), (reg() << 3) | 5, ...mem()].flat();
    case 7: {
      // The accumulator from the operand, then CMPXCHG on it: the compare succeeds.
      const m = mem();
      return [0xa1, ...m, 0xf0, 0x0f, 0xb1, (reg() << 3) | 5, ...m];
    }
    case 8:
      return [0x0f, 0x90 + (next() % 16), 0xc0 + pick([0, 1, 2, 3])];
    case 9:
      return [0x9c]; // PUSHF
    case 10:
      return [pick([0x01, 0x29, 0x31]), 0xc0 | (reg() << 3) | reg()];
    default:
      return [0x40 + reg()]; // INC: keeps CF
  }
}

describe('SHLD, SHRD, CMPXCHG, BSF, BSR and BSWAP translated', () => {
  it('match the interpreter on 3,000 random programs, faults included, and are not handed over', () => {
    expectCompiledAlike(3000, (seed) => randomProgram(seed, instruction), /^(REP )?(SHLD|SHRD|CMPXCHG |BSF|BSR|BSWAP)/, 300);
  });
});
