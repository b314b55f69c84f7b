// The MC146818 real-time clock and CMOS NVRAM (ports 0x70-0x71).
//
// Time comes from the machine clock: a start date plus the virtual seconds
// elapsed, so a run in virtual-clock mode reads the same time every time.
// Bit 7 of the index port masks NMI, as on a PC. Registers A-D behave as
// the datasheet says for what PC software uses: the update-in-progress bit,
// BCD or binary and 12- or 24-hour formats, and the flags of register C
// (cleared by reading it). The NVRAM holds the memory-size bytes the PC
// convention puts there.

import type { PortDevice } from './port-bus.ts';
import { bytesField, loadFields, ownFields, type StateRecord, type Stateful } from '../state/records.ts';

/** Ports 0x70 (the register index, bit 7 masking NMI) and 0x71, for the inspector. */
export const CMOS_REGISTERS = ['index', 'data'] as const;

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;

export class CmosRtc implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private index = 0;
  readonly nvram = new Uint8Array(128);
  nmiMasked = true;

  /**
   * `seconds` gives the current time in seconds since the Unix epoch (the
   * machine derives it from its clock).
   */
  constructor(
    private readonly seconds: () => number,
    memoryBytes: number,
  ) {
    this.nvram[REG_A] = 0x26; // 32.768 kHz base, 1024 Hz rate
    this.nvram[REG_B] = 0x02; // 24-hour, BCD
    this.nvram[REG_D] = 0x80; // valid RAM and time
    // Base memory in KiB, extended memory above 1 MiB in KiB (max 63 MiB),
    // and memory above 16 MiB in 64 KiB units.
    const extKiB = Math.min(Math.max(0, memoryBytes / 1024 - 1024), 0xffff);
    const over16 = Math.min(Math.max(0, (memoryBytes - 16 * 1024 * 1024) / 65536), 0xffff);
    this.nvram[0x15] = 640 & 0xff;
    this.nvram[0x16] = 640 >> 8;
    this.nvram[0x17] = this.nvram[0x30] = extKiB & 0xff;
    this.nvram[0x18] = this.nvram[0x31] = extKiB >> 8;
    this.nvram[0x34] = over16 & 0xff;
    this.nvram[0x35] = over16 >> 8;
  }

  /** The time is not state: it is the machine clock's, restored with it. */
  saveState(): StateRecord {
    return { index: this.index, nmiMasked: this.nmiMasked, nvram: this.nvram.slice() };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, ['index', 'nmiMasked']);
    this.nvram.set(bytesField(r, 'nvram', this.nvram.length));
  }

  private encode(v: number): number {
    return this.nvram[REG_B] & 0x04 ? v : ((v / 10) | 0) * 16 + (v % 10);
  }

  private timeRegister(reg: number): number {
    const d = new Date(Math.floor(this.seconds()) * 1000);
    switch (reg) {
      case 0x00:
        return this.encode(d.getUTCSeconds());
      case 0x02:
        return this.encode(d.getUTCMinutes());
      case 0x04: {
        const h = d.getUTCHours();
        if (this.nvram[REG_B] & 0x02) return this.encode(h);
        const h12 = h % 12 === 0 ? 12 : h % 12;
        return this.encode(h12) | (h >= 12 ? 0x80 : 0);
      }
      case 0x06:
        return this.encode(d.getUTCDay() + 1);
      case 0x07:
        return this.encode(d.getUTCDate());
      case 0x08:
        return this.encode(d.getUTCMonth() + 1);
      case 0x09:
        return this.encode(d.getUTCFullYear() % 100);
      case 0x32:
        return this.encode(Math.floor(d.getUTCFullYear() / 100)); // century
      default:
        return this.nvram[reg];
    }
  }

  read(port: number, _size = 1): number {
    if (port === 0x70) return 0xff; // the index port is write-only
    const reg = this.index;
    if (reg === REG_A) {
      // Update-in-progress for the last 244 us of each second, as the chip does.
      const frac = this.seconds() % 1;
      return (this.nvram[REG_A] & 0x7f) | (frac >= 1 - 244e-6 ? 0x80 : 0);
    }
    if (reg === REG_C) {
      const v = this.nvram[REG_C];
      this.nvram[REG_C] = 0;
      return v;
    }
    if (reg <= 0x09 || reg === 0x32) return this.timeRegister(reg);
    return this.nvram[reg];
  }

  write(port: number, _size: number, value: number): void {
    if (port === 0x70) {
      this.index = value & 0x7f;
      this.nmiMasked = (value & 0x80) !== 0;
      return;
    }
    const reg = this.index;
    if (reg === REG_C || reg === REG_D) return; // read-only
    // Time writes are accepted into NVRAM but the clock stays the machine's.
    this.nvram[reg] = value & 0xff;
  }
}
