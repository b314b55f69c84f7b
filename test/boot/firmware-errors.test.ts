// Bad firmware input gets a clear error naming the file and what is wrong,
// before anything runs: a missing, empty, short or garbage BIOS/ROM image,
// a missing or unusable disk image, and options that do not go together.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRom } from '../../src/boot/firmware-rom.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gb-fw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 4 KiB image whose reset vector holds `first`. */
function image(first: number): Uint8Array {
  const rom = new Uint8Array(4096);
  rom[4096 - 16] = first;
  return rom;
}

const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

const boot = (args: string[]) => glassboxSync(['boot', ...args], { timeoutMs: 60_000 });

describe('checkRom', () => {
  it('takes an image with a jump at its reset vector', () => {
    for (const op of [0xea, 0xe9, 0xeb]) expect(checkRom(image(op), 'r').length).toBe(4096);
  });

  it('refuses an empty, odd-sized, too large or jumpless image, naming it', () => {
    expect(() => checkRom(new Uint8Array(0), 'empty.bin')).toThrow(/empty\.bin: an empty file is not a ROM image/);
    expect(() => checkRom(new Uint8Array(1000), 'short.bin')).toThrow(/short\.bin: 1000 bytes is not a ROM image/);
    expect(() => checkRom(new Uint8Array(512 * 1024), 'big.bin')).toThrow(/big\.bin: 524288 bytes is not a ROM image \(a multiple of 4 KiB, at most 256 KiB/);
    expect(() => checkRom(image(0x00), 'zeros.bin')).toThrow(/zeros\.bin: no jump at the reset vector \(byte 0x00 at offset 0xff0/);
  });
});

describe('glassbox boot --bios / --rom with bad input', () => {
  it('names a missing BIOS file', () => {
    const r = boot(['--bios', join(dir, 'nope.bin')]);
    expect(r.stderr).toMatch(/glassbox: .*nope\.bin: no such file/);
    expect(r.status).toBe(2);
  });

  it('names a directory given as a ROM', () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    expect(boot(['--rom', d]).stderr).toMatch(/adir: a directory, not a ROM image/);
  });

  it('names a short file and a garbage one', () => {
    expect(boot(['--bios', file('short.bin', new Uint8Array(100))]).stderr).toMatch(/short\.bin: 100 bytes is not a ROM image/);
    const garbage = new Uint8Array(64 * 1024).map((_, i) => (i * 37 + 11) & 0x7f);
    expect(boot(['--bios', file('garbage.bin', garbage)]).stderr).toMatch(/garbage\.bin: no jump at the reset vector/);
  });

  it('names a missing or short disk image', () => {
    const rom = file('ok.bin', image(0xeb));
    expect(boot(['--bios', rom, '--disk', join(dir, 'nodisk.img')]).stderr).toMatch(/disk image .*nodisk\.img: no such file/);
    expect(boot(['--bios', rom, '--disk', file('tiny.img', new Uint8Array(100))]).stderr).toMatch(/disk image .*tiny\.img: 100 bytes is not a disk/);
  });

  it('refuses options that do not go together', () => {
    const rom = file('ok2.bin', image(0xeb));
    expect(boot(['--disk', file('d.img', new Uint8Array(512))]).stderr).toMatch(/--disk needs --bios FILE/);
    expect(boot(['--bios', rom, '--kernel', rom]).stderr).toMatch(/--kernel loads Linux directly; it cannot be used with --bios/);
    expect(boot(['--bios', rom, '--rom', rom]).stderr).toMatch(/not both/);
    expect(boot(['--rom', rom, '--disk', file('d2.img', new Uint8Array(512))]).stderr).toMatch(/--disk needs --bios: a test ROM/);
  });
});
