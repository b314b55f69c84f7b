// A v86 PC with Debian's SeaBIOS and VGA BIOS, loaded and not yet running:
// the peer bench:boot (a kernel and initrd) and bench:bios (a disk) compare
// glassbox with.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const SEABIOS = '/usr/share/seabios/bios.bin';
const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';

/** A file as v86 takes it. */
export function v86File(path: string): { buffer: ArrayBuffer } {
  const b = readFileSync(path);
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer };
}

/** The emulator with `memoryMiB` of RAM and `media` (bzimage, initrd, cmdline, hda: v86's own options), once loaded. */
export async function loadV86(memoryMiB: number, media: Record<string, unknown>) {
  for (const f of [SEABIOS, VGABIOS]) if (!existsSync(f)) throw new Error(`${f} is missing: apt-get install seabios`);
  const { V86 } = await import('v86');
  const emulator = new V86({
    wasm_path: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
    memory_size: memoryMiB << 20,
    bios: v86File(SEABIOS),
    vga_bios: v86File(VGABIOS),
    ...media,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  await new Promise<void>((r) => emulator.add_listener('emulator-loaded', () => r()));
  return emulator;
}
