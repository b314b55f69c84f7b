// Direct Linux boot through the 32-bit boot protocol: no BIOS, no real-mode
// setup code. The protected-mode kernel goes to 1 MiB, the initrd as high as
// the kernel allows, and a zero page (boot_params) describes memory (e820),
// the command line and the initrd; the CPU enters code32_start in flat
// protected mode with ESI pointing at boot_params, as the protocol specifies.

import type { Core } from '../core/core.ts';
import { type BzImage, KernelImageError, CAN_USE_HEAP } from './bzimage.ts';
import { enterFlatProtectedMode } from './flat-protected-mode.ts';
import { writeAcpiTables } from './acpi-tables.ts';

// Where the loader puts its own structures (all below the 640 KiB hole).
const GDT_ADDR = 0x1000;
const BOOT_PARAMS = 0x7000;
const CMDLINE = 0x20000;
const KERNEL_ADDR = 0x100000;

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  addr: number;
  size: number;
  type: number;
}

/** The PC memory map for `ramBytes` of RAM: low memory, the hole for VGA and the BIOS, then RAM from 1 MiB. */
export function e820Map(ramBytes: number): E820Entry[] {
  return [
    { addr: 0, size: 0x9fc00, type: E820_RAM },
    { addr: 0x9fc00, size: 0x400, type: E820_RESERVED },
    { addr: 0xf0000, size: 0x10000, type: E820_RESERVED },
    { addr: KERNEL_ADDR, size: ramBytes - KERNEL_ADDR, type: E820_RAM },
  ];
}

export interface LinuxBootOptions {
  cmdline: string;
  initrd?: Uint8Array;
}

export interface LinuxBootLayout {
  kernelAt: number;
  kernelEnd: number; // end of the area the kernel needs (init_size)
  initrdAt?: number;
  bootParams: number;
}

export function loadLinux(core: Core, kernel: BzImage, opts: LinuxBootOptions): LinuxBootLayout {
  const ram = core.ram;
  const ramBytes = ram.length;
  const kernelEnd = KERNEL_ADDR + Math.max(kernel.initSize, kernel.protectedMode.length);
  if (kernelEnd > ramBytes) {
    throw new KernelImageError(
      `the kernel needs ${mib(kernelEnd)} MiB of RAM to unpack itself (init_size ${mib(kernel.initSize)} MiB above 1 MiB), the machine has ${mib(ramBytes)} MiB`,
    );
  }
  const cmd = new TextEncoder().encode(opts.cmdline);
  const maxCmd = kernel.cmdlineSize || 255;
  if (cmd.length > maxCmd) throw new KernelImageError(`the command line is ${cmd.length} bytes; this kernel takes at most ${maxCmd}`);

  ram.fill(0, 0, 0xa0000);
  // As a BIOS would: the ACPI tables describing the APICs and the PM timer (a kernel without ACPI ignores them).
  writeAcpiTables(ram);
  ram.set(kernel.protectedMode, KERNEL_ADDR);

  let initrdAt: number | undefined;
  if (opts.initrd && opts.initrd.length > 0) {
    // As high as possible, page aligned, below both the end of RAM and initrd_addr_max.
    const ceiling = Math.min(ramBytes, (kernel.initrdAddrMax || 0x37ffffff) + 1);
    const at = Math.floor((ceiling - opts.initrd.length) / 4096) * 4096;
    if (at < kernelEnd) {
      throw new KernelImageError(
        `the initrd (${mib(opts.initrd.length)} MiB) does not fit in RAM above the kernel: ${mib(ramBytes)} MiB of RAM, the kernel uses up to ${mib(kernelEnd)} MiB`,
      );
    }
    ram.set(opts.initrd, at);
    initrdAt = at;
  }

  const bp = new DataView(ram.buffer, ram.byteOffset + BOOT_PARAMS, 4096);
  ram.set(kernel.setupHeader, BOOT_PARAMS + 0x1f1);
  bp.setUint8(0x210, 0xff); // type_of_loader: undefined loader
  bp.setUint8(0x211, kernel.loadflags | CAN_USE_HEAP);
  bp.setUint16(0x224, 0xfe00, true); // heap_end_ptr
  bp.setUint32(0x228, CMDLINE, true); // cmd_line_ptr
  bp.setUint32(0x218, initrdAt ?? 0, true); // ramdisk_image
  bp.setUint32(0x21c, initrdAt !== undefined ? opts.initrd!.length : 0, true); // ramdisk_size
  const map = e820Map(ramBytes);
  bp.setUint8(0x1e8, map.length);
  map.forEach((e, i) => {
    const at = 0x2d0 + i * 20;
    bp.setBigUint64(at, BigInt(e.addr), true);
    bp.setBigUint64(at + 8, BigInt(e.size), true);
    bp.setUint32(at + 16, e.type, true);
  });
  ram.set(cmd, CMDLINE);
  ram[CMDLINE + cmd.length] = 0;

  // The protocol requires flat __BOOT_CS (0x10) and __BOOT_DS (0x18).
  enterFlatProtectedMode(core, GDT_ADDR);
  core.setReg(6, BOOT_PARAMS); // ESI: boot_params
  core.eip = kernel.code32Start || KERNEL_ADDR;
  return { kernelAt: KERNEL_ADDR, kernelEnd, initrdAt, bootParams: BOOT_PARAMS };
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes % 1048576 ? 1 : 0);
}
