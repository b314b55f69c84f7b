// One differential run: generate, run on the host and in glassbox, compare,
// and describe the mismatches. The CLI and the test suite both call this, so
// what the test reports is what the CLI would print.

import { generateCases, type Generated } from './generator.ts';
import { generateX87, EXACT_X87 } from './x87.ts';
import { generateSse } from './sse-programs.ts';
import { generateMmx } from './mmx-programs.ts';
import { HostOracle, hostMemoryChanges, type HostQuirks, type RunnerKind } from './host-oracle.ts';
import { suspendedRepFlags } from './host-quirks.ts';
import { GlassboxRunner } from './glassbox.ts';
import { differences, describeCase, flagNames, memoryDifferences, parseChanges, type MemoryChanges } from './compare.ts';
import { type Case, type Result, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, fillPages } from './case.ts';

export interface Mismatch {
  index: number;
  generated: Generated;
  lines: string[];
}

export interface DiffOptions {
  form?: string;
  batch?: number;
  only?: number; // run just this case index
  keep?: number; // mismatches kept in full (the rest are only counted)
  x87?: boolean; // x87 cases (x87.ts) instead of the integer forms
  sse?: boolean; // XMM form cases (sse-programs.ts) instead
  mmx?: boolean; // cases of the forms on MM registers (mmx-programs.ts) instead
  runner?: RunnerKind; // how the host runs them (default native32: every case)
}

export interface DiffReport {
  seed: number;
  count: number; // --cases as given (for replay commands)
  cases: number; // cases run
  mismatches: number;
  kept: Mismatch[];
  byForm: Map<string, number>; // mismatches per form
  casesByForm: Map<string, number>;
  form?: string;
  x87?: boolean;
  sse?: boolean;
  mmx?: boolean;
  runner: RunnerKind;
  notRun: Map<string, number>; // cases this runner cannot run, by reason (host64 only)
  hostRepeated: number; // mismatching cases the host answered differently when asked again
}

export async function runDiff(seed: number, count: number, opts: DiffOptions = {}): Promise<DiffReport> {
  const batch = Math.max(1, opts.batch ?? 10_000);
  const keep = opts.keep ?? 20;
  const first = opts.only ?? 0;
  const total = opts.only !== undefined ? 1 : count;
  const kind = opts.runner ?? 'native32';
  const report: DiffReport = {
    seed,
    count,
    cases: 0,
    mismatches: 0,
    kept: [],
    byForm: new Map(),
    casesByForm: new Map(),
    form: opts.form,
    x87: opts.x87,
    sse: opts.sse,
    mmx: opts.mmx,
    runner: kind,
    notRun: new Map(),
    hostRepeated: 0,
  };
  const runner = new GlassboxRunner();
  const native = await HostOracle.start(kind);
  // The host's quirks are read once, at the oracle's start: the flags to ignore follow from them for every batch.
  const ignore = ignoring(native.quirks);
  try {
    for (let done = 0; done < total; ) {
      const n = Math.min(batch, total - done);
      const generated = opts.x87
        ? Array.from({ length: n }, (_, i) => generateX87(seed, first + done + i, opts.form))
        : opts.sse
          ? Array.from({ length: n }, (_, i) => generateSse(seed, first + done + i, opts.form))
          : opts.mmx
            ? Array.from({ length: n }, (_, i) => generateMmx(seed, first + done + i, opts.form))
            : generateCases(seed, n, { form: opts.form, first: first + done });
      const gen = generated.map((g) => ({ ...g, case: native.prepare(g.case) }));
      const host = await native.run(gen.map((g) => g.case)).catch((e: Error) => {
        throw new Error(`${e.message}\n(batch of cases ${first + done}..${first + done + n - 1}, seed ${seed}; replay one with --only)`);
      });
      const outcomes = gen.map((g, i) => {
        const h = host[i];
        return 'excluded' in h ? undefined : { ours: runner.run(g.case), host: h.result };
      });
      await confirmMismatches(native, gen, outcomes, report, ignore);
      gen.forEach((g, i) => {
        const h = host[i];
        if ('excluded' in h) {
          report.notRun.set(h.excluded, (report.notRun.get(h.excluded) ?? 0) + 1);
          return;
        }
        report.cases++;
        report.casesByForm.set(g.form, (report.casesByForm.get(g.form) ?? 0) + 1);
        const o = outcomes[i]!;
        const lines = differences(o.ours, o.host, ignore(g, o.host));
        if (!lines.length) return;
        report.mismatches++;
        report.byForm.set(g.form, (report.byForm.get(g.form) ?? 0) + 1);
        keepMismatch(report, { index: first + done + i, generated: g, lines }, keep);
      });
      done += n;
    }
  } finally {
    await native.close();
  }
  return report;
}

/**
 * The host is asked again about each case glassbox disagreed with: a
 * preemption between two instructions of a case can change what the host
 * stores (AMD's kernels overwrite the x87 pointers on a context switch, where
 * the harness's own checks cannot always see it), and one such run in 100,000
 * x87 cases was enough to fail CI. A mismatch stands against an outcome the
 * host gave twice in a row; the cases whose first outcome the host did not
 * repeat are counted in the report, and one it never repeats stays a mismatch.
 */
export async function confirmMismatches(
  native: Pick<HostOracle, 'run'>,
  gen: Generated[],
  outcomes: (Outcomes | undefined)[],
  report: Pick<DiffReport, 'hostRepeated'>,
  ignore: IgnoredFlags = (g) => g.ignoreFlags,
): Promise<void> {
  let doubtful = gen.flatMap((g, i) => (outcomes[i] && differences(outcomes[i].ours, outcomes[i].host, ignore(g, outcomes[i].host)).length ? [i] : []));
  const first = new Map(doubtful.map((i) => [i, outcomes[i]!.host]));
  for (let round = 0; round < HOST_ASKS && doubtful.length; round++) {
    const again = await native.run(doubtful.map((i) => gen[i].case));
    doubtful = doubtful.filter((i, k) => {
      const a = again[k];
      if ('excluded' in a) return false;
      const o = outcomes[i]!;
      if (!differences(a.result, o.host, 0).length) return false; // repeated: compared with this one
      if (round === 0) report.hostRepeated++;
      o.host = a.result;
      return true;
    });
  }
  for (const i of doubtful) outcomes[i]!.host = first.get(i)!;
}

/** The EFLAGS bits left out for a case, given the host's outcome. */
export type IgnoredFlags = (g: Generated, host: Result) => number;

/**
 * What the SDM leaves undefined for the case (the generator's ignoreFlags),
 * and on a host whose REP CMPS/SCAS suspended by a fault keeps its starting
 * flags (measured: Intel; AMD has the last iteration's, as glassbox does) the
 * arithmetic flags of such a case: the SDM defines only the registers that let
 * the instruction resume, not which comparison's flags a suspended one shows.
 */
function ignoring(q: HostQuirks): IgnoredFlags {
  if (!q.suspendedRepKeepsFlags) return (g) => g.ignoreFlags;
  return (g, host) => g.ignoreFlags | suspendedRepFlags(g.case, host);
}

/** One case's outcome in glassbox and on the host. */
export interface Outcomes {
  ours: Result;
  host: Result;
}

// How often the host is asked again about a case whose answer it did not repeat.
const HOST_ASKS = 3;

const required = (report: DiffReport, form: string) => !report.x87 || EXACT_X87.has(form.replace(/^x87 /, ''));

// The mismatches shown in full: those of required forms before any of the
// x87 forms only measured, so a failing run shows why it failed.
function keepMismatch(report: DiffReport, m: Mismatch, keep: number): void {
  const kept = report.kept;
  if (kept.length < keep) kept.push(m);
  else if (required(report, m.generated.form)) {
    let i = kept.length - 1;
    while (i >= 0 && required(report, kept[i].generated.form)) i--;
    if (i < 0) return;
    kept.splice(i, 1);
    kept.push(m);
  } else return;
  kept.sort((a, b) => Number(required(report, b.generated.form)) - Number(required(report, a.generated.form)) || a.index - b.index);
}

/** The u32 words of the case pages that glassbox changed running `c`. */
function glassboxMemoryChanges(runner: GlassboxRunner, c: Case): MemoryChanges {
  const data = new Uint32Array(DATA_SIZE / 4),
    stack = new Uint32Array(STACK_SIZE / 4);
  fillPages(c.seed, data, stack);
  const bytes = new Uint8Array(DATA_SIZE + STACK_SIZE);
  bytes.set(new Uint8Array(data.buffer), 0);
  bytes.set(new Uint8Array(stack.buffer), DATA_SIZE);
  const pristine = new DataView(bytes.buffer);
  const offset = (addr: number) => (addr < STACK_ADDR ? addr - DATA_ADDR : addr - STACK_ADDR + DATA_SIZE);
  for (const p of c.presets) pristine.setUint32(offset(p.addr), p.value >>> 0, true);
  runner.run(c);
  const ram = runner.core.ram;
  const live = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const out: MemoryChanges = new Map();
  const scan = (base: number, size: number) => {
    for (let a = base; a < base + size; a += 4) {
      const before = pristine.getUint32(offset(a), true),
        after = live.getUint32(a, true);
      if (before !== after) out.set(a, { before, after });
    }
  };
  scan(DATA_ADDR, DATA_SIZE);
  scan(STACK_ADDR, STACK_SIZE);
  return out;
}

/** A mismatch in full: the case, what differs, the memory words that differ, and how to replay it. */
export async function formatMismatch(m: Mismatch, report: DiffReport, runner?: GlassboxRunner): Promise<string[]> {
  const g = m.generated;
  const note = (g as { note?: string }).note;
  const out = [`case ${m.index} (${g.form})${note ? ` ${note}` : ''}`];
  for (const l of await describeCase(g.case)) out.push(`  ${l}`);
  if (g.ignoreFlags) out.push(`  flags left undefined (ignored): ${flagNames(g.ignoreFlags)}`);
  for (const l of m.lines) out.push(`  ${l}`);
  if (m.lines.some((l) => l.startsWith('memory'))) {
    try {
      const gb = glassboxMemoryChanges(runner ?? new GlassboxRunner(), g.case);
      const host = parseChanges(hostMemoryChanges(g.case, report.runner));
      for (const l of memoryDifferences(gb, host)) out.push(`    ${l}`);
    } catch (e) {
      out.push(`    (could not list the memory differences: ${(e as Error).message})`);
    }
  }
  const x87 = (report.x87 ? ' --x87' : '') + (report.sse ? ' --sse' : '') + (report.mmx ? ' --mmx' : '') + (report.runner === 'host64' ? ' --host64' : '');
  const form = report.form !== undefined ? ` --form '${report.form.replace(/'/g, `'\\''`)}'` : '';
  out.push(`  replay: npm run cpu:diff -- --seed ${report.seed} --cases ${report.count}${x87}${form} --only ${m.index}`);
  return out;
}

/** The whole report; its last line is always "cpu-diff: N cases, M mismatches". */
export async function formatReport(report: DiffReport): Promise<string> {
  const out: string[] = [];
  const runner = report.kept.length ? new GlassboxRunner() : undefined;
  for (const m of report.kept) {
    out.push(...(await formatMismatch(m, report, runner)), '');
  }
  if (report.mismatches > report.kept.length) out.push(`... and ${report.mismatches - report.kept.length} more`, '');
  if (report.byForm.size) {
    const forms = [...report.byForm].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f}: ${n}`);
    out.push(`mismatches by form: ${forms.join(', ')}`);
  }
  if (report.x87) out.push(...x87Rates(report));
  if (report.notRun.size) {
    const n = [...report.notRun.values()].reduce((a, b) => a + b, 0);
    out.push(`not run by the 64-bit runner (not the same instruction in 64-bit mode): ${n} cases`);
    for (const [why, k] of [...report.notRun].sort((a, b) => b[1] - a[1])) out.push(`  ${k}: ${why}`);
  }
  if (report.hostRepeated) out.push(`host outcomes not repeated when asked again (compared with a repeated one): ${report.hostRepeated} cases`);
  out.push(`cpu-diff: ${report.cases} cases, ${report.mismatches} mismatches`);
  return out.join('\n');
}

/** Mismatches required to be zero: those of the x87 forms claimed exact, or any integer form. */
export function requiredMismatches(report: DiffReport): number {
  if (!report.x87) return report.mismatches;
  let n = 0;
  for (const [form, count] of report.byForm) if (required(report, form)) n += count;
  return n;
}

// One line per x87 form: cases, mismatches and the rate, marked when the form is claimed exact.
function x87Rates(report: DiffReport): string[] {
  const out = ['x87 mismatch rate per form (* = required exact):'];
  for (const [form, cases] of [...report.casesByForm].sort((a, b) => a[0].localeCompare(b[0]))) {
    const bad = report.byForm.get(form) ?? 0;
    const id = form.replace(/^x87 /, '');
    out.push(`  ${EXACT_X87.has(id) ? '*' : ' '} ${id}: ${bad}/${cases} (${((100 * bad) / cases).toFixed(1)}%)`);
  }
  return out;
}
