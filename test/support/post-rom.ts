// Test ROMs that report through POST codes: assembled with nasm, run from
// the reset vector in QEMU (its debug console moved to port 0x80, so every
// code lands in a file; isa-debug-exit at 0xF4 ends it) and in glassbox
// (`glassbox boot --rom`, which prints them as `post:` lines).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { glassboxSync } from './glassbox-cli.ts';

const QEMU = 'qemu-system-i386';
const runs = (cmd: string, args: string[]) => spawnSync(cmd, args).error === undefined;

/** What the ROM tests need that the host lacks, by package ('' when nothing). */
export function missingForRoms(): string {
  return [!runs('nasm', ['-v']) && 'nasm', !runs(QEMU, ['--version']) && `${QEMU} (qemu-system-x86)`].filter(Boolean).join(', ');
}

/**
 * The end of a test ROM in protected mode, as nasm lines: exit through
 * isa-debug-exit (QEMU ends there; glassbox has no such port and halts with
 * interrupts off), then the flat GDT (null, 32-bit code 0x08, data 0x10) and
 * its descriptor, for `lgdt [gdtr]`; `base` is the linear address of the
 * ROM's offset 0 as the code that loads it sees it.
 */
export function exitAndFlatGdt(base: string): string {
  return `
  mov al, 0
  out 0xf4, al
  cli
  hlt
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff ; flat 32-bit code
  dq 0x00cf92000000ffff ; flat data
gdtr:
  dw 23
  dd ${base} + gdt
`;
}

/** A scratch directory for a describe block's ROM and QEMU files, removed after the block. */
export function romWorkDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Assembles `source` into dir/rom.bin; returns its path. */
export function assembleRom(dir: string, source: string): string {
  writeFileSync(join(dir, 'rom.asm'), source);
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', join(dir, 'rom.bin'), join(dir, 'rom.asm')], { encoding: 'utf8' });
  expect(asm.stderr).toBe('');
  return join(dir, 'rom.bin');
}

/** The POST codes the ROM writes on QEMU's i440FX PC, in order, once it exits through isa-debug-exit. */
export function qemuPostCodes(rom: string, dir: string): number[] {
  const post = join(dir, 'post.bin');
  const q = spawnSync(
    QEMU,
    [
      '-M',
      'pc',
      '-accel',
      'tcg',
      '-bios',
      rom,
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-nodefaults',
      '-debugcon',
      `file:${post}`,
      '-global',
      'isa-debugcon.iobase=0x80',
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=4',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(q.error, 'QEMU did not finish within 60 s').toBeUndefined();
  expect(q.status, q.stderr).toBe(1); // isa-debug-exit: (0 << 1) | 1
  return [...readFileSync(post)];
}

/** `post: 0x..` as glassbox prints a code. */
export const postLine = (code: number) => `post: 0x${code.toString(16).padStart(2, '0')}`;

/** The `post:` lines glassbox prints for the ROM, and its exit status (0 at a halt with interrupts off). */
export function glassboxPostLines(rom: string): { lines: string[]; status: number | null; stderr: string } {
  const r = glassboxSync(['boot', '--rom', rom], { timeoutMs: 60_000 });
  return { lines: r.stderr.split('\n').filter((l) => l.startsWith('post: ')), status: r.status, stderr: r.stderr };
}
