// npm run cpu:diff -- --cases N --seed S [--x87 | --sse | --mmx] [--form ID] [--batch K] [--only I]
//   Runs random cases on the host CPU as a 32-bit process and in glassbox and
//   reports the differences: the first 20 in full, each with a replay
//   command. The last line is always "cpu-diff: N cases, M mismatches"; the
//   exit status is 1 when M > 0 (with --x87: when a form claimed exact
//   mismatches; every x87 form's mismatch rate is printed).
// ... --host64    the same with the 64-bit runner (long-mode.ts): the forms
//   that are the same instruction in 64-bit mode, for hosts that run no 32-bit code.
// ... --host64 --approx    RCPPS/RCPSS/RSQRTPS/RSQRTSS against their contract
//   (approx.ts): every lane of glassbox and of the host CPU within 1.5 * 2^-12
//   of the exact value, special cases bit for bit.
// ... --corpus [--case SUITE:I]    replays the recorded corpus (corpus.ts) in
//   glassbox, on any host.
// ... --record [--seed S --cases N --x87-cases M --sse-cases K --mmx-cases L]    records the corpus on
//   this host's CPU, with the 32-bit runner where it works, else the 64-bit one.
// Exit status 2: this host cannot run what was asked (one line says why and what it can do).

import { parseArgs } from 'node:util';
import { runDiff, formatReport, requiredMismatches } from './run-diff.ts';
import { replayCorpus, formatCorpusReport } from './corpus-check.ts';
import { recordCorpus, recordCommand, CORPUS_DIR } from './corpus.ts';
import { bestRunner, host64 } from './host-oracle.ts';
import { native32 } from '../support/host-features.ts';
import { runApprox, formatApprox, approxMismatches } from './approx.ts';

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${text}`);
  return v;
}

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    seed: { type: 'string', default: '1' },
    form: { type: 'string' },
    batch: { type: 'string', default: '10000' },
    only: { type: 'string' },
    x87: { type: 'boolean', default: false },
    sse: { type: 'boolean', default: false },
    mmx: { type: 'boolean', default: false },
    approx: { type: 'boolean', default: false },
    host64: { type: 'boolean', default: false },
    corpus: { type: 'boolean', default: false },
    case: { type: 'string' },
    record: { type: 'boolean', default: false },
    'x87-cases': { type: 'string', default: '12000' },
    'sse-cases': { type: 'string', default: '3000' },
    'mmx-cases': { type: 'string', default: '3000' },
    'approx-cases': { type: 'string', default: '4000' },
  },
});

const seed = integer('seed', values.seed, 0)! >>> 0;
const t0 = performance.now();
const timing = (cases: number) => {
  const seconds = (performance.now() - t0) / 1000;
  console.error(`(${seconds.toFixed(1)} s, ${Math.round(cases / seconds)} cases/s)`);
};
const cannot = (line: string) => {
  console.error(line);
  process.exit(2);
};

if (values.corpus) {
  const report = replayCorpus({ only: values.case });
  timing(report.cases);
  console.log(await formatCorpusReport(report));
  process.exitCode = report.mismatches > 0 || report.coverage.missing.length > 0 ? 1 : 0;
} else if (values.record) {
  const best = bestRunner();
  if ('reason' in best) cannot(`cpu-diff: this host has no native runner to record with (${best.reason})`);
  const kind = (best as { kind: 'native32' | 'host64' }).kind;
  const o = {
    seed,
    cases: integer('cases', values.cases ?? '40000', 1)!,
    x87Cases: integer('x87-cases', values['x87-cases'], 0)!,
    sseCases: integer('sse-cases', values['sse-cases'], 0)!,
    mmxCases: integer('mmx-cases', values['mmx-cases'], 0)!,
    approxCases: integer('approx-cases', values['approx-cases'], 0)!,
  };
  const meta = await recordCorpus({ ...o, runner: kind, command: recordCommand(o) });
  timing(o.cases + o.x87Cases + o.sseCases + o.mmxCases + o.approxCases);
  for (const s of meta.suites) {
    const notRun = Object.values(s.notRun).reduce((a, b) => a + b, 0);
    console.log(`${s.name}: ${s.cases} cases, ${s.bytes} bytes${notRun ? ` (${notRun} generated cases not run by the ${kind} runner)` : ''}`);
  }
  console.log(`recorded in ${CORPUS_DIR} on ${meta.cpu.vendor} ${meta.cpu.modelName} with the ${kind} runner; check it with: npm run cpu:diff -- --corpus`);
} else {
  const runner = values.host64 ? 'host64' : 'native32';
  const feature = values.host64 ? host64() : native32();
  if (!feature.ok) {
    cannot(
      values.host64
        ? `cpu-diff: the 64-bit runner does not work here (${feature.reason}); replay the recorded corpus instead: npm run cpu:diff -- --corpus`
        : `cpu-diff: ${feature.reason}; replay the recorded corpus instead (npm run cpu:diff -- --corpus), or run the forms that are the same in 64-bit mode live (npm run cpu:diff -- --host64)`,
    );
  }
  const count = integer('cases', values.cases ?? '10000', 1)!;
  if (values.approx) {
    const report = runApprox(seed, count);
    timing(report.records);
    console.log(formatApprox(report));
    process.exit(approxMismatches(report) > 0 ? 1 : 0);
  }
  const report = await runDiff(seed, count, {
    form: values.form,
    batch: integer('batch', values.batch, 1),
    only: integer('only', values.only, 0),
    x87: values.x87,
    sse: values.sse,
    mmx: values.mmx,
    runner,
  });
  timing(report.cases);
  console.log(await formatReport(report));
  process.exitCode = requiredMismatches(report) > 0 ? 1 : 0;
}
