// How regions are formed and where they are compiled: a page's second region
// leaves the blocks of its first out (and is chained to them), and the
// regions compiled in Node's worker thread run the bench kernels exactly as
// the interpreter does.

import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.ts';
import { coreModule } from '../../src/core/load-node.ts';
import { findRegion } from '../../src/core/jit/region.ts';
import { threadCompiler } from '../../src/core/jit/thread-compiler.ts';
import type { RegionCompiler } from '../../src/core/jit/compile-job.ts';
import { BUFFER, nasm, startKernel } from './kernels.ts';

describe('region formation', () => {
  const bin = nasm('test/jit/region-compile.asm');
  const page = new Uint8Array(4096);
  page.set(bin);
  const dv = new DataView(page.buffer);
  const [outer, inner] = [dv.getUint32(0, true), dv.getUint32(4, true)];

  it('leaves out the blocks another region of the page compiled', () => {
    const alone = findRegion(page, outer)!;
    expect(alone.starts.slice(0, 2)).toEqual([outer, inner]); // the jump's target is a block of its own
    const first = findRegion(page, inner)!;
    expect(first.starts[0]).toBe(inner);
    const second = findRegion(page, outer, new Set(first.starts))!;
    expect(second.starts).toEqual([outer]);
    expect([...second.insns.keys()].every((off) => off < inner)).toBe(true);
  });
});

/** bench/kernels.asm's kernel `index` for `iterations` on a core compiling with `compiler`. */
function start(compiler: RegionCompiler | undefined, jit: 'off' | 'on', index: number, iterations: number): Core {
  return startKernel(Core.create(coreModule(), 4 * 1024 * 1024, {}, { jit, compiler }), index, iterations);
}

describe('regions compiled in the worker thread', () => {
  for (const [name, index] of [
    ['register loop', 0],
    ['memory loop', 1],
  ] as const) {
    it(`run the ${name} as the interpreter does`, async () => {
      const finish = async (core: Core) => {
        // Hot after the first slice; the compiled module lands while the core waits, then runs to the HLT.
        core.run(400_000);
        await core.jitSettled();
        let exit = 0;
        for (let guard = 0; guard < 1000 && exit === 0; guard++) exit = core.run(1_000_000);
        const ram = core.ram.slice(BUFFER, BUFFER + 0x10000);
        return {
          state: `${exit} ${core.instructions} ${core.eip.toString(16)} ${Array.from({ length: 8 }, (_, r) => core.reg(r).toString(16))} ${core.eflags.toString(16)}`,
          ram,
          stats: core.jitStats,
        };
      };
      const interp = await finish(start(undefined, 'off', index, 200_000));
      const threaded = await finish(start(threadCompiler, 'on', index, 200_000));
      expect(interp.state).toMatch(/^1 /); // ended in HLT
      expect(threaded.state).toBe(interp.state);
      expect(threaded.ram).toEqual(interp.ram);
      expect(threaded.stats.failures).toEqual([]);
      expect(threaded.stats.compiled).toBeGreaterThan(0);
      expect(threaded.stats.translatedInstructions).toBeGreaterThan(threaded.stats.instructions / 2);
    }, 120_000);
  }
});
