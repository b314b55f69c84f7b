// bench/kernels.asm's loops (a register loop, a memory loop) set up on a core
// in flat protected mode, for the tests that compare translated runs with
// interpreted ones.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Core } from '../../src/core/core.ts';
import { projectPath } from '../../src/paths.ts';
import { flatRing0 } from '../support/flat-ring0.ts';

export const CODE = 0x10000,
  BUFFER = 0x100000;
const STACK_TOP = 0x90000,
  RETURN_TO = 0xf000;

/** Assembles `source` (a path in the project) with nasm into a flat binary. */
export function nasm(source: string): Uint8Array {
  mkdirSync(projectPath('build', 'jit'), { recursive: true });
  const out = projectPath('build', 'jit', source.replace(/.*\//, '').replace(/\.asm$/, '.bin'));
  execFileSync('nasm', ['-f', 'bin', '-o', out, projectPath(source)]);
  return new Uint8Array(readFileSync(out));
}

export const KERNELS = nasm('bench/kernels.asm');

/** The linear address of kernel `index` (its entry in the table at the start). */
export function kernelEntry(index: number): number {
  return CODE + new DataView(KERNELS.buffer, KERNELS.byteOffset).getUint32(index * 4, true);
}

/** Loads the kernels into `core` and sets it at kernel `index` for `iterations`, returning to a HLT. */
export function startKernel(core: Core, index: number, iterations: number): Core {
  core.ram.set(KERNELS, CODE);
  core.ram[RETURN_TO] = 0xf4;
  core.ram.fill(1, BUFFER, BUFFER + 0x10000);
  flatRing0(core);
  const view = new DataView(core.ram.buffer, core.ram.byteOffset);
  view.setUint32(STACK_TOP - 12, RETURN_TO, true);
  view.setUint32(STACK_TOP - 8, iterations, true);
  view.setUint32(STACK_TOP - 4, BUFFER, true);
  core.setReg(4, STACK_TOP - 12);
  core.eip = kernelEntry(index);
  core.eflags = 2;
  return core;
}
