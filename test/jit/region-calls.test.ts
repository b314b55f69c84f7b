// A CALL from compiled code into another page's region runs the callee's
// region as a nested call and goes on after the CALL when it comes back
// (emit-control.ts callOut, asm/cpu/jit.ts jitCall). The programs
// (region-calls.asm) cover direct and indirect calls, recursion deeper than
// calls nest, a callee that does not come back, one that rewrites the
// caller's code, and one that faults. Each must end as it does interpreted:
// the same result, registers, EIP and instruction count, also when run() is
// given slices that end between a call and its return.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { ExitReason, type Core, type JitMode } from '../../src/core/core.ts';
import { projectPath } from '../../src/paths.ts';
import { flatRing0 } from '../support/flat-ring0.ts';

const CODE = 0x10000;
const STACK_TOP = 0x90000;

function assemble(): Uint8Array {
  const out = projectPath('build', 'jit');
  mkdirSync(out, { recursive: true });
  const bin = `${out}/region-calls.bin`;
  execFileSync('nasm', ['-f', 'bin', '-o', bin, projectPath('test', 'jit', 'region-calls.asm')]);
  return new Uint8Array(readFileSync(bin));
}

const BIN = assemble();
const entry = (i: number) => new DataView(BIN.buffer, BIN.byteOffset).getUint32(i * 4, true);

interface End {
  exit: number;
  eip: number;
  regs: number[];
  retired: bigint;
  called: number;
  chained: number;
}

/** A core about to run test `index` in flat 32-bit ring 0 (no IDT: an exception ends in a triple fault). */
function machine(mode: JitMode, index: number): Core {
  const core = createCore(1024 * 1024);
  core.jit = mode;
  core.ram.set(BIN, CODE);
  flatRing0(core);
  core.setReg(4, STACK_TOP);
  core.eip = entry(index);
  core.eflags = 2;
  return core;
}

/** Runs test `index` in slices of `slice` instructions. */
function runTest(mode: JitMode, index: number, slice: number): End {
  const core = machine(mode, index);
  let exit: number = ExitReason.Budget;
  for (let guard = 0; guard < 10_000_000 && exit === ExitReason.Budget; guard++) exit = core.run(slice);
  return {
    exit,
    eip: core.eip,
    regs: Array.from({ length: 8 }, (_, r) => core.reg(r) >>> 0),
    retired: core.instructions,
    called: core.jitStats.called,
    chained: core.jitStats.chained,
  };
}

const sum = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i + 1)).reduce((a, b) => a + b, 0);

const CASES: { name: string; index: number; eax?: number; ebx?: number; exit?: number }[] = [
  { name: 'direct calls to another page', index: 0, eax: sum(1000, (c) => c + 3) },
  { name: 'indirect calls through memory and a register', index: 1, eax: sum(600, (c) => c + 3 + 7) },
  { name: 'recursion deeper than calls nest', index: 2, eax: sum(700, (c) => c) },
  { name: 'a callee that jumps back elsewhere instead of returning', index: 3, eax: 2 * 300 },
  { name: "a callee that rewrites the caller's next instruction", index: 4, eax: 50 * 1 + 50 * 5 },
  { name: 'a callee that faults (#DE, then a triple fault)', index: 5, ebx: sum(39, (c) => Math.floor(1000 / c)), exit: ExitReason.TripleFault },
  { name: 'a callee spread over two regions', index: 6, eax: sum(30_000, (c) => 4 * c + 20) },
];

describe('calls between compiled regions', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const interp = runTest('off', c.index, 1_000_000);
      expect(interp.exit).toBe(c.exit ?? ExitReason.Halt);
      if (c.eax !== undefined) expect(interp.regs[0]).toBe(c.eax);
      if (c.ebx !== undefined) expect(interp.regs[3]).toBe(c.ebx);
      for (const slice of [1_000_000, 97, 5]) {
        const t = runTest('first', c.index, slice);
        expect({ slice, ...t, called: 0, chained: 0 }).toEqual({ slice, ...interp, called: 0, chained: 0 });
        // The callee ran as a nested call (not only through the run loop's chaining).
        if (slice > 5) expect(t.called).toBeGreaterThan(0);
      }
    });
  }
});
