// FXSAVE/FXRSTOR cases: short programs whose whole FPU/SSE state lands in a
// 512-byte FXSAVE image, compared field by field with the image the host CPU
// stores (test/cpu-diff/fxsave.test.ts). ESI points at a 16-byte aligned
// image in the seeded data pages, EBX at the data pages.
//
//   restore: FXRSTOR [esi]; FXSAVE [esi]
//     The seeded fill is the image (x87 registers, XMM0-7, pointers, tags),
//     with a valid MXCSR preset; saved where it was restored, so the bytes
//     a 64-bit FXSAVE adds (XMM8-15, loaded from there) stay as they were.
//   x87: FXRSTOR [esi]; FNCLEX; FLD1; FLDZ; FILD m16 [ebx+4]; FXSAVE [esi]
//     The same, with the tags preset empty, the restored exceptions cleared
//     (else the loads raise #MF) and three exact loads, so the saved
//     registers ST0-ST2 are values an f64 register file holds exactly.

import { DATA_ADDR, type Case } from './case.ts';
import { Rng } from '../support/rng.ts';

/** Where the image sits (16-byte aligned, inside the data pages). */
export const IMAGE_ADDR = DATA_ADDR + 0x100; // low enough for the harness's one-byte FCS field index

const FXRSTOR_ESI = [0x0f, 0xae, 0x0e];
const FXSAVE_ESI = [0x0f, 0xae, 0x06];
const X87_LOADS = [0xdb, 0xe2, 0xd9, 0xe8, 0xd9, 0xee, 0xdf, 0x43, 0x04]; // FNCLEX; FLD1; FLDZ; FILD word [ebx+4]

// MXCSR values: the default, every flag and mask, each rounding mode, FZ, DAZ.
const MXCSR_EDGES = [0x1f80, 0x0000, 0xffff, 0x1fbf, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0x8040, 0x003f];

export type SseProgram = 'restore' | 'x87';

export function sseProgram(kind: SseProgram, seed: number, index: number): Case {
  const r = Rng.forCase(seed, index);
  const csr = r.chance(0.5) ? r.pick(MXCSR_EDGES) : r.next() & 0xffff;
  const presets = [{ addr: IMAGE_ADDR + 24, value: csr }];
  // x87: every register empty, TOP and the rest of the words from the fill (FOP stays random).
  if (kind === 'x87') presets.push({ addr: IMAGE_ADDR + 4, value: (r.next() & 0x07ff0000) >>> 0 });
  const code = kind === 'restore' ? [...FXRSTOR_ESI, ...FXSAVE_ESI] : [...FXRSTOR_ESI, ...X87_LOADS, ...FXSAVE_ESI];
  const regs = Array.from({ length: 8 }, () => r.next());
  regs[3] = DATA_ADDR;
  regs[4] = 0x5800;
  regs[6] = IMAGE_ADDR;
  return { seed: r.next(), regs, eflags: 0x202, code: new Uint8Array(code), presets };
}
