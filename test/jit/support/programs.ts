// Runs random programs interpreted and translated on first execution, in
// the differential harness's environment, and collects the first mismatches.

import { GlassboxRunner } from '../../cpu-diff/glassbox.ts';
import type { Case } from '../../cpu-diff/case.ts';

/** `prepare` sets up both runners' cores alike before the first program (a control register, the TSC). */
export function runBoth(
  count: number,
  program: (seed: number) => Case,
  prepare?: (r: GlassboxRunner) => void,
): { bad: string[]; interp: GlassboxRunner; jit: GlassboxRunner } {
  const interp = new GlassboxRunner('off');
  const jit = new GlassboxRunner('first');
  prepare?.(interp);
  prepare?.(jit);
  const bad: string[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const c = program(seed);
    const a = JSON.stringify(interp.run(c));
    const b = JSON.stringify(jit.run(c));
    if (a !== b && bad.length < 5) bad.push(`seed ${seed} code ${Buffer.from(c.code).toString('hex')}\n  interpreted ${a}\n  translated  ${b}`);
  }
  return { bad, interp, jit };
}
