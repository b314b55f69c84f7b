// The native oracle checked against outcomes known by construction, then the
// differential run itself: 50,000 random cases on the host CPU and in
// glassbox, reported exactly as `npm run cpu:diff` reports them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, type Result, CODE_ADDR, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, fillPages, hashMemory } from './cpu-diff/case.ts';
import { NativeOracle, VECTOR_REFUSED, VECTOR_TIMEOUT, nativeMemoryChanges } from './cpu-diff/native.ts';
import { formatReport, requiredMismatches, runDiff } from './cpu-diff/run-diff.ts';

const ESP = STACK_ADDR + 0x800;
const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, RF = 0x10000, ID = 0x200000;
const ARITH = CF | PF | AF | ZF | SF | OF;

function kase(code: number[], regs: Partial<Record<'eax' | 'ecx' | 'edx' | 'ebx' | 'esp', number>> = {}, more: Partial<Case> = {}): Case {
  return {
    seed: 0x1234,
    regs: [regs.eax ?? 0, regs.ecx ?? 0, regs.edx ?? 0, regs.ebx ?? 0, regs.esp ?? ESP, 0x66, 0x77, 0x88],
    eflags: 0x202,
    code: new Uint8Array(code),
    presets: [],
    ...more,
  };
}

/** The pages of a case as filled before it runs, with `stores` applied: the hash an untouched or known run must give. */
function expectedHash(c: Case, stores: { addr: number; value: number }[] = []): [number, number] {
  const data = new Uint32Array(DATA_SIZE / 4), stack = new Uint32Array(STACK_SIZE / 4);
  fillPages(c.seed, data, stack);
  for (const s of [...c.presets, ...stores]) {
    const page = s.addr < STACK_ADDR ? data : stack;
    page[(s.addr - (s.addr < STACK_ADDR ? DATA_ADDR : STACK_ADDR)) / 4] = s.value >>> 0;
  }
  return hashMemory(data, stack);
}

describe('native oracle', () => {
  let oracle: NativeOracle;
  const run1 = async (c: Case): Promise<Result> => (await oracle.run([c]))[0];

  beforeAll(async () => {
    oracle = await NativeOracle.start();
  });
  afterAll(async () => {
    await oracle.close();
  });

  it('runs add eax, ebx and stops at the INT3 after it, with the flags the sum implies', async () => {
    const c = kase([0x01, 0xd8], { eax: 0x7fffffff, ebx: 1 });
    const r = await run1(c);
    expect(r.vector).toBe(3);
    expect(r.eip).toBe(CODE_ADDR + 3); // past the 0xCC
    expect(r.regs).toEqual([0x80000000, 0, 0, 1, ESP, 0x66, 0x77, 0x88]);
    expect(r.eflags & ARITH).toBe(SF | OF | AF | PF);
    expect(r.eflags & RF).toBe(0);
    expect(r.segs).toEqual([0x2b, 0x23, 0x2b, 0x2b, 0x2b, 0x63]);
    expect(r.memHash).toEqual(expectedHash(c));

    const carry = await run1(kase([0x01, 0xd8], { eax: 0xffffffff, ebx: 1 }));
    expect(carry.regs[0]).toBe(0);
    expect(carry.eflags & ARITH).toBe(CF | ZF | AF | PF);
  });

  it('takes EFLAGS from the case: arithmetic flags, DF and ID, never TF or AC', async () => {
    const r = await run1(kase([0x90], {}, { eflags: 0x2 | CF | ZF | 0x400 | ID | 0x100 | 0x40000 }));
    expect(r.vector).toBe(3);
    expect(r.eflags).toBe(0x202 | CF | ZF | 0x400 | ID);
  });

  it('reports #DE for a division by zero, at the DIV, with RF in the pushed flags', async () => {
    const r = await run1(kase([0xf7, 0xf1], { eax: 5, ecx: 0 }));
    expect(r.vector).toBe(0);
    expect(r.eip).toBe(CODE_ADDR);
    expect(r.eflags & RF).toBe(RF);
  });

  it('reports #UD for ud2', async () => {
    const r = await run1(kase([0x0f, 0x0b]));
    expect(r.vector).toBe(6);
    expect(r.eip).toBe(CODE_ADDR);
  });

  it('reports #PF with the address and a user read or write error code', async () => {
    const load = await run1(kase([0xa1, 0x00, 0x60, 0x00, 0x00])); // mov eax, [0x6000]: the unmapped page between stack and code
    expect([load.vector, load.faultAddr, load.errorCode, load.eip]).toEqual([14, 0x6000, 4, CODE_ADDR]);
    const store = await run1(kase([0x89, 0x1d, 0xfe, 0x3f, 0x00, 0x00])); // mov [0x3ffe], ebx: crosses into 0x4000
    expect([store.vector, store.faultAddr, store.errorCode]).toEqual([14, 0x4000, 6]);
  });

  it('reports #GP(n*8+2) for INT n through a kernel-only gate, and INT3 with EIP after it', async () => {
    const gp = await run1(kase([0xcd, 0x21]));
    expect([gp.vector, gp.errorCode, gp.eip]).toEqual([13, 0x21 * 8 + 2, CODE_ADDR]);
    const bp = await run1(kase([0xcc]));
    expect([bp.vector, bp.eip]).toEqual([3, CODE_ADDR + 1]);
  });

  it('applies presets and hashes memory as case.ts does, after a store', async () => {
    const c = kase([0x8b, 0x05, 0x10, 0x20, 0, 0, 0x50], { eax: 0 }, { presets: [{ addr: 0x2010, value: 0xdeadbeef }] }); // mov eax,[0x2010]; push eax
    const r = await run1(c);
    expect(r.regs[0]).toBe(0xdeadbeef);
    expect(r.regs[4]).toBe(ESP - 4);
    expect(r.memHash).toEqual(expectedHash(c, [{ addr: ESP - 4, value: 0xdeadbeef }]));
    expect(nativeMemoryChanges(c)).toContainEqual(expect.stringMatching(new RegExp(`^0000${(ESP - 4).toString(16)}: [0-9a-f]{8} -> deadbeef$`)));
  });

  it('gives GS a flat segment at base 0, as glassbox does', async () => {
    const c = kase([0x65, 0x8b, 0x05, 0x00, 0x20, 0, 0]); // mov eax, gs:[0x2000]
    const data = new Uint32Array(DATA_SIZE / 4);
    fillPages(c.seed, data, new Uint32Array(STACK_SIZE / 4));
    expect((await run1(c)).regs[0]).toBe(data[0]);
  });

  it('refuses system calls, written into the case or present from the start, and stops endless loops', async () => {
    expect((await run1(kase([0xcd, 0x80]))).vector).toBe(VECTOR_REFUSED);
    expect((await run1(kase([0x66, 0x0f, 0x05]))).vector).toBe(VECTOR_REFUSED);
    // mov byte [0x7010], 0xcd; mov byte [0x7011], 0x80; jmp 0x7010
    const smc = kase([0xc6, 0x05, 0x10, 0x70, 0, 0, 0xcd, 0xc6, 0x05, 0x11, 0x70, 0, 0, 0x80, 0xeb, 0x00]);
    expect((await run1(smc)).vector).toBe(VECTOR_REFUSED);
    expect((await run1(kase([0xeb, 0xfe]))).vector).toBe(VECTOR_TIMEOUT);
  });

  it('survives cases that break everything they can reach, and later cases are unaffected', async () => {
    const known = kase([0x01, 0xd8], { eax: 2, ebx: 3 });
    const before = await run1(known);
    let s = 99;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xffff | (((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) << 16);
    const wild: Case[] = [];
    for (let i = 0; i < 5000; i++) {
      const code = Array.from({ length: 20 }, () => rnd() & 0xff);
      const regs = Array.from({ length: 8 }, () => (rnd() & 1 ? rnd() >>> 0 : [DATA_ADDR, ESP, 0, CODE_ADDR][rnd() & 3]));
      wild.push({ seed: rnd() >>> 0, regs, eflags: rnd() >>> 0, code: new Uint8Array(code), presets: [] });
    }
    // A wild jump, a wild stack, a division by zero, and a stack that reaches the page below.
    wild.push(kase([0xff, 0xe0], { eax: 0xdeadbeef }), kase([0x50], { esp: 0x12345678 }), kase([0xf7, 0xf1]), kase([0x50], { esp: STACK_ADDR }));
    const results = await oracle.run([...wild, known]);
    expect(results.at(-1)).toEqual(before);
    expect(results.at(-5)!.faultAddr).toBe(0xdeadbeef);
    expect(results.at(-2)!.faultAddr).toBe(STACK_ADDR - 4);
  });
});

describe('differential run (npm run cpu:diff)', () => {
  it('finds no difference in 50,000 random cases', async () => {
    const report = await runDiff(1, 50_000, { batch: 10_000 });
    const text = await formatReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(text.split('\n').at(-1)).toBe('cpu-diff: 50000 cases, 0 mismatches');
  });
});

describe('x87 differential run (npm run cpu:diff -- --x87)', () => {
  it('finds no difference in the x87 forms claimed exact over 100,000 random cases', async () => {
    const report = await runDiff(1, 100_000, { batch: 10_000, x87: true });
    const text = await formatReport(report);
    if (requiredMismatches(report) > 0) expect.fail(`\n${text}`);
    // Every x87 form was exercised, and the rates are reported (the inexact forms may differ).
    expect(text).toContain('x87 mismatch rate per form');
    expect(report.casesByForm.size).toBeGreaterThan(200);
  });
});
