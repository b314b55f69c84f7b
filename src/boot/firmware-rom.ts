// A BIOS or test ROM image, checked, and where a PC puts it: the whole image
// ends at the top of the 32-bit address space (the CPU's first fetch after
// reset is 16 bytes below 4 GiB, the reset vector), and its last 128 KiB
// (or all of a smaller image) also appear below 1 MiB, ending at 0xFFFFF,
// where real-mode code runs it (the chipset's isa-bios alias).

import type { MmioDevice } from '../devices/mmio-bus.ts';

/** The largest image: the 256 KiB the PC keeps below 4 GiB for its flash (SeaBIOS's bios-256k.bin). */
export const ROM_MAX_BYTES = 256 * 1024;
/** The part of the image seen below 1 MiB: 0xE0000-0xFFFFF. */
export const ROM_LOW_BYTES = 128 * 1024;
/** 0xC0000-0xFFFFF: the option ROM area and the BIOS area. */
const ROM_SIDE_BYTES = 256 * 1024;
/** Opcodes that can start a reset vector: a far jump (what BIOSes use), a near or a short jump. */
const RESET_VECTOR_JUMPS = new Set([0xea, 0xe9, 0xeb]);

/** A ROM image that cannot be used, with the file's name and the reason. */
export class RomImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RomImageError';
  }
}

/** Checks a ROM image: a whole number of 4 KiB pages, at most 256 KiB, with a jump at its reset vector. */
export function checkRom(rom: Uint8Array, name: string): Uint8Array {
  if (rom.length === 0) throw new RomImageError(`${name}: an empty file is not a ROM image`);
  if (rom.length % 4096 || rom.length > ROM_MAX_BYTES) {
    throw new RomImageError(`${name}: ${rom.length} bytes is not a ROM image (a multiple of 4 KiB, at most ${ROM_MAX_BYTES / 1024} KiB; SeaBIOS's bios.bin is 128 KiB)`);
  }
  const vector = rom.length - 16;
  if (!RESET_VECTOR_JUMPS.has(rom[vector]!)) {
    throw new RomImageError(
      `${name}: no jump at the reset vector (byte 0x${rom[vector]!.toString(16).padStart(2, '0')} at offset 0x${vector.toString(16)}, 16 bytes before the end): not a BIOS or ROM image`,
    );
  }
  return rom;
}

/** Where the image starts below 4 GiB. */
export function romBase(rom: Uint8Array): number {
  return 0x100000000 - rom.length;
}

/**
 * What 0xC0000-0xFFFFF reads while the chipset routes it to the ROM side:
 * the image's last 128 KiB (or all of a smaller one) ending at 0xFFFFF,
 * zeros below (no option ROMs).
 */
export function romSideBelow1M(rom: Uint8Array): Uint8Array {
  const side = new Uint8Array(ROM_SIDE_BYTES);
  const length = Math.min(rom.length, ROM_LOW_BYTES);
  side.set(rom.subarray(rom.length - length), ROM_SIDE_BYTES - length);
  return side;
}

/** The image at the top of 4 GiB: read-only, as flash that is not being programmed. */
export class RomWindow implements MmioDevice {
  constructor(private readonly rom: Uint8Array) {}

  mmioRead(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= (this.rom[offset + i] ?? 0xff) << (8 * i);
    return v >>> 0;
  }

  mmioWrite(): void {}
}
