// Whatever the guest executes, the core must end every run with one of its
// exit reasons: random bytes as code, random registers and descriptor tables,
// in real mode, protected mode and with paging. A host exception (a wasm trap,
// an out-of-bounds access, an AssemblyScript abort) fails the test, with the
// seed to replay it.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import type { Core } from '../../src/core/core.ts';

const RAM = 2 * 1024 * 1024;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

function scramble(c: Core, next: () => number, mode: 'real' | 'protected' | 'paged'): void {
  const ram = c.ram;
  // Random bytes everywhere the guest is likely to look: low memory, tables, code.
  for (let i = 0; i < 0x20000; i += 4) new DataView(ram.buffer, ram.byteOffset).setUint32(i, next(), true);
  for (let r = 0; r < 8; r++) c.setReg(r, next() % 3 === 0 ? next() & 0xffff : next());
  c.eflags = (next() & 0x00244fd5) | 2;
  if (mode === 'real') {
    c.setSegment(1, { selector: 0x100, base: 0x1000, limit: 0xffff, attr: 0x9b });
    c.eip = next() & 0xffff;
    return;
  }
  // A GDT of random descriptors at 0x10000 with a few sane ones, and a random IDT.
  c.setTable('GDTR', 0x10000, 0x3ff);
  c.setTable('IDTR', 0x11000, next() % 3 === 0 ? 0x7ff : next() & 0x7ff);
  const dv = new DataView(ram.buffer, ram.byteOffset);
  dv.setUint32(0x10008, 0x0000ffff, true);
  dv.setUint32(0x1000c, 0x00cf9b00, true); // 0x08: flat code
  dv.setUint32(0x10010, 0x0000ffff, true);
  dv.setUint32(0x10014, 0x00cf9300, true); // 0x10: flat data
  for (let s = 0; s < 6; s++) c.setSegment(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  c.setTaskRegister(0x18, next() & 0x1ffff, next() & 0xff, 0x8b);
  c.cpl = 0;
  c.eip = 0x2000 + (next() & 0xfff);
  if (mode === 'paged') {
    // Identity-map the first 4 MiB, with random permission bits and the odd
    // page missing, plus one random 4 MiB (PSE) entry: code runs and then
    // faults in all the ways page tables allow.
    dv.setUint32(0x18000, 0x19000 | 0x7, true);
    dv.setUint32(0x18004, (next() & 0xffc00fff) | 0x80, true);
    for (let p = 0; p < 1024; p++) {
      const flags = next() % 16 === 0 ? next() & 0x1fe : (next() & 0x166) | 0x1;
      dv.setUint32(0x19000 + p * 4, (p << 12) | flags, true);
    }
    dv.setUint32(0x19000 + 2 * 4, 0x2000 | 0x7, true); // the code page itself stays present
    c.setCr(3, 0x18000);
    c.setCr(4, next() & 0x90);
    c.setCr(0, 0x80000011 | (next() & 0x10000));
  } else {
    c.setCr(0, 0x11);
  }
}

describe('the core survives anything the guest does', () => {
  for (const mode of ['real', 'protected', 'paged'] as const) {
    it(`random code and state in ${mode} mode end in an exit reason`, () => {
      const c = createCore(RAM, {
        portIn: () => 0xffffffff,
        acknowledgeInterrupt: () => 0x20,
      });
      const reasons = new Map<number, number>();
      for (let seed = 1; seed <= 300; seed++) {
        const next = rng(seed * 7919 + mode.length);
        c.reset();
        c.halted = false;
        scramble(c, next, mode);
        c.flushTlb();
        if (seed % 5 === 0) c.irqPending = true;
        let exit: number;
        try {
          exit = c.run(20_000);
        } catch (e) {
          throw new Error(`host exception in ${mode} mode, seed ${seed}: ${(e as Error).message}`);
        }
        c.irqPending = false;
        expect([0, 1, 3, 4]).toContain(exit);
        reasons.set(exit, (reasons.get(exit) ?? 0) + 1);
      }
      // Sanity: random code does get somewhere (not every run ends at once in the same way).
      expect(reasons.size).toBeGreaterThan(1);
    });
  }
});
