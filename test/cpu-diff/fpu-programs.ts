// The FNSAVE cases of the FPU view's test (test/inspect/fpu-view.test.ts):
// a short x87 program that leaves a known FPU state, and the same program
// with FNSAVE [ebx+0x40] after it, whose image on the host CPU is what the
// view must show. The corpus records them too (corpus.ts).

import { DATA_ADDR, type Case } from './case.ts';

// FNINIT; FLDCW [ebx]; FLD1; FLDZ; FILD m16 [ebx+4]; FILD m16 [ebx+6]: 7, -3, 0, 1 from ST0 down
const PROGRAM = [0xdb, 0xe3, 0xd9, 0x2b, 0xd9, 0xe8, 0xd9, 0xee, 0xdf, 0x43, 0x04, 0xdf, 0x43, 0x06];
const FNSAVE = [0xdd, 0x73, 0x40]; // FNSAVE [ebx+0x40]
/** Where FNSAVE puts its image. */
export const SAVE_ADDR = DATA_ADDR + 0x40;

export const FPU_VIEW_CASES = [
  { what: 'FDIV ST, ST(3) by 1, exceptions masked', control: 0x027f, last: [0xd8, 0xf3], raised: [] as string[] },
  { what: 'FDIV ST, ST(2) by 0 with ZE unmasked: the exception pending, ST0 kept', control: 0x027b, last: [0xd8, 0xf2], raised: ['ZE'] },
] as const;

/** The program ending with `last`, and FNSAVE after it when `save`. */
export function fpuProgram(control: number, last: readonly number[], save: boolean): Case {
  const regs = [0, 0, 0, DATA_ADDR, 0x5800, 0, 0, 0];
  const presets = [
    { addr: DATA_ADDR, value: control },
    { addr: DATA_ADDR + 4, value: 0x0007fffd }, // the 16-bit integers -3 and 7
  ];
  return { seed: 0x5eed, regs, eflags: 0x202, code: new Uint8Array([...PROGRAM, ...last, ...(save ? FNSAVE : [])]), presets };
}
