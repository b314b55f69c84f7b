// The i440FX's shadow RAM controls (PAM): a 128 KiB test ROM assembled
// here switches to 32-bit protected mode, runs on from the ROM's copy at the
// top of 4 GiB (which no PAM setting moves), and for three segments
// (0xC0000 under PAM1, 0xE0000 under PAM5, 0xF0000 under PAM0) writes and
// reads one byte in each read/write-enable setting, as a BIOS does when it
// shadows itself and write-protects the copy, writing every byte it reads
// to port 0x80. QEMU runs the same ROM on its i440FX with its debug console
// on port 0x80: glassbox must read the same bytes in the same order, except
// for the two reads in the write-only setting (attribute 10b), where QEMU
// reads DRAM (its PAM model has no write-only mode) and the 82441FX
// datasheet says reads go to the ROM side: there glassbox must read what
// the segment read at reset.

import { describe, expect, it } from 'vitest';
import { assembleRom, exitAndFlatGdt, romWorkDir, glassboxPostLines, missingForRoms, postLine, qemuPostCodes } from '../support/post-rom.ts';

const missing = missingForRoms();
if (missing) console.warn(`PAM test skipped: missing ${missing}`);

/** One segment's walk through the PAM settings: %1 its address, %2 the PAM register, %3 the nibble's shift. */
const SEGMENT_STEPS = `
%macro pam 3 ; register, attribute, shift
  mov eax, 0x80000000 | (%1 & 0xfc)
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc + (%1 & 3)
  mov al, %2 << %3
  out dx, al
%endmacro
%macro show 1
  mov al, [%1]
  out 0x80, al
%endmacro
%macro walk 3
  show %1               ; reset: reads the ROM side
  mov byte [%1], 0x5a   ; a write to the ROM side goes nowhere
  show %1
  pam %2, 3, %3         ; DRAM, read and write
  show %1
  mov byte [%1], 0xa5
  show %1
  pam %2, 1, %3         ; DRAM, read only: SeaBIOS's final setting
  mov byte [%1], 0x11
  show %1
  mov esi, 0xfffe0000 + marks
  mov edi, %1
  mov ecx, 2
  rep movsd             ; a string copy is dropped as well
  show %1
  show %1 + 4
  pam %2, 2, %3         ; writes to DRAM, reads from the ROM side
  show %1
  mov byte [%1], 0x22
  show %1
  pam %2, 3, %3
  show %1               ; the write went into DRAM
  show %1 + 4
  pam %2, 0, %3
  show %1
  pam %2, 1, %3
  show %1               ; DRAM kept its bytes while the ROM side was read
%endmacro
`;

/** Bytes each segment's walk shows, and which of them are read in the write-only setting. */
const SHOWN = 13;
const WRITE_ONLY_READS = [7, 8];

const ROM = `
bits 16
org 0
${SEGMENT_STEPS}
rom_side_e: db 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55
marks: db 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68
times 0x10000 - ($ - $$) db 0
start16:
  o32 lgdt [cs:gdtr - 0x10000] ; 32-bit operand: the base is above 16 MiB
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0xfffe0000 + pm)
bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x8000
  cld
  walk 0xc0000, 0x5a, 0
  walk 0xe0000, 0x5e, 0
  walk 0xe0000 + rom_side_f, 0x59, 4
${exitAndFlatGdt('0xfffe0000')}
rom_side_f: db 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d
times 0x20000 - 16 - ($ - $$) db 0
bits 16
reset:
  jmp 0xf000:(start16 - 0x10000)
times 0x20000 - ($ - $$) db 0
`;

describe.skipIf(missing !== '')('the i440FX PAM registers', () => {
  const dir = romWorkDir('gb-pam-');

  it('route reads and writes of 0xC0000-0xFFFFF between DRAM and the ROM as on QEMU', () => {
    const rom = assembleRom(dir, ROM);
    const qemu = qemuPostCodes(rom, dir);
    expect(qemu.length).toBe(3 * SHOWN);
    const expected = qemu.map((b, i) => (WRITE_ONLY_READS.includes(i % SHOWN) ? qemu[i - (i % SHOWN)]! : b)).map(postLine);
    const r = glassboxPostLines(rom);
    expect(r.lines).toEqual(expected);
    expect(r.status, r.stderr).toBe(0);
  });
});
