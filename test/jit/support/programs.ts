// Runs random programs interpreted and translated on first execution, in
// the differential harness's environment, and collects the first mismatches.

import { GlassboxRunner } from '../../cpu-diff/glassbox.ts';
import type { Case } from '../../cpu-diff/case.ts';
import { Rng } from '../../support/rng.ts';
import { expect } from 'vitest';

export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

const EDGE = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/**
 * A case of `length` instructions from `instruction` (after `prologue` and
 * before `epilogue`, both from the same random stream), then INT3, with the
 * registers at edge values or random, ESP in the stack page, and `regs`
 * adjusting them for what the forms need.
 */
export function randomProgram(
  seed: number,
  instruction: (next: () => number) => number[],
  opts: { length?: number; prologue?: (next: () => number) => number[]; epilogue?: number[]; regs?: (regs: number[], next: () => number) => void } = {},
): Case {
  const r = new Rng(seed);
  const next = () => r.next();
  const code: number[] = opts.prologue?.(next) ?? [];
  for (let i = 0; i < (opts.length ?? 8); i++) code.push(...instruction(next));
  code.push(...(opts.epilogue ?? []), 0xcc);
  const regs = Array.from({ length: 8 }, () => (next() % 2 ? EDGE[next() % EDGE.length] : next()) >>> 0);
  regs[4] = 0x5800;
  opts.regs?.(regs, next);
  return { seed, regs, eflags: (next() & 0xcd5) | 0x202, code: new Uint8Array(code), presets: [] };
}

/**
 * Runs `count` programs both ways and expects the same results, the same
 * instruction count, at least `faults` exceptions (the edges do fault), and
 * no form matching `forms` handed to the interpreter (`prepare`: as runBoth's).
 */
export function expectCompiledAlike(count: number, program: (seed: number) => Case, forms: RegExp, faults: number, prepare?: (r: GlassboxRunner) => void): void {
  const { bad, interp, jit } = runBoth(count, program, prepare);
  expect(bad).toEqual([]);
  expect(interp.core.instructions).toBe(jit.core.instructions);
  expect(interp.core.counter('EXCEPTIONS')).toBeGreaterThan(faults);
  expect(jit.core.jitStats.handedOver.filter((h) => forms.test(h.form))).toEqual([]);
}

/** `prepare` sets up both runners' cores alike before the first program (a control register, the TSC). */
export function runBoth(count: number, program: (seed: number) => Case, prepare?: (r: GlassboxRunner) => void): { bad: string[]; interp: GlassboxRunner; jit: GlassboxRunner } {
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
