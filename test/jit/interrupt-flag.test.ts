// CLI and STI run through jitStep inside a region (they ended one before):
// random programs that clear and set IF between ALU instructions, pushes of
// the flags and memory accesses that fault, at CPL 3 with IOPL 3 (they
// change IF) and IOPL 0 (#GP, with the registers and flags before them).
// Each program runs interpreted and translated on first execution:
// identical results, and the translated run stepped them instead of
// stopping there. (The kernel's own CLI/STI at CPL 0, with interrupts
// arriving in STI's shadow, are held to the interpreter by the guest
// determinism test.)

import { describe, expect, it } from 'vitest';
import { type Case, DATA_ADDR } from '../cpu-diff/case.ts';
import { randomProgram, runBoth, le32 } from './support/programs.ts';

const IOPL3 = 0x3000;

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]);
  switch (next() % 6) {
    case 0:
      return [0xfa]; // CLI
    case 1:
      return [0xfb]; // STI
    case 2:
      return [0x9c]; // PUSHF: IF where the stack shows it
    case 3:
      return [0x89, 0x05 | (reg() << 3), ...le32(pick([DATA_ADDR + (next() % 0x1ffc), 0x9000]))]; // a store that may fault
    default:
      return [pick([0x01, 0x29, 0x31]), 0xc0 | (reg() << 3) | reg()];
  }
}

function program(seed: number): Case {
  const c = randomProgram(seed, instruction);
  return seed % 2 ? { ...c, eflags: c.eflags | IOPL3 } : c;
}

describe('CLI and STI stepped in a region', () => {
  it('match the interpreter on 2,000 random programs, #GP and #PF included, and do not end regions', () => {
    const { bad, interp, jit } = runBoth(2000, program);
    expect(bad).toEqual([]);
    expect(interp.core.instructions).toBe(jit.core.instructions);
    expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(500);
    const handed = jit.core.jitStats.handedOver;
    expect(handed.filter((h) => /^(CLI|STI)$/.test(h.form) && h.how === 'stop')).toEqual([]);
    expect(handed.filter((h) => /^(CLI|STI)$/.test(h.form) && h.how === 'step').length).toBe(2);
  });
});
