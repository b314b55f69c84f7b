// Checks against the recorded corpus (corpus.ts): glassbox replays every
// case and must end as the recorded CPU did; and, where this host has a
// native runner, a sample of the cases runs on this CPU again and must end
// as recorded (a changed oracle must be noticed, not absorbed).

import { GlassboxRunner } from './glassbox.ts';
import { differences, describeCase, flagNames } from './compare.ts';
import { loadCorpus, corpusCoverage, recordCommand, hostCpu, CORPUS_DIR, type CorpusMeta, type Entry } from './corpus.ts';
import { replayApprox } from './approx-corpus.ts';
import { approxSummary, approxMismatches, type ApproxReport } from './approx.ts';
import { HostOracle, type RunnerKind } from './host-oracle.ts';
import { NATIVE32_ONLY, ONLY_16_BIT_IN_64 } from './long-mode.ts';

export interface CorpusReport {
  meta: CorpusMeta;
  cases: number;
  mismatches: number;
  kept: { entry: Entry; lines: string[] }[];
  byForm: Map<string, number>;
  coverage: ReturnType<typeof corpusCoverage>;
  approx?: ApproxReport; // the RCPPS/RSQRTPS records, checked against their bound
}

/** Replays the corpus (or the one case `only`, "suite:index") in glassbox. */
export function replayCorpus(opts: { keep?: number; only?: string } = {}): CorpusReport {
  const { meta, entries: all } = loadCorpus();
  let entries = all;
  if (opts.only !== undefined) {
    entries = all.filter((e) => `${e.suite}:${e.index}` === opts.only);
    if (!entries.length) throw new Error(`the corpus has no case ${opts.only} (suites: ${meta.suites.map((s) => `${s.name} 0..${s.cases - 1}`).join(', ')})`);
  }
  const report: CorpusReport = { meta, cases: entries.length, mismatches: 0, kept: [], byForm: new Map(), coverage: corpusCoverage(meta, all) };
  const runner = new GlassboxRunner();
  for (const e of entries) {
    const lines = differences(runner.run(e.case), e.result, e.ignoreFlags, ['glassbox', 'recorded CPU']);
    if (!lines.length) continue;
    report.mismatches++;
    report.byForm.set(e.form, (report.byForm.get(e.form) ?? 0) + 1);
    if (report.kept.length < (opts.keep ?? 20)) report.kept.push({ entry: e, lines });
  }
  if (meta.approx && opts.only === undefined) {
    report.approx = replayApprox(CORPUS_DIR, meta.approx);
    report.cases += report.approx.records;
    report.mismatches += approxMismatches(report.approx);
  }
  return report;
}

/** The replay report; its last line is always "cpu-diff: N cases, M mismatches". */
export async function formatCorpusReport(r: CorpusReport): Promise<string> {
  const out: string[] = [];
  for (const { entry: e, lines } of r.kept) {
    out.push(`corpus case ${e.suite}:${e.index} (${e.form})`);
    for (const l of await describeCase(e.case)) out.push(`  ${l}`);
    if (e.ignoreFlags) out.push(`  flags left undefined (ignored): ${flagNames(e.ignoreFlags)}`);
    for (const l of lines) out.push(`  ${l}`);
    out.push(`  replay: npm run cpu:diff -- --corpus --case ${e.suite}:${e.index}`, '');
  }
  if (r.mismatches > r.kept.length) out.push(`... and ${r.mismatches - r.kept.length} more`, '');
  if (r.byForm.size)
    out.push(
      `mismatches by form: ${[...r.byForm]
        .sort((a, b) => b[1] - a[1])
        .map(([f, n]) => `${f}: ${n}`)
        .join(', ')}`,
    );
  if (r.approx) out.push(...approxSummary(r.approx));
  const m = r.meta;
  out.push(
    `corpus: recorded ${m.recorded.slice(0, 10)} on ${m.cpu.vendor} ${m.cpu.modelName} (family ${m.cpu.family} model ${m.cpu.model} stepping ${m.cpu.stepping}, microcode ${m.cpu.microcode}) by the ${m.runner} runner`,
  );
  const c = r.coverage;
  out.push(`forms covered: ${c.wanted.length - c.missing.length - c.native32Only.length} of ${c.wanted.length}`);
  if (c.native32Only.length) {
    const seed = m.command.match(/--seed (\d+)/)?.[1] ?? '1';
    out.push(
      `not in this corpus: ${c.native32Only.length} forms only a host that runs 32-bit x86 code can record (${NATIVE32_ONLY.length} forms differ in 64-bit mode); ` +
        `record them there with: ${recordCommand({ seed: Number(seed), cases: 40_000, x87Cases: 12_000, sseCases: 12_000, mmxCases: 6_000, approxCases: 4_000 })}`,
      `  ${c.native32Only.join(', ')}`,
      `and ${ONLY_16_BIT_IN_64.length} stack forms only with a 16-bit operand size (0x66): ${ONLY_16_BIT_IN_64.join(', ')}`,
    );
  }
  if (c.missing.length) out.push(`forms the corpus should hold but does not: ${c.missing.join(', ')}`);
  out.push(`cpu-diff: ${r.cases} cases, ${r.mismatches} mismatches`);
  return out.join('\n');
}

/**
 * Runs every `every`-th corpus case on this host's CPU through `kind` and
 * lists the cases whose outcome is not the recorded one (undefined flags
 * aside). Cases this runner cannot run are counted, not compared.
 */
export async function sampleOnHost(kind: RunnerKind, every: number): Promise<{ compared: number; excluded: number; disagreements: string[] }> {
  const { entries } = loadCorpus();
  const sample = entries.filter((_, i) => i % every === 0);
  const host = await HostOracle.start(kind);
  try {
    const outcomes = await host.run(sample.map((e) => e.case));
    let compared = 0,
      excluded = 0;
    const disagreements: string[] = [];
    sample.forEach((e, i) => {
      const o = outcomes[i];
      if ('excluded' in o) {
        excluded++;
        return;
      }
      compared++;
      const lines = differences(o.result, e.result, e.ignoreFlags, ['this CPU', 'recorded']);
      if (lines.length) disagreements.push(`${e.suite}:${e.index} (${e.form}): ${lines.join('; ')}`);
    });
    return { compared, excluded, disagreements };
  } finally {
    await host.close();
  }
}

/** Why this host's CPU cannot be held to the recording: another vendor. */
export function otherVendor(meta: CorpusMeta): string | null {
  const here = hostCpu().vendor;
  return here === meta.cpu.vendor ? null : `the corpus was recorded on ${meta.cpu.vendor}, this host is ${here}: vendors may differ beyond the flags the SDM leaves undefined`;
}
