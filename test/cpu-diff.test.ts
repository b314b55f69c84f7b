// The core against real CPUs, on whatever host this is:
//  - the recorded corpus (cpu-diff/corpus/): glassbox replays every case and
//    must end as the recorded CPU did, on any host; and where this host has a
//    native runner, a sample of it runs on this CPU again and must end as
//    recorded (same vendor), so a changed oracle is noticed;
//  - where this host runs 32-bit code: the 32-bit harness checked against
//    outcomes known by construction, then 50,000 integer and 100,000 x87
//    random cases, reported exactly as `npm run cpu:diff` reports them;
//  - where it runs 64-bit code only: the 64-bit harness's own checks, the
//    re-encoding of long-mode.ts, and live runs of the forms that are the
//    same instruction in 64-bit mode (`npm run cpu:diff -- --host64`).
// A test whose oracle this host lacks is skipped with the reason.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { type Case, type Result, CODE_ADDR, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, fillPages, hashMemory } from './cpu-diff/case.ts';
import { NativeOracle, VECTOR_REFUSED, VECTOR_TIMEOUT, VECTOR_WIDE, nativeMemoryChanges, type HarnessKind } from './cpu-diff/native.ts';
import { formatReport, requiredMismatches, runDiff } from './cpu-diff/run-diff.ts';
import { replayCorpus, formatCorpusReport, sampleOnHost, otherVendor } from './cpu-diff/corpus-check.ts';
import { readMeta, loadCorpus, corpusCoverage } from './cpu-diff/corpus.ts';
import { bestRunner, host64 } from './cpu-diff/host-oracle.ts';
import { NATIVE32_ONLY, RUN_SHOWED, planLongMode, resultFrom64, type LongModePlan } from './cpu-diff/long-mode.ts';
import { fpuProgram, FPU_VIEW_CASES, SAVE_ADDR } from './cpu-diff/fpu-programs.ts';
import { XMM_CASE_FORMS } from './cpu-diff/sse-programs.ts';
import { MMX_CASE_FORMS } from './cpu-diff/mmx-programs.ts';
import { MM_X87_CASES } from './cpu-diff/mmx-x87-programs.ts';
import { runApprox, formatApprox, approxMismatches } from './cpu-diff/approx.ts';
import { native32, FORCE_NO_NATIVE32, type HostFeature } from './support/host-features.ts';
import { x87Quirks } from './cpu-diff/host-quirks.ts';
import { AF, CF, ID, OF, PF, RF, SF, ZF } from '../src/core-abi.ts';

const ESP = STACK_ADDR + 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

/** Skips the running test, with the reason, when this host lacks the feature. */
function needs(ctx: TestContext, what: string, f: HostFeature): void {
  if (!f.ok) ctx.skip(`needs ${what}: ${f.reason}`);
}

/** Runs the harness of `kind` for the enclosing describe block, where the host has it. */
function harnessFor(kind: HarnessKind, feature: HostFeature) {
  let oracle: NativeOracle | undefined;
  beforeAll(async () => {
    if (feature.ok) oracle = await NativeOracle.start(kind);
  });
  afterAll(async () => {
    await oracle?.close();
  });
  const run = (cases: Case[]): Promise<Result[]> => oracle!.run(cases);
  return { run, run1: async (c: Case): Promise<Result> => (await run([c]))[0] };
}

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
  const data = new Uint32Array(DATA_SIZE / 4),
    stack = new Uint32Array(STACK_SIZE / 4);
  fillPages(c.seed, data, stack);
  for (const s of [...c.presets, ...stores]) {
    const page = s.addr < STACK_ADDR ? data : stack;
    page[(s.addr - (s.addr < STACK_ADDR ? DATA_ADDR : STACK_ADDR)) / 4] = s.value >>> 0;
  }
  return hashMemory(data, stack);
}

/** Random bytes, registers and flags: cases that break everything they can reach. */
function wildCases(count: number): Case[] {
  let s = 99;
  const rnd = () => (((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xffff) | (((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) << 16);
  return Array.from({ length: count }, () => {
    const code = Array.from({ length: 20 }, () => rnd() & 0xff);
    const regs = Array.from({ length: 8 }, () => (rnd() & 1 ? rnd() >>> 0 : [DATA_ADDR, ESP, 0, CODE_ADDR][rnd() & 3]));
    return { seed: rnd() >>> 0, regs, eflags: rnd() >>> 0, code: new Uint8Array(code), presets: [] };
  });
}

describe('recorded corpus (npm run cpu:diff -- --corpus)', () => {
  it('glassbox ends every recorded case as the recorded CPU did', async () => {
    const report = replayCorpus();
    const text = await formatCorpusReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(report.cases).toBeGreaterThan(30_000);
    expect(text.split('\n').at(-1)).toBe(`cpu-diff: ${report.cases} cases, 0 mismatches`);
  });

  it('holds every form its runner can record, and lacks only what 64-bit mode cannot run', () => {
    const { meta, entries } = loadCorpus();
    const coverage = corpusCoverage(meta, entries);
    expect(coverage.missing).toEqual([]);
    expect(meta.approx?.records).toBeGreaterThanOrEqual(4_000); // RCPPS and its kin, against their bound
    if (meta.runner === 'host64') {
      const only32 = new Set(NATIVE32_ONLY.map((f) => f.id));
      expect(coverage.native32Only.filter((id) => !only32.has(id))).toEqual([]);
    } else expect(coverage.native32Only).toEqual([]);
  });

  it("gives this host's CPU the recorded outcomes on a sample of it (a changed oracle is noticed)", async (ctx) => {
    const best = bestRunner();
    if ('reason' in best) return ctx.skip(`needs a native runner: ${best.reason}`);
    const vendor = otherVendor(readMeta());
    if (vendor) return ctx.skip(vendor);
    const r = await sampleOnHost(best.kind, 20);
    expect(r.disagreements.slice(0, 20)).toEqual([]);
    expect(r.compared).toBeGreaterThan(1000);
  });

  it('npm run cpu:diff on a host without 32-bit execution says so in one line, with what to do, and exits 2', () => {
    const cli = fileURLToPath(new URL('./cpu-diff/cli.ts', import.meta.url));
    const r = spawnSync('npx', ['tsx', cli], { env: { ...process.env, [FORCE_NO_NATIVE32]: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npm run cpu:diff -- --corpus');
    expect(lines[0]).toContain('--host64');
  });
});

describe('native oracle (a 32-bit process)', () => {
  const { run, run1 } = harnessFor('i386', native32());

  it('runs add eax, ebx and stops at the INT3 after it, with the flags the sum implies', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
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

  it('takes EFLAGS from the case: arithmetic flags, DF and ID, never TF or AC', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const r = await run1(kase([0x90], {}, { eflags: 0x2 | CF | ZF | 0x400 | ID | 0x100 | 0x40000 }));
    expect(r.vector).toBe(3);
    expect(r.eflags).toBe(0x202 | CF | ZF | 0x400 | ID);
  });

  it('reports #DE for a division by zero, at the DIV, with RF in the pushed flags', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const r = await run1(kase([0xf7, 0xf1], { eax: 5, ecx: 0 }));
    expect(r.vector).toBe(0);
    expect(r.eip).toBe(CODE_ADDR);
    expect(r.eflags & RF).toBe(RF);
  });

  it('reports #UD for ud2', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const r = await run1(kase([0x0f, 0x0b]));
    expect(r.vector).toBe(6);
    expect(r.eip).toBe(CODE_ADDR);
  });

  it('reports #PF with the address and a user read or write error code', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const load = await run1(kase([0xa1, 0x00, 0x60, 0x00, 0x00])); // mov eax, [0x6000]: the unmapped page between stack and code
    expect([load.vector, load.faultAddr, load.errorCode, load.eip]).toEqual([14, 0x6000, 4, CODE_ADDR]);
    const store = await run1(kase([0x89, 0x1d, 0xfe, 0x3f, 0x00, 0x00])); // mov [0x3ffe], ebx: crosses into 0x4000
    expect([store.vector, store.faultAddr, store.errorCode]).toEqual([14, 0x4000, 6]);
  });

  it('reports #GP(n*8+2) for INT n through a kernel-only gate, and INT3 with EIP after it', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const gp = await run1(kase([0xcd, 0x21]));
    expect([gp.vector, gp.errorCode, gp.eip]).toEqual([13, 0x21 * 8 + 2, CODE_ADDR]);
    const bp = await run1(kase([0xcc]));
    expect([bp.vector, bp.eip]).toEqual([3, CODE_ADDR + 1]);
  });

  it('applies presets and hashes memory as case.ts does, after a store', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const c = kase([0x8b, 0x05, 0x10, 0x20, 0, 0, 0x50], { eax: 0 }, { presets: [{ addr: 0x2010, value: 0xdeadbeef }] }); // mov eax,[0x2010]; push eax
    const r = await run1(c);
    expect(r.regs[0]).toBe(0xdeadbeef);
    expect(r.regs[4]).toBe(ESP - 4);
    expect(r.memHash).toEqual(expectedHash(c, [{ addr: ESP - 4, value: 0xdeadbeef }]));
    expect(nativeMemoryChanges(c, 'i386')).toContainEqual(expect.stringMatching(new RegExp(`^0000${(ESP - 4).toString(16)}: [0-9a-f]{8} -> deadbeef$`)));
  });

  it('gives GS a flat segment at base 0, as glassbox does', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const c = kase([0x65, 0x8b, 0x05, 0x00, 0x20, 0, 0]); // mov eax, gs:[0x2000]
    const data = new Uint32Array(DATA_SIZE / 4);
    fillPages(c.seed, data, new Uint32Array(STACK_SIZE / 4));
    expect((await run1(c)).regs[0]).toBe(data[0]);
  });

  it('refuses system calls, written into the case or present from the start, and stops endless loops', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    expect((await run1(kase([0xcd, 0x80]))).vector).toBe(VECTOR_REFUSED);
    expect((await run1(kase([0x66, 0x0f, 0x05]))).vector).toBe(VECTOR_REFUSED);
    // mov byte [0x7010], 0xcd; mov byte [0x7011], 0x80; jmp 0x7010
    const smc = kase([0xc6, 0x05, 0x10, 0x70, 0, 0, 0xcd, 0xc6, 0x05, 0x11, 0x70, 0, 0, 0x80, 0xeb, 0x00]);
    expect((await run1(smc)).vector).toBe(VECTOR_REFUSED);
    expect((await run1(kase([0xeb, 0xfe]))).vector).toBe(VECTOR_TIMEOUT);
  });

  it('survives cases that break everything they can reach, and later cases are unaffected', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const known = kase([0x01, 0xd8], { eax: 2, ebx: 3 });
    const before = await run1(known);
    const wild = wildCases(5000);
    // A wild jump, a wild stack, a division by zero, and a stack that reaches the page below.
    wild.push(kase([0xff, 0xe0], { eax: 0xdeadbeef }), kase([0x50], { esp: 0x12345678 }), kase([0xf7, 0xf1]), kase([0x50], { esp: STACK_ADDR }));
    const results = await run([...wild, known]);
    expect(results.at(-1)).toEqual(before);
    expect(results.at(-5)!.faultAddr).toBe(0xdeadbeef);
    expect(results.at(-2)!.faultAddr).toBe(STACK_ADDR - 4);
  });
});

describe('differential run (npm run cpu:diff)', () => {
  it('finds no difference in 50,000 random cases', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const report = await runDiff(1, 50_000, { batch: 10_000 });
    const text = await formatReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(text.split('\n').at(-1)).toBe('cpu-diff: 50000 cases, 0 mismatches');
  });
});

describe('x87 differential run (npm run cpu:diff -- --x87)', () => {
  it('finds no difference in the x87 forms claimed exact over 100,000 random cases', async (ctx) => {
    needs(ctx, 'native 32-bit x86 execution', native32());
    const report = await runDiff(1, 100_000, { batch: 10_000, x87: true });
    const text = await formatReport(report);
    if (requiredMismatches(report) > 0) expect.fail(`\n${text}`);
    // Every x87 form was exercised, and the rates are reported (the inexact forms may differ).
    expect(text).toContain('x87 mismatch rate per form');
    expect(report.casesByForm.size).toBeGreaterThan(200);
  });
});

describe('native oracle in 64-bit mode (harness64.c, raw 64-bit bytes)', () => {
  const { run, run1 } = harnessFor('x86_64', host64());
  const SEGS64 = [0x2b, 0x33, 0x2b, 0x2b, 0x2b, 0x2b];

  it('runs add eax, ebx and stops at the INT3 after it, with flags, selectors and memory as expected', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const c = kase([0x01, 0xd8], { eax: 0x7fffffff, ebx: 1 }, { eflags: 0x202 | CF | 0x400 | ID });
    const r = await run1(c);
    expect([r.vector, r.eip]).toEqual([3, CODE_ADDR + 3]);
    expect(r.regs).toEqual([0x80000000, 0, 0, 1, ESP, 0x66, 0x77, 0x88]);
    expect(r.eflags & ~RF).toBe(0x202 | SF | OF | AF | PF | 0x400 | ID);
    expect(r.segs).toEqual(SEGS64);
    expect(r.memHash).toEqual(expectedHash(c));
  });

  it('reports #DE, #UD, #PF (address and error code) and #GP(n*8+2) for INT n as the 32-bit process does', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const de = await run1(kase([0xf7, 0xf1], { eax: 5 }));
    expect([de.vector, de.eip, de.eflags & RF]).toEqual([0, CODE_ADDR, RF]);
    expect((await run1(kase([0x0f, 0x0b]))).vector).toBe(6);
    const load = await run1(kase([0x67, 0x8b, 0x04, 0x25, 0x00, 0x60, 0, 0])); // mov eax, [0x6000] with 32-bit addressing
    expect([load.vector, load.faultAddr, load.errorCode]).toEqual([14, 0x6000, 4]);
    const store = await run1(kase([0x67, 0x89, 0x1c, 0x25, 0xfe, 0x3f, 0, 0])); // mov [0x3ffe], ebx: crosses into 0x4000
    expect([store.vector, store.faultAddr, store.errorCode]).toEqual([14, 0x4000, 6]);
    const gp = await run1(kase([0xcd, 0x21]));
    expect([gp.vector, gp.errorCode, gp.eip]).toEqual([13, 0x21 * 8 + 2, CODE_ADDR]);
  });

  it('reports an upper register half left set as not a 32-bit outcome', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    expect((await run1(kase([0x48, 0xff, 0xc8]))).vector).toBe(VECTOR_WIDE); // dec rax from 0
  });

  it('refuses system calls, written into the case or present from the start, and stops endless loops', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    expect((await run1(kase([0x0f, 0x05]))).vector).toBe(VECTOR_REFUSED);
    // mov byte [0x7018], 0x0f; mov byte [0x7019], 0x05; jmp 0x7018 (past the 20 code bytes)
    const smc = kase([0x67, 0xc6, 0x04, 0x25, 0x18, 0x70, 0, 0, 0x0f, 0x67, 0xc6, 0x04, 0x25, 0x19, 0x70, 0, 0, 0x05, 0xeb, 0x04]);
    expect((await run1(smc)).vector).toBe(VECTOR_REFUSED);
    expect((await run1(kase([0xeb, 0xfe]))).vector).toBe(VECTOR_TIMEOUT);
  });

  it('survives cases that break everything they can reach, and later cases are unaffected', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const known = kase([0x01, 0xd8], { eax: 2, ebx: 3 });
    const before = await run1(known);
    const results = await run([...wildCases(5000), kase([0xff, 0xe0], { eax: 0xdeadbeef }), known]);
    expect(results.at(-1)).toEqual(before);
    expect(results.at(-2)!.faultAddr).toBe(0xdeadbeef);
  });

  it("translates the code selector FNSAVE stores (0x33 here) to the 32-bit process's 0x23, where the case says", async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    // Such a CPU stores FCS as 0 in every image: there is no selector to translate.
    if (x87Quirks().selectorsZero) return ctx.skip('the host deprecates FCS/FDS (CPUID.7:EBX[13]): FNSAVE stores FCS as 0');
    const fcs = (c: Case) => {
      const line = nativeMemoryChanges(c, 'x86_64').find((l) => l.startsWith((SAVE_ADDR + 16).toString(16).padStart(8, '0')));
      return parseInt(line!.split(' -> ')[1], 16) & 0xffff;
    };
    const c = fpuProgram(FPU_VIEW_CASES[0].control, FPU_VIEW_CASES[0].last, true);
    expect(fcs(c)).toBe(0x33);
    const plan = planLongMode(c) as LongModePlan;
    expect(plan.case.fcsFields).toEqual([SAVE_ADDR + 16]);
    expect(fcs(plan.case)).toBe(0x23);
  });
});

describe('re-encoding for 64-bit mode (long-mode.ts)', () => {
  const plan = (code: number[], regs: Partial<Record<'eax' | 'ecx' | 'edx', number>> = {}) => planLongMode(kase(code, regs));
  const bytes = (p: ReturnType<typeof planLongMode>) => ('excluded' in p ? p.excluded : Array.from(p.case.code));

  it('makes addressing 32-bit and [disp32] absolute, and keeps a relative target where it was', () => {
    expect(bytes(plan([0x8b, 0x05, 0x10, 0x20, 0, 0]))).toEqual([0x67, 0x8b, 0x04, 0x25, 0x10, 0x20, 0, 0]);
    expect(bytes(plan([0x8b, 0x43, 0x10]))).toEqual([0x67, 0x8b, 0x43, 0x10]);
    expect(bytes(plan([0xa4]))).toEqual([0x67, 0xa4]); // movsb: ESI, EDI
    expect(bytes(plan([0xe2, 0x05]))).toEqual([0x67, 0xe2, 0x04]); // loop: ECX, same target
    expect(bytes(plan([0x01, 0xd8]))).toEqual([0x01, 0xd8]); // nothing addressed: as it is
  });

  it('leaves out what is not the same in 64-bit mode, saying why', () => {
    for (const code of [[0x50], [0x40], [0x67, 0x8b, 0x07], [0x66, 0xe9, 0x10, 0], [0x2e, 0x89, 0x03], [0x8e, 0xd8], [0xe8, 0, 0, 0, 0], [0x01, 0xd8, 0x90]]) {
      expect(bytes(plan(code)), Buffer.from(code).toString('hex')).toEqual(expect.any(String));
    }
    // An operand at 0xfffffffe: #SS or #GP in a 32-bit process, #PF at 0xfffffffe in 64-bit mode.
    expect(bytes(plan([0xf7, 0x3a], { edx: 0xfffffffe }))).toEqual(expect.stringContaining('4 GiB'));
    expect(bytes(plan([0xa1, 0xfe, 0xff, 0xff, 0xff]))).toEqual(expect.stringContaining('4 GiB'));
  });

  it('maps the EIP after a re-encoded instruction back over the inserted bytes, and the selectors to the 32-bit ones', () => {
    const p = plan([0x8b, 0x05, 0x10, 0x20, 0, 0]) as LongModePlan;
    const r: Result = {
      regs: [0, 0, 0, 0, ESP, 0, 0, 0],
      eip: CODE_ADDR + 9,
      eflags: 0x202,
      vector: 3,
      errorCode: 0,
      faultAddr: 0,
      segs: [0x2b, 0x33, 0x2b, 0x2b, 0x2b, 0x2b],
      memHash: [0, 0],
    };
    expect(resultFrom64(r, p)).toMatchObject({ eip: CODE_ADDR + 7, segs: [0x2b, 0x23, 0x2b, 0x2b, 0x2b, 0x63] });
    expect(resultFrom64({ ...r, eip: CODE_ADDR }, p)).toMatchObject({ eip: CODE_ADDR });
    expect(resultFrom64({ ...r, vector: VECTOR_WIDE }, p)).toEqual({ excluded: expect.any(String) });
  });
});

describe('differential run in 64-bit mode (npm run cpu:diff -- --host64)', () => {
  it('finds no difference in 30,000 random cases of the forms that are the same in 64-bit mode', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const report = await runDiff(3, 30_000, { batch: 10_000, runner: 'host64' }); // not the corpus's seed: new cases
    const text = await formatReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(report.cases).toBeGreaterThan(20_000);
    // Left out only by the rules, never because a run contradicted them.
    expect([...report.notRun.keys()].filter((why) => why.startsWith(RUN_SHOWED))).toEqual([]);
  });

  it('finds no difference in the x87 forms claimed exact over 30,000 random cases', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const report = await runDiff(2, 30_000, { batch: 10_000, x87: true, runner: 'host64' });
    const text = await formatReport(report);
    if (requiredMismatches(report) > 0) expect.fail(`\n${text}`);
    expect(report.cases).toBe(30_000); // every x87 program ran
  });

  it('finds no difference in 30,000 random cases of the XMM forms (FXRSTOR, the form, MOVDQU out)', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const report = await runDiff(2, 30_000, { batch: 10_000, sse: true, runner: 'host64' }); // not the corpus's seed
    const text = await formatReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(report.cases).toBe(30_000); // every program ran
    expect(report.casesByForm.size).toBe(XMM_CASE_FORMS.length);
  });

  it('finds no difference in 20,000 random cases of the forms on MM registers (FXRSTOR, FNINIT, the form, FNSAVE out)', async (ctx) => {
    needs(ctx, 'the 64-bit runner', host64());
    const report = await runDiff(2, 20_000, { batch: 10_000, mmx: true, runner: 'host64' }); // not the corpus's seed
    const text = await formatReport(report);
    if (report.mismatches > 0) expect.fail(`\n${text}`);
    expect(report.cases).toBe(20_000); // every program ran
    expect(report.casesByForm.size).toBe(MMX_CASE_FORMS.length + MM_X87_CASES.length);
  });

  it('holds RCPPS, RCPSS, RSQRTPS and RSQRTSS to their contract on glassbox and this CPU over 3,000 records (npm run cpu:diff -- --host64 --approx)', async (ctx) => {
    needs(ctx, 'an x86-64 host CPU', host64());
    const report = runApprox(2, 3_000); // not the corpus's seed
    if (approxMismatches(report) > 0) expect.fail(`\n${formatApprox(report)}`);
    expect(report.lanes).toBe(30_000);
  });
});
