// Where translated code stops: run() budgets cut regions at exactly the
// instruction the interpreter stops at, and an armed breakpoint inside a hot
// translated loop stops it at the same instruction count. The kernels are
// bench/kernels.asm (a register loop, a memory loop) in flat protected mode.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import type { Core, JitMode } from '../../src/core/core.ts';
import { OFF_BP_ARMED, OFF_BP_LINEAR } from '../../src/core-abi.ts';
import { kernelEntry, startKernel } from './kernels.ts';

function start(mode: JitMode, index: number, iterations: number): Core {
  const core = createCore(4 * 1024 * 1024);
  core.jit = mode;
  return startKernel(core, index, iterations);
}

/** Every stop of a run in slices of `slice` instructions: count, EIP, registers, EFLAGS. */
function slices(mode: JitMode, index: number, slice: number): string[] {
  const core = start(mode, index, 3000);
  const out: string[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const exit = core.run(slice);
    out.push(`${exit} ${core.instructions} ${core.eip.toString(16)} ${Array.from({ length: 8 }, (_, r) => core.reg(r).toString(16)).join(',')} ${core.eflags.toString(16)}`);
    if (exit !== 0) break;
  }
  return out;
}

describe('translated code stops where the interpreter stops', () => {
  for (const [name, index] of [
    ['register loop', 0],
    ['memory loop', 1],
  ] as const) {
    it(`in run() slices of odd sizes (${name})`, () => {
      for (const slice of [1, 7, 997]) {
        const interp = slices('off', index, slice);
        expect(interp.at(-1)).toMatch(/^1 /); // ended in HLT
        expect(slices('first', index, slice)).toEqual(interp);
        expect(slices('on', index, slice)).toEqual(interp);
      }
    });
  }

  it('at a breakpoint inside a hot translated loop', async () => {
    const at = async (mode: JitMode) => {
      const core = start(mode, 1, 100_000);
      expect(core.run(400_000)).toBe(0); // the loop is hot by now
      await core.jitSettled(); // and its region, compiled in the background, installed
      const mem = core.memory;
      mem.setUint32(OFF_BP_LINEAR, kernelEntry(1) + 12, true);
      mem.setUint32(OFF_BP_ARMED, 1, true);
      const exit = core.run(1_000_000);
      return { exit, instructions: core.instructions, eip: core.eip, compiled: core.jitStats.compiled };
    };
    const interp = await at('off');
    expect(interp.exit).toBe(5); // EXIT_BREAKPOINT
    const translated = await at('on');
    expect(translated.compiled).toBeGreaterThan(0);
    expect({ ...translated, compiled: 0 }).toEqual({ ...interp, compiled: 0 });
  });
});
