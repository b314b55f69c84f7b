// jitStats.handedOver: what compiled code gives back to the interpreter, by
// form and how often. A loop in flat protected mode runs, translated on first
// execution, a form the translator steps (CPUID, through jitStep) and one it
// ends the region at (INVLPG, a privileged instruction that changes the TLB): the counts must be
// the loop's iteration count, and a form it compiles (DEC) must not appear.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import type { JitMode } from '../../src/core/core.ts';
import { flatRing0 } from '../support/flat-ring0.ts';

const CODE = 0x10000,
  STACK_TOP = 0x90000,
  N = 500;

function run(mode: JitMode) {
  const core = createCore(4 * 1024 * 1024);
  core.jit = mode;
  const code = [
    0xbe,
    N & 0xff,
    N >> 8,
    0,
    0, // mov esi, N (CPUID writes EAX EBX ECX EDX)
    0x31,
    0xc0, // L: xor eax, eax
    0x0f,
    0xa2, // cpuid
    0x0f,
    0x01,
    0x3e, // invlpg [esi]
    0x4e, // dec esi
    0x75,
    0xf6, // jnz L
    0xf4, // hlt
  ];
  core.ram.set(code, CODE);
  flatRing0(core);
  core.setReg(4, STACK_TOP);
  core.eip = CODE;
  core.eflags = 2;
  const exit = core.run(1_000_000);
  return { exit, eip: core.eip, regs: Array.from({ length: 8 }, (_, r) => core.reg(r)), instructions: core.instructions, stats: core.jitStats };
}

describe('jitStats.handedOver', () => {
  it('counts each form compiled code hands to the interpreter, as often as it does', () => {
    const interp = run('off');
    const jit = run('first');
    expect(interp.exit).toBe(1); // HLT
    expect({ ...jit, stats: null }).toEqual({ ...interp, stats: null });
    const count = (how: string, form: RegExp) => jit.stats.handedOver.filter((h) => h.how === how && form.test(h.form)).reduce((n, h) => n + h.count, 0);
    expect(count('step', /^CPUID/)).toBe(N);
    expect(count('stop', /^INVLPG/)).toBe(N);
    expect(jit.stats.handedOver.some((h) => /^DEC/.test(h.form))).toBe(false);
    expect(interp.stats.handedOver).toEqual([]);
  });
});
