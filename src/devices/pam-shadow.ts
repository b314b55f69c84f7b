// The i440FX's shadow RAM controls (82441FX datasheet, PAM0-PAM6 at
// configuration offsets 0x59-0x5F): 0xC0000-0xFFFFF is cut into twelve
// 16 KiB segments (0xC0000-0xEFFFF, two per register from PAM1) and one
// 64 KiB segment (0xF0000-0xFFFFF, PAM0's high nibble). Each segment has a
// read enable (bit 0 of its nibble: reads come from DRAM, else from the ROM
// side) and a write enable (bit 1: writes go to DRAM, else to the ROM side,
// which ignores them). A BIOS starts with both off, copies itself into DRAM
// with both on, then turns writes off so nothing can change it.
//
// The core's RAM at 0xC0000-0xFFFFF always holds what reads see, so code
// runs from it at full speed in every setting; the DRAM behind a segment
// that reads the ROM side is kept here, and swapped in when its read enable
// comes on. Pages of a segment that is not read-write DRAM are
// write-protected in the core, whose writes come here (mmioWrite) to land
// in the hidden DRAM or nowhere.
//
// The ROM side is the BIOS image's last 128 KiB at 0xE0000-0xFFFFF (the
// chipset's isa-bios alias) and zeros below, as QEMU's empty option ROM area
// reads.

import type { Core } from '../core/core.ts';
import type { MmioDevice } from './mmio-bus.ts';
import { bytesField, type StateRecord, type Stateful } from '../state/records.ts';

export const SHADOW_BASE = 0xc0000;
export const SHADOW_BYTES = 0x40000;
/** PAM0-PAM6. */
export const PAM_REGISTERS = 7;

const READ_DRAM = 1;
const WRITE_DRAM = 2;

interface Segment {
  /** Offset from SHADOW_BASE. */
  start: number;
  size: number;
  /** The PAM register (0-6) and the bit its nibble starts at. */
  register: number;
  shift: number;
}

const SEGMENTS: readonly Segment[] = [
  ...Array.from({ length: 12 }, (_, i) => ({ start: i * 0x4000, size: 0x4000, register: 1 + (i >> 1), shift: (i & 1) * 4 })),
  { start: 0x30000, size: 0x10000, register: 0, shift: 4 },
];

function segmentAt(offset: number): Segment {
  return offset >= 0x30000 ? SEGMENTS[12]! : SEGMENTS[offset >> 14]!;
}

export class PamShadow implements MmioDevice, Stateful {
  readonly stateVersion = 1;
  /** DRAM behind the segments that read the ROM side (the rest of it is the core's RAM). */
  private dram = new Uint8Array(SHADOW_BYTES);
  /** The PAM registers as applied to the core's RAM and write protection. */
  private applied = new Uint8Array(PAM_REGISTERS);

  /**
   * Power-on: every segment reads the ROM side and ignores writes. `romSide`
   * is what 0xC0000-0xFFFFF reads from the ROM side; `pam` gives the
   * registers' current values (the host bridge's configuration space).
   */
  constructor(
    private readonly core: Core,
    private readonly romSide: Uint8Array,
    private readonly pam: () => Uint8Array,
  ) {
    if (romSide.length !== SHADOW_BYTES) throw new Error(`PAM: the ROM side is ${romSide.length} bytes, not ${SHADOW_BYTES}`);
    this.core.ram.set(romSide, SHADOW_BASE);
    this.core.ramWritten(SHADOW_BASE, SHADOW_BYTES);
    this.protect();
  }

  private attribute(pam: Uint8Array, s: Segment): number {
    return (pam[s.register]! >> s.shift) & 3;
  }

  /** Applies the PAM registers after the firmware wrote them (or a reset put them back). */
  update(): void {
    const now = this.pam();
    const ram = this.core.ram;
    for (const s of SEGMENTS) {
      const was = this.attribute(this.applied, s) & READ_DRAM;
      const is = this.attribute(now, s) & READ_DRAM;
      if (was === is) continue;
      const at = SHADOW_BASE + s.start;
      if (was) {
        this.dram.set(ram.subarray(at, at + s.size), s.start);
        ram.set(this.romSide.subarray(s.start, s.start + s.size), at);
      } else {
        ram.set(this.dram.subarray(s.start, s.start + s.size), at);
      }
      this.core.ramWritten(at, s.size);
    }
    this.applied.set(now.subarray(0, PAM_REGISTERS));
    this.protect();
  }

  /** Write-protects the pages of every segment that is not read-write DRAM. */
  private protect(): void {
    for (const s of SEGMENTS) {
      const page = (SHADOW_BASE + s.start) >>> 12;
      this.core.setRomPages(page, page + s.size / 4096, this.attribute(this.applied, s) !== (READ_DRAM | WRITE_DRAM));
    }
  }

  /** A write to a write-protected segment: into the hidden DRAM if the segment writes DRAM (reading the ROM side), else nowhere. */
  mmioWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size && offset + i < SHADOW_BYTES; i++) {
      const s = segmentAt(offset + i);
      if (this.attribute(this.applied, s) === WRITE_DRAM) this.dram[offset + i] = (value >>> (8 * i)) & 0xff;
    }
  }

  /** Reads come from the core's RAM, which holds what they see; a read only comes here through a host access to the window. */
  mmioRead(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.core.ram[SHADOW_BASE + offset + i]! << (8 * i);
    return v >>> 0;
  }

  saveState(): StateRecord {
    return { dram: this.dram.slice(), applied: this.applied.slice() };
  }

  /** After the core's RAM: the write protection follows the loaded registers. */
  loadState(r: StateRecord): void {
    this.dram = bytesField(r, 'dram', SHADOW_BYTES).slice();
    this.applied = bytesField(r, 'applied', PAM_REGISTERS).slice();
    this.protect();
  }
}
