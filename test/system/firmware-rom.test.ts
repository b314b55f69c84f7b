// glassbox boot --rom: a 64 KiB test ROM assembled here with nasm starts at
// the reset vector (16 bytes below 4 GiB), jumps into its copy below 1 MiB,
// computes in real mode, switches to 32-bit protected mode and computes
// there, writing POST codes to port 0x80 along the way, then halts with
// interrupts off. QEMU runs the same ROM with its debug console moved to
// port 0x80 (so every POST code lands in a file) and isa-debug-exit to end
// it: the CLI must show the same codes in the same order.

import { describe, expect, it } from 'vitest';
import { assembleRom, exitAndFlatGdt, romWorkDir, glassboxPostLines, missingForRoms, postLine, qemuPostCodes } from '../support/post-rom.ts';

const missing = missingForRoms();
if (missing) console.warn(`ROM test skipped: missing ${missing}`);

const ROM = `
bits 16
org 0
start:
  mov al, 0x01
  out 0x80, al
  xor cx, cx
  xor ax, ax
.sum:                    ; 1 + 2 + ... + 10
  inc cx
  add ax, cx
  cmp cx, 10
  jne .sum
  out 0x80, al
  cs lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0xf0000 + pm)
bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov esp, 0x8000
  mov al, 0x02
  out 0x80, al
  mov eax, 0x1234
  imul eax, eax, 3
  push eax
  pop ebx
  mov al, bh            ; the second byte of the product
  out 0x80, al
${exitAndFlatGdt('0xf0000')}
times 0x10000 - 16 - ($ - $$) db 0
bits 16
reset:
  jmp 0xf000:start
times 0x10000 - ($ - $$) db 0
`;

describe.skipIf(missing !== '')('glassbox boot --rom', () => {
  const dir = romWorkDir('gb-rom-');

  it('shows the POST codes QEMU sees from the same ROM, and exits 0 at the final halt', () => {
    const rom = assembleRom(dir, ROM);
    const expected = qemuPostCodes(rom, dir).map(postLine);
    expect(expected.length).toBe(4);
    const r = glassboxPostLines(rom);
    expect(r.lines).toEqual(expected);
    expect(r.status, r.stderr).toBe(0);
  });
});
