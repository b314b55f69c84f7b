// The Multiboot loader: a kernel placed by the header's address fields runs
// the same in QEMU and glassbox (the ELF path is what every system test
// uses), `glassbox boot --kernel` runs such programs, and images the loader
// cannot take are refused with the reason.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMultiboot } from '../../src/boot/multiboot.ts';
import { projectPath } from '../../src/paths.ts';
import { runGlassbox, runQemu } from '../system/runner.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

function assembleFixture(name: string): string {
  mkdirSync(projectPath('build', 'system'), { recursive: true });
  const out = projectPath('build', 'system', `${name}.bin`);
  execFileSync('nasm', ['-f', 'bin', '-o', out, projectPath('test', 'boot', 'multiboot', `${name}.asm`)]);
  return out;
}

/** A Multiboot header with `flags` (checksum right) at offset 0, then `extra` bytes. */
function header(flags: number, extra: number[] = []): Uint8Array {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, -(0x1badb002 + flags) >>> 0, true);
  b.set(extra, 12);
  return b;
}

describe('Multiboot loader', () => {
  it('loads a kernel by its header address fields as QEMU does', async () => {
    const bin = assembleFixture('aout-kludge');
    const ours = runGlassbox(bin);
    expect(ours).toBe(await runQemu(bin));
    expect(ours.split('\n')[0]).toBe('2BADB002');
  });

  it('runs under glassbox boot --kernel with the exit status QEMU gives', () => {
    const bin = assembleFixture('aout-kludge');
    const r = glassboxSync(['boot', '--kernel', bin], { timeoutMs: 60_000 });
    expect(r.stdout.split('\n')[0]).toBe('2BADB002');
    expect(r.status).toBe(1);
  });

  it('refuses what it cannot load, naming the reason', () => {
    expect(() => parseMultiboot(new Uint8Array(100), 'k')).toThrow(/k: no Multiboot header/);
    expect(() => parseMultiboot(header(4), 'k')).toThrow(/graphics video mode/);
    expect(() => parseMultiboot(header(8), 'k')).toThrow(/features 0x8/);
    expect(() => parseMultiboot(header(0), 'k')).toThrow(/must be an ELF file/);
    // Address fields: header at 0x100000, load from 0x100000 to 0x200000, longer than the file.
    const addr = [0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0, 0, 0, 0, 0, 0, 0x10, 0];
    expect(() => parseMultiboot(header(0x10000, addr), 'k')).toThrow(/load_end_addr 0x200000 lies outside the file/);
  });

  it('refuses an ELF kernel for another machine', () => {
    const elf = new Uint8Array(readFileSync(process.execPath).subarray(0, 8192));
    elf.set(header(0).subarray(0, 12), 4096);
    expect(() => parseMultiboot(elf, 'node')).toThrow(/node: (only 32-bit little-endian ELF|the ELF file is not for i386)/);
  });
});
