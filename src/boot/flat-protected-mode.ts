// The CPU state both boot protocols glassbox implements hand over: 32-bit
// protected mode with paging off, flat 4 GiB code and data segments from a
// GDT the loader writes, interrupts disabled, all general registers zero.
// The caller sets EIP and the registers its protocol defines.

import type { Core } from '../core/core.ts';

/** Code and data selectors of the loader's GDT (Linux's __BOOT_CS and __BOOT_DS). */
export const FLAT_CS = 0x10;
export const FLAT_DS = 0x18;
/** Bytes of RAM the GDT occupies at the address given to enterFlatProtectedMode. */
export const FLAT_GDT_BYTES = 32;

export function enterFlatProtectedMode(core: Core, gdtAddr: number): void {
  const gdt = new DataView(core.ram.buffer, core.ram.byteOffset + gdtAddr, FLAT_GDT_BYTES);
  for (let i = 0; i < FLAT_GDT_BYTES; i += 4) gdt.setUint32(i, 0, true);
  gdt.setUint32(FLAT_CS, 0x0000ffff, true);
  gdt.setUint32(FLAT_CS + 4, 0x00cf9b00, true);
  gdt.setUint32(FLAT_DS, 0x0000ffff, true);
  gdt.setUint32(FLAT_DS + 4, 0x00cf9300, true);
  core.setTable('GDTR', gdtAddr, FLAT_GDT_BYTES - 1);
  core.setTable('IDTR', 0, 0);
  for (let s = 0; s < 6; s++) {
    core.setSegment(s, s === 1 ? { selector: FLAT_CS, base: 0, limit: 0xffffffff, attr: 0xc09b } : { selector: FLAT_DS, base: 0, limit: 0xffffffff, attr: 0xc093 });
  }
  core.setCr(0, 0x11); // PE, ET: protected mode, paging off
  core.cpl = 0;
  core.eflags = 0x2; // interrupts disabled
  for (let r = 0; r < 8; r++) core.setReg(r, 0);
  core.halted = false;
  core.flushTlb();
}
