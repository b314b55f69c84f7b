// The differential run's second question to the host (run-diff.ts,
// confirmMismatches): a case glassbox disagrees with is run on the host
// again, and compared with an outcome the host gives twice in a row. The
// host here is a stand-in that answers from a script, as a preempted host
// might, so the rule is checked on any machine.

import { describe, expect, it } from 'vitest';
import { confirmMismatches, type Outcomes } from './run-diff.ts';
import type { Generated } from './generator.ts';
import type { Outcome } from './host-oracle.ts';
import type { Case, Result } from './case.ts';

const result = (eax: number): Result => ({
  regs: [eax, 0, 0, 0, 0x5800, 0, 0, 0],
  eip: 0x1000,
  eflags: 0x202,
  vector: 3,
  errorCode: 0,
  faultAddr: 0,
  segs: [0x2b, 0x23, 0x2b, 0x2b, 0x2b, 0x63],
  memHash: [1, 2],
});

const generated = (seed: number): Generated => ({
  case: { seed, regs: [0, 0, 0, 0, 0x5800, 0, 0, 0], eflags: 0x202, code: new Uint8Array([0x90]), presets: [] },
  form: 'NOP',
  ignoreFlags: 0,
});

/** A host answering each case (by seed) asked again from its script, one answer per question, the last one repeated. */
function scriptedHost(script: Map<number, number[]>) {
  const asked = new Map<number, number>();
  return {
    asked,
    run: async (cases: Case[]): Promise<Outcome[]> =>
      cases.map((c) => {
        const n = asked.get(c.seed) ?? 0;
        asked.set(c.seed, n + 1);
        const answers = script.get(c.seed)!;
        return { result: result(answers[Math.min(n, answers.length - 1)]) };
      }),
  };
}

describe('a mismatch is confirmed against an outcome the host repeats', () => {
  it('compares with the repeated outcome when the first was a one-off, and counts it', async () => {
    // Case 1: first answer 7 (glassbox says 5), then 5 twice. Case 2: agrees at once.
    const host = scriptedHost(
      new Map([
        [1, [5, 5]],
        [2, [5]],
      ]),
    );
    const gen = [generated(1), generated(2)];
    const outcomes: Outcomes[] = [
      { ours: result(5), host: result(7) },
      { ours: result(5), host: result(5) },
    ];
    const report = { hostRepeated: 0 };
    await confirmMismatches(host, gen, outcomes, report);
    expect(outcomes[0].host.regs[0]).toBe(5);
    expect(report.hostRepeated).toBe(1);
    expect(host.asked.get(2)).toBeUndefined(); // agreement is not asked about again
  });

  it('keeps a mismatch the host repeats, asking once', async () => {
    const host = scriptedHost(new Map([[1, [7]]]));
    const outcomes: Outcomes[] = [{ ours: result(5), host: result(7) }];
    const report = { hostRepeated: 0 };
    await confirmMismatches(host, [generated(1)], outcomes, report);
    expect(outcomes[0].host.regs[0]).toBe(7);
    expect(report.hostRepeated).toBe(0);
    expect(host.asked.get(1)).toBe(1);
  });

  it('keeps the first outcome when the host never repeats one, even one that would agree', async () => {
    // Answers 7, then 8, 9, 5: the last agrees with glassbox but is never given twice.
    const host = scriptedHost(new Map([[1, [8, 9, 5, 6]]]));
    const outcomes: Outcomes[] = [{ ours: result(5), host: result(7) }];
    const report = { hostRepeated: 0 };
    await confirmMismatches(host, [generated(1)], outcomes, report);
    expect(outcomes[0].host.regs[0]).toBe(7);
    expect(report.hostRepeated).toBe(1);
  });
});
