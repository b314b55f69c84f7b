// Loading a Multiboot (version 1) kernel, as GRUB and QEMU's -kernel do: the
// header in the first 8 KiB of the file, the image placed either by the
// header's address fields (flag 16) or by the ELF32 program headers, and the
// machine state of the specification's "Machine state" section: EAX holds
// the boot loader magic, EBX the physical address of the information
// structure, flat 32-bit segments, paging and interrupts off.

import type { Core } from '../core/core.ts';
import { KernelImageError } from './bzimage.ts';
import { enterFlatProtectedMode, FLAT_GDT_BYTES } from './flat-protected-mode.ts';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const HEADER_SEARCH = 8192;
/** Header flags: modules page aligned, memory information wanted, video mode wanted, address fields valid. */
const FLAG_PAGE_ALIGN = 1 << 0;
const FLAG_MEMORY_INFO = 1 << 1;
const FLAG_VIDEO_MODE = 1 << 2;
const FLAG_ADDRESSES = 1 << 16;
/** Info structure flag: mem_lower and mem_upper are valid. */
const INFO_MEMORY = 1 << 0;

// The loader's own structures, below anything a kernel may be loaded over.
const GDT_ADDR = 0x1000;
const INFO_ADDR = GDT_ADDR + FLAT_GDT_BYTES;
const INFO_BYTES = 8 * 4;
const LOADER_END = INFO_ADDR + INFO_BYTES;
const LOW_RAM_END = 0xa0000;
/** Conventional memory as the PC's firmware reports it: the top KiB is its extended data area. */
const LOW_RAM_BYTES = 0x9fc00;
const HIGH_RAM = 0x100000;

export interface MultibootSegment {
  /** Physical address the bytes go to. */
  addr: number;
  /** The bytes from the file. */
  data: Uint8Array;
  /** Bytes zeroed after `data` (the BSS). */
  zeroBytes: number;
}

export interface MultibootImage {
  entry: number;
  segments: MultibootSegment[];
}

/** Whether `file` carries a valid Multiboot header (so it is not a bzImage). */
export function isMultiboot(file: Uint8Array): boolean {
  return findHeader(file) !== undefined;
}

function findHeader(file: Uint8Array): number | undefined {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const end = Math.min(file.length, HEADER_SEARCH) - 12;
  for (let at = 0; at <= end; at += 4) {
    if (dv.getUint32(at, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(at + 4, true);
    if ((MULTIBOOT_HEADER_MAGIC + flags + dv.getUint32(at + 8, true)) >>> 0 === 0) return at;
  }
  return undefined;
}

/** Parses and checks a Multiboot kernel; `name` appears in the errors. */
export function parseMultiboot(file: Uint8Array, name: string): MultibootImage {
  const at = findHeader(file);
  if (at === undefined) throw new KernelImageError(`${name}: no Multiboot header (magic 0x1BADB002 with a valid checksum) in its first ${HEADER_SEARCH} bytes`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const flags = dv.getUint32(at + 4, true);
  // The specification makes a loader refuse a kernel whose required bits (0-15) it does not meet.
  const unmet = flags & 0xffff & ~(FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO);
  if (unmet & FLAG_VIDEO_MODE) throw new KernelImageError(`${name}: the kernel requires a graphics video mode (Multiboot flag 2); glassbox has no display`);
  if (unmet) throw new KernelImageError(`${name}: the kernel requires Multiboot features 0x${unmet.toString(16)} that glassbox does not provide`);
  return flags & FLAG_ADDRESSES ? byHeaderAddresses(file, dv, at, name) : byElf(file, dv, name);
}

function byHeaderAddresses(file: Uint8Array, dv: DataView, at: number, name: string): MultibootImage {
  if (at + 32 > file.length) throw new KernelImageError(`${name}: the Multiboot header's address fields run past the end of the file`);
  const headerAddr = dv.getUint32(at + 12, true);
  const loadAddr = dv.getUint32(at + 16, true);
  const loadEnd = dv.getUint32(at + 20, true);
  const bssEnd = dv.getUint32(at + 24, true);
  const entry = dv.getUint32(at + 28, true);
  if (loadAddr > headerAddr) throw new KernelImageError(`${name}: Multiboot load_addr 0x${hex(loadAddr)} is above header_addr 0x${hex(headerAddr)}`);
  const fileStart = at - (headerAddr - loadAddr);
  if (fileStart < 0) throw new KernelImageError(`${name}: Multiboot load_addr 0x${hex(loadAddr)} lies before the start of the file`);
  const size = loadEnd === 0 ? file.length - fileStart : loadEnd - loadAddr;
  if (size < 0 || fileStart + size > file.length) throw new KernelImageError(`${name}: Multiboot load_end_addr 0x${hex(loadEnd)} lies outside the file`);
  const end = loadAddr + size;
  if (bssEnd !== 0 && bssEnd < end) throw new KernelImageError(`${name}: Multiboot bss_end_addr 0x${hex(bssEnd)} is below the end of the loaded image`);
  return {
    entry,
    segments: [{ addr: loadAddr, data: file.subarray(fileStart, fileStart + size), zeroBytes: bssEnd ? bssEnd - end : 0 }],
  };
}

const ELF_MAGIC = 0x464c457f;
const PT_LOAD = 1;

function byElf(file: Uint8Array, dv: DataView, name: string): MultibootImage {
  if (file.length < 52 || dv.getUint32(0, true) !== ELF_MAGIC) {
    throw new KernelImageError(`${name}: the Multiboot header has no address fields (flag 16), so the kernel must be an ELF file, and it is not`);
  }
  if (file[4] !== 1 || file[5] !== 1) throw new KernelImageError(`${name}: only 32-bit little-endian ELF kernels can be loaded`);
  if (dv.getUint16(18, true) !== 3) throw new KernelImageError(`${name}: the ELF file is not for i386 (e_machine ${dv.getUint16(18, true)})`);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phentsize < 32 || phoff + phnum * phentsize > file.length) throw new KernelImageError(`${name}: the ELF program headers lie outside the file`);
  const segments: MultibootSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = dv.getUint32(ph + 4, true);
    const paddr = dv.getUint32(ph + 12, true);
    const filesz = dv.getUint32(ph + 16, true);
    const memsz = dv.getUint32(ph + 20, true);
    if (offset + filesz > file.length) throw new KernelImageError(`${name}: ELF segment ${i} runs past the end of the file`);
    if (memsz < filesz) throw new KernelImageError(`${name}: ELF segment ${i} has p_memsz below p_filesz`);
    segments.push({ addr: paddr, data: file.subarray(offset, offset + filesz), zeroBytes: memsz - filesz });
  }
  if (segments.length === 0) throw new KernelImageError(`${name}: the ELF file has no loadable segment`);
  return { entry: dv.getUint32(24, true), segments };
}

/** Places the kernel in RAM and sets the CPU up as the Multiboot specification describes. */
export function loadMultiboot(core: Core, image: MultibootImage, name: string): void {
  const ram = core.ram;
  for (const s of image.segments) {
    const end = s.addr + s.data.length + s.zeroBytes;
    const inLow = s.addr >= LOADER_END && end <= LOW_RAM_END;
    const inHigh = s.addr >= HIGH_RAM && end <= ram.length;
    if (!inLow && !inHigh) {
      throw new KernelImageError(
        `${name}: a segment at 0x${hex(s.addr)}-0x${hex(end)} is not in RAM the loader can use (0x${hex(LOADER_END)}-0x${hex(LOW_RAM_END)} or 0x${hex(HIGH_RAM)}-0x${hex(ram.length)})`,
      );
    }
  }
  ram.fill(0, 0, LOW_RAM_END);
  for (const s of image.segments) {
    ram.set(s.data, s.addr);
    ram.fill(0, s.addr + s.data.length, s.addr + s.data.length + s.zeroBytes);
  }
  const info = new DataView(ram.buffer, ram.byteOffset + INFO_ADDR, INFO_BYTES);
  info.setUint32(0, INFO_MEMORY, true);
  info.setUint32(4, LOW_RAM_BYTES / 1024, true); // mem_lower, KiB from 0
  info.setUint32(8, (ram.length - HIGH_RAM) / 1024, true); // mem_upper, KiB from 1 MiB
  enterFlatProtectedMode(core, GDT_ADDR);
  core.setReg(0, MULTIBOOT_BOOTLOADER_MAGIC);
  core.setReg(3, INFO_ADDR);
  core.eip = image.entry;
}

function hex(n: number): string {
  return (n >>> 0).toString(16);
}
