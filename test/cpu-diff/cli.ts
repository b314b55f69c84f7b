// npm run cpu:diff -- --cases N --seed S [--form ID] [--only I] [--batch K]
// Runs random cases on the host CPU and in glassbox and reports every difference.
// The last line is always "cpu-diff: N cases, M mismatches".

import { parseArgs } from 'node:util';
import { runDiff } from './run-diff.ts';
import { flagNames } from './compare.ts';
import { runNative } from './native.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    form: { type: 'string' },
    only: { type: 'string' },
    batch: { type: 'string', default: '20000' },
  },
});

const count = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1) throw new Error(`--cases must be a positive integer, got ${values.cases}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
const only = values.only !== undefined ? Number(values.only) : undefined;

const t0 = Date.now();
const report = runDiff(seed, count, { form: values.form, batch: Number(values.batch), only });
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
for (const m of report.mismatches.slice(0, 20)) {
  const c = m.generated.case;
  console.log(`\ncase ${m.index} (${m.generated.form}): ${hex(c.code)}`);
  console.log(`  regs ${c.regs.map((r) => '0x' + r.toString(16)).join(' ')} eflags 0x${c.eflags.toString(16)} presets ${JSON.stringify(c.presets)}`);
  if (m.generated.ignoreFlags) console.log(`  undefined flags ignored: ${flagNames(m.generated.ignoreFlags)}`);
  for (const l of m.lines) console.log('  ' + l);
  console.log(`  replay: npm run cpu:diff -- --seed ${seed}${values.form ? ` --form '${values.form}'` : ''} --only ${m.index}`);
  if (only !== undefined) runNative([c], true); // the host's memory changes, on stderr
}
if (report.mismatches.length > 20) console.log(`\n... and ${report.mismatches.length - 20} more`);
const byForm = new Map<string, number>();
for (const m of report.mismatches) byForm.set(m.generated.form, (byForm.get(m.generated.form) ?? 0) + 1);
if (byForm.size) console.log('\nmismatches by form: ' + [...byForm].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f}: ${n}`).join(', '));
console.error(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
console.log(`cpu-diff: ${report.cases} cases, ${report.mismatches.length} mismatches`);
process.exitCode = report.mismatches.length > 0 ? 1 : 0;
