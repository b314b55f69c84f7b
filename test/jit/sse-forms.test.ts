// The SSE2 integer forms compiled for i686 libc's string functions (MOVDQA,
// MOVDQU, PCMPEQB/W/D, PMINUB, PMAXUB, PAND, PANDN, POR, PXOR, PUNPCKL*,
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
import { Rng } from '../support/rng.ts';
import { runBoth } from './support/programs.ts';

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const CR0_TS = 0x8;
const CR4_OSFXSR = 0x200;

function instruction(next: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const x = () => next() & 7;
  const reg = () => pick([0, 1, 2, 3, 5, 6, 7]);
  // Mostly 16-aligned, sometimes not (#GP for the aligned forms), across the pages' end, or unmapped (#PF).
  const aligned = () => DATA_ADDR + ((next() % 0x1f0) << 4);
  const address = () => pick([aligned(), aligned(), aligned(), aligned(), aligned(), DATA_ADDR + (next() % 0x1f00), DATA_ADDR + 0x1ff8, DATA_ADDR - 8, 0x9000]);
  const binary = () => pick([0x60, 0x61, 0x62, 0x6c, 0x74, 0x75, 0x76, 0xda, 0xde, 0xdb, 0xdf, 0xeb, 0xef]);
  switch (next() % 10) {
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
  const r = new Rng(seed);
  const next = () => r.next();
  const code: number[] = [];
  // Every XMM register from the data pages first, so the forms work on values.
  for (let x = 0; x < 8; x++) code.push(0xf3, 0x0f, 0x6f, (x << 3) | 5, ...le32(DATA_ADDR + (next() % 0xff0)));
  for (let i = 0; i < 10; i++) code.push(...instruction(next));
  // Every XMM register into the hash at the end.
  for (let x = 0; x < 8; x++) code.push(0xf3, 0x0f, 0x7f, (x << 3) | 5, ...le32(DATA_ADDR + 0x1000 + x * 16));
  code.push(0xcc);
  const regs = Array.from({ length: 8 }, () => next() >>> 0);
  regs[4] = 0x5800;
  regs[6] = DATA_ADDR + ((next() % 0x1f0) << 4) + (next() % 2) * 4;
  return { seed, regs, eflags: (next() & 0xcd5) | 0x202, code: new Uint8Array(code), presets: [] };
}

const SSE_FORMS = /^(MOVDQA|MOVDQU|PCMPEQ|PMINUB|PMAXUB|PAND|POR|PXOR|PUNPCKL|PSHUFD|PMOVMSKB)/;

describe('the SSE2 integer forms translated', () => {
  it('match the interpreter on 3,000 random programs, #GP and #PF included, and are not handed over', () => {
    const { bad, interp, jit } = runBoth(3000, program);
    expect(bad).toEqual([]);
    expect(interp.core.instructions).toBe(jit.core.instructions);
    expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(300);
    const handed = jit.core.jitStats.handedOver.filter((h) => SSE_FORMS.test(h.form) && !/^MOVDQU Wx,Vx/.test(h.form));
    expect(handed).toEqual([]);
  });

  it('raise #NM under CR0.TS and #UD without CR4.OSFXSR as the interpreter does', () => {
    for (const prepare of [(c: { setCr: (n: 0 | 4, v: number) => void; cr: (n: 0 | 4) => number }) => c.setCr(0, c.cr(0) | CR0_TS), (c: { setCr: (n: 0 | 4, v: number) => void; cr: (n: 0 | 4) => number }) => c.setCr(4, c.cr(4) & ~CR4_OSFXSR)]) {
      const { bad, interp } = runBoth(300, program, (r) => prepare(r.core));
      expect(bad).toEqual([]);
      expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(250);
    }
  });
});
