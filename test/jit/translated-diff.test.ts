// The differential cases run through translated code: every generated case
// (the integer forms, #UD probes and the x87 forms) runs once interpreted and
// once with the translator compiling each instruction on first execution,
// in the native harness's environment (CPL 3, paging, GS the TLS selector).
// The interpreter is the reference (it is itself checked against the host
// CPU by npm run cpu:diff): registers, EIP, EFLAGS, the exception, the memory
// hash, the instructions retired and the TLB counters must all be identical.

import { describe, expect, it } from 'vitest';
import { GlassboxRunner } from '../cpu-diff/glassbox.ts';
import { generateCases, type Generated } from '../cpu-diff/generator.ts';
import { generateX87 } from '../cpu-diff/x87.ts';

const SEED = 0x15eed;

function compare(gen: Generated[]): { mismatches: string[]; translated: number } {
  const interp = new GlassboxRunner('off');
  const jit = new GlassboxRunner('first');
  const mismatches: string[] = [];
  const before = jit.core.jitStats.compiled;
  gen.forEach((g, i) => {
    const count0 = [interp.core.instructions, jit.core.instructions];
    const a = interp.run(g.case);
    const b = jit.run(g.case);
    const ran = [interp.core.instructions - count0[0], jit.core.instructions - count0[1]];
    const sa = JSON.stringify({ ...a, retired: String(ran[0]) });
    const sb = JSON.stringify({ ...b, retired: String(ran[1]) });
    if (sa !== sb && mismatches.length < 10) mismatches.push(`case ${i} (${g.form}, code ${Buffer.from(g.case.code).toString('hex')}):\n  interpreted ${sa}\n  translated  ${sb}`);
  });
  for (const name of ['TLB_HIT', 'TLB_MISS', 'TLB_FLUSH', 'EXCEPTIONS'] as const) {
    if (interp.core.counter(name) !== jit.core.counter(name)) mismatches.push(`counter ${name}: interpreted ${interp.core.counter(name)}, translated ${jit.core.counter(name)}`);
  }
  return { mismatches, translated: jit.core.jitStats.compiled - before };
}

describe('translated code matches the interpreter', () => {
  it('on 20,000 generated integer cases and #UD probes', () => {
    const gen = generateCases(SEED, 20_000);
    const { mismatches, translated } = compare(gen);
    expect(mismatches).toEqual([]);
    // Most cases start with an instruction the translator compiles or steps.
    expect(translated).toBeGreaterThan(gen.length / 2);
  });

  it('on 3,000 generated x87 cases', () => {
    const gen = Array.from({ length: 3000 }, (_, i) => generateX87(SEED, i));
    const { mismatches, translated } = compare(gen);
    expect(mismatches).toEqual([]);
    expect(translated).toBeGreaterThan(gen.length / 2);
  });
});
