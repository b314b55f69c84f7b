// One differential run: generate, execute on both sides, compare. Shared by the CLI and the test suite.

import { generateCases, type Generated } from './generator.ts';
import { runNative } from './native.ts';
import { GlassboxRunner } from './glassbox.ts';
import { differences } from './compare.ts';

export interface Mismatch {
  index: number;
  generated: Generated;
  lines: string[];
}

export interface DiffReport {
  cases: number;
  mismatches: Mismatch[];
  byForm: Map<string, number>;
}

export function runDiff(seed: number, count: number, opts: { form?: string; batch?: number; only?: number } = {}): DiffReport {
  const batch = opts.batch ?? 20_000;
  const runner = new GlassboxRunner();
  const mismatches: Mismatch[] = [];
  const byForm = new Map<string, number>();
  let done = 0;
  const start = opts.only ?? 0;
  const total = opts.only !== undefined ? 1 : count;
  while (done < total) {
    const n = Math.min(batch, total - done);
    const gen = generateCases(seed, n, { form: opts.form, first: start + done });
    const native = runNative(gen.map((g) => g.case));
    gen.forEach((g, i) => {
      byForm.set(g.form, (byForm.get(g.form) ?? 0) + 1);
      const lines = differences(runner.run(g.case), native[i], g.ignoreFlags);
      if (lines.length) mismatches.push({ index: start + done + i, generated: g, lines });
    });
    done += n;
  }
  return { cases: total, mismatches, byForm };
}
