// Straight-line programs that produce flags and read them back in the same
// translated block (Jcc, SETcc, CMOVcc, INC/DEC keeping CF, PUSHF, ADC),
// mixed with memory operands and instructions the translator hands to the
// interpreter: the one-instruction differential cases cannot reach the
// translator's own flag evaluation, these do. Each program runs interpreted
// and translated on first execution; the results must be identical.

import { describe, expect, it } from 'vitest';
import { type Case, DATA_ADDR } from '../cpu-diff/case.ts';
import { Rng } from '../support/rng.ts';
import { runBoth } from './support/programs.ts';

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** One random instruction (bytes) from the forms the translator emits or steps. */
function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]); // never ESP as a destination
  const any = () => next() % 8;
  const cc = () => next() % 16;
  const alu = () => pick([0, 1, 2, 3, 4, 5, 6, 7]);
  const mem = () => le32(DATA_ADDR + (next() % 0x1ff0));
  switch (next() % 26) {
    case 0:
      return [(alu() << 3) | 1, 0xc0 | (any() << 3) | reg()];
    case 1:
      return [(alu() << 3) | 0, 0xc0 | (any() << 3) | reg()];
    case 2:
      return [0x66, (alu() << 3) | 1, 0xc0 | (any() << 3) | reg()];
    case 3:
      return [0x83, 0xc0 | (alu() << 3) | reg(), next() & 0xff];
    case 4:
      return [pick([0x40, 0x48]) + reg()];
    case 5:
      return [0xfe, pick([0xc0, 0xc8]) + pick([0, 1, 2, 3])];
    case 6:
      return [0x66, pick([0x40, 0x48]) + reg()];
    case 7:
      return [0xf7, 0xd8 + reg()];
    case 8:
      return [0xc1, 0xc0 | (pick([0, 1, 4, 5, 7]) << 3) | reg(), pick([0, 1, 2, 31, 32, next() & 0xff])];
    case 9:
      return [0xd1, 0xc0 | (pick([0, 1, 4, 5, 7]) << 3) | reg()];
    case 10:
      return [pick([0x85, 0x84]), 0xc0 | (any() << 3) | reg()];
    case 11:
      return [0x0f, 0x90 + cc(), 0xc0 + pick([0, 1, 2, 3])];
    case 12:
      return [0x0f, 0x40 + cc(), 0xc0 | (reg() << 3) | any()];
    case 13:
      return [0x70 + cc(), 0x01, 0x40 + reg()];
    case 14:
      return [0x0f, 0x80 + cc(), ...le32(1), 0x48 + reg()];
    case 15:
      return [0x89, (any() << 3) | 5, ...mem()];
    case 16:
      return [pick([0x03, 0x2b, 0x33, 0x3b, 0x13]), (reg() << 3) | 5, ...mem()];
    case 17:
      return [pick([0x01, 0x29, 0x21, 0x11, 0x19]), (any() << 3) | 5, ...mem()];
    case 18:
      return [0x9c, 0x58 + reg()];
    case 19:
      return [0x9f];
    case 20:
      return [pick([0xf8, 0xf9, 0xf5, 0xfc, 0xfd])];
    case 21:
      return [0x0f, 0xaf, 0xc0 | (reg() << 3) | any()];
    case 22:
      return [0x66, 0x6b, 0xc0 | (reg() << 3) | any(), next() & 0xff];
    case 23:
      return [0x69, 0xc0 | (reg() << 3) | any(), ...le32(pick([3, 0x10000, next()]))];
    case 24:
      return [0x0f, 0xaf, (reg() << 3) | 5, ...mem()];
    default:
      return [0xb8 + reg(), ...le32(pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, next()]))];
  }
}

function program(seed: number): Case {
  const r = new Rng(seed);
  const next = () => r.next();
  const code: number[] = [];
  for (let i = 0; i < 10; i++) code.push(...instruction(next));
  code.push(0xcc);
  const edge = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
  const regs = Array.from({ length: 8 }, () => (next() % 2 ? edge[next() % edge.length] : next()) >>> 0);
  regs[4] = 0x5800;
  return { seed, regs, eflags: (next() & 0x8d5) | 0x202, code: new Uint8Array(code), presets: [] };
}

describe('translated flag evaluation matches the interpreter', () => {
  it('on 6,000 random ten-instruction programs', () => {
    const { bad, interp, jit } = runBoth(6000, program);
    expect(bad).toEqual([]);
    expect(interp.core.instructions).toBe(jit.core.instructions);
    expect(jit.core.jitStats.compiled).toBeGreaterThan(5000);
  });
});
