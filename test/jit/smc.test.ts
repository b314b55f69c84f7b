// Self-modifying code under the translator: stores into the running block,
// into another compiled page, into an instruction across a page boundary,
// by REP MOVS and REP STOS, through a second linear mapping of the page, and
// by the host writing RAM (as a device's DMA does). Each program's result is
// known by construction and must come out the same interpreted, translated
// on first execution, and translated once hot, with the same instruction count.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import type { Core, JitMode } from '../../src/core/core.ts';
import { projectPath } from '../../src/paths.ts';

const CODE = 0x10000;
const STACK_TOP = 0x90000;
const PD = 0x80000;

function assemble(): Uint8Array {
  const out = projectPath('build', 'jit');
  mkdirSync(out, { recursive: true });
  const bin = `${out}/smc.bin`;
  execFileSync('nasm', ['-f', 'bin', '-o', bin, projectPath('test', 'jit', 'smc.asm')]);
  return new Uint8Array(readFileSync(bin));
}

const BIN = assemble();
const word = (i: number) => new DataView(BIN.buffer, BIN.byteOffset).getUint32(i * 4, true);
const DMA_IMM = word(6); // physical = linear (identity-mapped)

/** Flat ring 0 with paging: the first 4 MiB identity-mapped, and the code pages again at ALIAS. */
function machine(mode: JitMode): Core {
  const core = createCore(4 * 1024 * 1024);
  core.jit = mode;
  core.ram.set(BIN, CODE);
  const dv = new DataView(core.ram.buffer, core.ram.byteOffset);
  dv.setUint32(PD, (PD + 0x1000) | 3, true);
  dv.setUint32(PD + 4, (PD + 0x2000) | 3, true);
  for (let p = 0; p < 1024; p++) dv.setUint32(PD + 0x1000 + p * 4, (p << 12) | 3, true);
  for (let p = 0; p < 8; p++) dv.setUint32(PD + 0x2000 + p * 4, (CODE + (p << 12)) | 3, true);
  for (let s = 0; s < 6; s++) core.setSegment(s, { selector: s === 1 ? 8 : 0x10, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  core.setCr(3, PD);
  core.setCr(0, 0x80000011);
  core.cpl = 0;
  core.flushTlb();
  return core;
}

interface Outcome {
  eax: number;
  retired: bigint;
  core: Core;
}

function runTest(mode: JitMode, index: number, opts: { hostWrite?: boolean; announce?: boolean } = {}): Outcome {
  const core = machine(mode);
  core.setReg(4, STACK_TOP);
  core.eip = word(index); // the table holds absolute addresses (org CODE)
  core.eflags = 2;
  let halts = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const exit = core.run(1_000_000);
    if (exit === 0) continue;
    expect(exit).toBe(1); // HLT
    halts++;
    if (!opts.hostWrite || halts > 1) break;
    new DataView(core.ram.buffer, core.ram.byteOffset).setUint32(DMA_IMM, 11, true);
    if (opts.announce !== false) core.ramWritten(DMA_IMM, 4);
    core.halted = false;
  }
  return { eax: core.reg(0), retired: core.instructions, core };
}

const CASES: { name: string; index: number; expected: number; hostWrite?: boolean }[] = [
  { name: 'a store into the running block', index: 0, expected: 1 + 2 * 99 },
  { name: 'a store into another compiled page', index: 1, expected: 51 + 49 * 5 },
  { name: 'a store into an instruction across a page boundary', index: 2, expected: 51 + 49 * 0x10001 },
  { name: 'REP MOVSB and REP STOSD over compiled code', index: 3, expected: 51 + 25 * 3 + 24 * 7 },
  { name: 'a store through another linear mapping of the page', index: 4, expected: 51 + 49 * 9 },
  { name: 'the host writing RAM (DMA)', index: 5, expected: 51 + 49 * 11, hostWrite: true },
];

describe('self-modifying code under the translator', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const interp = runTest('off', c.index, c);
      expect(interp.eax >>> 0).toBe(c.expected >>> 0);
      for (const mode of ['first', 'on'] as const) {
        const t = runTest(mode, c.index, c);
        expect({ mode, eax: t.eax >>> 0, retired: t.retired }).toEqual({ mode, eax: interp.eax >>> 0, retired: interp.retired });
        if (mode === 'first') {
          // The code was translated and the write dropped it.
          expect(t.core.jitStats.compiled).toBeGreaterThan(0);
          expect(t.core.jitStats.invalidated).toBeGreaterThan(0);
        }
      }
    });
  }

  it('runs an instruction its page ends inside from inside the region (through jitStep) rather than ending the region there', () => {
    const t = runTest('first', 2);
    const cut = t.core.jitStats.handedOver.filter((h) => h.form.startsWith('MOV Zv,Iv'));
    expect(cut.map((h) => h.how)).toEqual(['step']);
    expect(cut[0].count).toBeGreaterThanOrEqual(99);
  });

  it('keeps running stale code when the host does not announce its write (the control for the DMA case)', () => {
    const t = runTest('first', 5, { hostWrite: true, announce: false });
    expect(t.eax).toBe(100);
  });
});
