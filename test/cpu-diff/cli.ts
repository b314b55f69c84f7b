// npm run cpu:diff -- --cases N --seed S [--x87] [--form ID] [--batch K] [--only I]
// Runs random cases on the host CPU and in glassbox and reports the
// differences: the first 20 in full, each with a replay command. The last
// line is always "cpu-diff: N cases, M mismatches"; the exit status is 1
// when M > 0 (with --x87: when a form claimed exact mismatches; every x87
// form's mismatch rate is printed).

import { parseArgs } from 'node:util';
import { runDiff, formatReport, requiredMismatches } from './run-diff.ts';

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${text}`);
  return v;
}

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    form: { type: 'string' },
    batch: { type: 'string', default: '10000' },
    only: { type: 'string' },
    x87: { type: 'boolean', default: false },
  },
});

const count = integer('cases', values.cases, 1)!;
const seed = integer('seed', values.seed, 0)! >>> 0;
const t0 = performance.now();
const report = await runDiff(seed, count, {
  form: values.form,
  batch: integer('batch', values.batch, 1),
  only: integer('only', values.only, 0),
  x87: values.x87,
});
const seconds = (performance.now() - t0) / 1000;
console.error(`(${seconds.toFixed(1)} s, ${Math.round(report.cases / seconds)} cases/s)`);
console.log(await formatReport(report));
process.exitCode = requiredMismatches(report) > 0 ? 1 : 0;
