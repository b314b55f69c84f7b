// The differential-case generator's promises: reproducible per (seed, index),
// every generated form reached, and nothing built that the native process
// could not survive (system calls, GS loads, TF/AC, too many presets).

import { describe, expect, it } from 'vitest';
import { generateCases, GENERATED_IDS, filledWord } from '../cpu-diff/generator.ts';
import { disassemble } from '../../src/isa/disasm.ts';
import { formById, TF, AC } from '../../src/isa/table.ts';
import { CODE_MAX, CODE_ADDR, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, PRESETS_MAX, fillPages } from '../cpu-diff/case.ts';

describe('differential case generator', () => {
  const cases = generateCases(5, 60_000);

  it('derives case i from (seed, i) alone', () => {
    const again = generateCases(5, 10, { first: 1234 });
    again.forEach((g, k) => expect(g).toEqual(cases[1234 + k]));
  });

  it('reaches every form it is meant to cover', () => {
    const seen = new Set(cases.map((g) => g.form));
    expect(GENERATED_IDS.filter((id) => !seen.has(id))).toEqual([]);
  });

  it('builds what the disassembler reads as the same form', () => {
    const wrong = cases.filter((g) => {
      const d = disassemble(g.case.code, 0, { bits: 32, address: CODE_ADDR });
      return g.form.startsWith('#UD') ? !(d.form === null || d.invalid) : d.form !== g.form;
    });
    expect(wrong.slice(0, 5).map((g) => `${g.form}: ${Buffer.from(g.case.code).toString('hex')}`)).toEqual([]);
  });

  it('never builds a system call, a GS override or load, TF or AC', () => {
    for (const g of cases) {
      const code = g.case.code;
      expect(code.length).toBeLessThanOrEqual(CODE_MAX);
      const d = disassemble(code, 0, { bits: 32 });
      const hex = Buffer.from(code).toString('hex');
      expect(hex.match(/^(..)*?(cd80|0f34|0f05)/), hex).toBeNull();
      expect(d.text).not.toMatch(/\bgs:|^pop gs|lgs|mov gs/);
      expect(g.case.eflags & (TF | AC)).toBe(0);
      expect(g.case.presets.length).toBeLessThanOrEqual(PRESETS_MAX);
      for (const p of g.case.presets) {
        const inData = p.addr >= DATA_ADDR && p.addr + 4 <= DATA_ADDR + DATA_SIZE;
        const inStack = p.addr >= STACK_ADDR && p.addr + 4 <= STACK_ADDR + STACK_SIZE;
        expect(inData || inStack).toBe(true);
      }
    }
  });

  it('keeps ESP inside the stack page for stack and control forms', () => {
    for (const g of cases) {
      const f = formById(g.form);
      if (!f || (f.category !== 'stack' && f.category !== 'control')) continue;
      if (/^(XCHG|POP Ev|LEAVE)/.test(g.form)) continue;
      expect(g.case.regs[4], g.form).toBeGreaterThanOrEqual(STACK_ADDR + 0x100);
      expect(g.case.regs[4], g.form).toBeLessThan(STACK_ADDR + STACK_SIZE - 0x100);
    }
  });

  it('masks only flags the table says the form may leave undefined', () => {
    for (const g of cases) {
      const f = formById(g.form);
      const allowed = f ? f.flags.undef : 0;
      expect(g.ignoreFlags & ~allowed, g.form).toBe(0);
    }
  });

  it('reads the seeded fill the way case.ts writes it', () => {
    const data = new Uint32Array(DATA_SIZE / 4),
      stack = new Uint32Array(STACK_SIZE / 4);
    fillPages(0x1234567, data, stack);
    expect(filledWord(0x1234567, DATA_ADDR + 8)).toBe(data[2]);
    expect(filledWord(0x1234567, STACK_ADDR + 0x10)).toBe(stack[4]);
    expect(filledWord(0x1234567, DATA_ADDR + 5)).toBe(((data[1] >>> 8) | (data[2] << 24)) >>> 0);
  });
});
