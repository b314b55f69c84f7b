// What x87-pointers.ts leaves out of the comparison, on any host: nothing for
// a CPU that declares no x87 quirk (the AMD that recorded the corpus), and
// for one that does only the fields it declares, FOP and FDP kept while an
// unmasked exception is pending.

import { describe, expect, it } from 'vitest';
import { DATA_ADDR } from './case.ts';
import { x87Quirks, NO_X87_QUIRKS } from './host-quirks.ts';
import { generateX87 } from './x87.ts';
import { FPU_VIEW_CASES, SAVE_ADDR, fpuProgram } from './fpu-programs.ts';
import { hideX87Pointers, imageStores, withHiddenPointers } from './x87-pointers.ts';

// The Intel CI host's CPUID (measured: bits 6 and 13 set); an AMD CPU whose leaf 7 EBX has neither bit.
const EMERALD_RAPIDS = x87Quirks({ vendor: 'GenuineIntel', family: 6, model: 207, leaf7ebx: 0xf1bf2ffb });
const EPYC = x87Quirks({ vendor: 'AuthenticAMD', family: 26, model: 2, leaf7ebx: 0 });

/** An FNSAVE image at SAVE_ADDR with every pointer field set, and FSW as given. */
function image(fsw: number): Map<number, number> {
  return new Map([
    [SAVE_ADDR + 4, 0xffff0000 | fsw],
    [SAVE_ADDR + 12, 0x7010], // FIP
    [SAVE_ADDR + 16, 0x06f30023], // FOP 0x6f3, FCS 0x23
    [SAVE_ADDR + 20, 0x2006], // FDP
    [SAVE_ADDR + 24, 0xffff002b], // FDS
  ]);
}

function hidden(program: ReturnType<typeof fpuProgram>, fsw: number): number[] {
  const words = image(fsw);
  hideX87Pointers(withHiddenPointers(program, EMERALD_RAPIDS), { get: (a) => words.get(a) ?? 0, set: (a, v) => words.set(a, v >>> 0) });
  return [12, 16, 20, 24].map((at) => words.get(SAVE_ADDR + at)!);
}

describe('x87 pointer fields left out by host', () => {
  it('leaves every case as it is on a CPU without x87 quirks', () => {
    expect(EPYC).toEqual(NO_X87_QUIRKS);
    for (let i = 0; i < 200; i++) {
      const c = generateX87(1, i).case;
      expect(withHiddenPointers(c, EPYC)).toBe(c);
    }
  });

  it('finds the images a program stores and what last set their pointers', () => {
    const fnstenv = generateX87(1, 0, 'FNSTENV').case;
    expect(imageStores(fnstenv)).toEqual([
      { fcsField: DATA_ADDR + 12 + 16, fxsave: false, source: 'memory' }, // FLD m32 [ebx+8] before it
      { fcsField: SAVE_ADDR + 16, fxsave: false, source: 'memory' },
    ]);
    expect(imageStores(fpuProgram(0x27f, [0xd8, 0xf3], true))).toEqual([{ fcsField: SAVE_ADDR + 16, fxsave: false, source: 'register' }]);
  });

  it('clears FCS and FDS always, FOP and FDP only while no unmasked exception is pending', () => {
    const afterMemory = fpuProgram(0x27f, [0xd8, 0x73, 0x04], true); // FDIV m32 [ebx+4]
    expect(hidden(afterMemory, 0)).toEqual([0x7010, 0, 0, 0xffff0000]);
    expect(hidden(afterMemory, 0x80)).toEqual([0x7010, 0x06f30000, 0x2006, 0xffff0000]);
    // After an instruction without a memory operand FDP is undefined (SDM vol. 1, 8.1.8): left out even then.
    const afterRegister = fpuProgram(FPU_VIEW_CASES[1].control, FPU_VIEW_CASES[1].last, true);
    expect(hidden(afterRegister, 0x80)).toEqual([0x7010, 0x06f30000, 0, 0xffff0000]);
  });
});
