// The ACPI fixed power-management registers the FADT points at, in the I/O
// space QEMU's PIIX4 gives them (0x600): the PM1a event block (status,
// enable), the PM1a control block (SCI_EN, sleep type and enable) and the
// 32-bit power-management timer at 3.579545 MHz (ACPI 6.4, 4.8.3).
//
// The machine is always in ACPI mode (the FADT has no SMI command port), so
// SCI_EN reads 1. Sleep state 5 (soft off, the DSDT's _S5 with type 0) turns
// the machine off; no event raises the SCI, so its line is never driven.

import type { PortDevice } from './port-bus.ts';
import { loadFields, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const ACPI_PM_BASE = 0x600;
export const PM1_EVT = ACPI_PM_BASE; // 4 bytes: status (2), enable (2)
export const PM1_CNT = ACPI_PM_BASE + 4; // 2 bytes
export const PM_TMR = ACPI_PM_BASE + 8; // 4 bytes
export const PM_TIMER_HZ = 3_579_545;
/** The sleep type _S5 names in the DSDT (acpi-tables.ts): soft off. */
export const SLP_TYP_SOFT_OFF = 0;
/** The registers by port offset, for the inspector. */
export const ACPI_PM_REGISTERS = ['PM1 status', '', 'PM1 enable', '', 'PM1 control', '', '', '', 'PM timer', '', '', ''] as const;

const SCI_EN = 1;
const SLP_EN = 1 << 13;

export class AcpiPm implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private status = 0;
  private enable = 0;
  private control = SCI_EN;

  /** `nowNs`: the machine clock; `powerOff`: the guest entered soft off. */
  constructor(
    private readonly nowNs: () => number,
    private readonly powerOff: () => void,
  ) {}

  saveState(): StateRecord {
    return saveFields(ownFields(this), ['status', 'enable', 'control']);
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, ['status', 'enable', 'control']);
  }

  private timer(): number {
    return Math.floor((this.nowNs() * PM_TIMER_HZ) / 1e9) % 2 ** 32;
  }

  read(port: number, size: number): number {
    let v: number;
    const at = port - ACPI_PM_BASE;
    if (at < 4) v = (this.status | (this.enable << 16)) >>> ((at & 3) * 8);
    else if (at < 8) v = this.control >>> ((at & 1) * 8);
    else v = this.timer() / 2 ** ((at & 3) * 8);
    return Math.floor(v) & (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff);
  }

  write(port: number, size: number, value: number): void {
    const at = port - ACPI_PM_BASE;
    const bytes = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    if (at < 4) {
      // A 32-bit write at 0x600 covers status (write 1 to clear) and enable.
      const wide = ((value & bytes) << ((at & 3) * 8)) >>> 0;
      this.status &= ~(wide & 0xffff);
      if (size === 4 || at >= 2) this.enable = (wide >>> 16) & 0xffff;
      return;
    }
    if (at < 8) {
      const shift = (at & 1) * 8;
      const v = ((this.control & ~(bytes << shift)) | ((value & bytes) << shift)) & 0xffff;
      this.control = (v & ~SLP_EN) | SCI_EN;
      if (v & SLP_EN && ((v >> 10) & 7) === SLP_TYP_SOFT_OFF) this.powerOff();
    }
    // The timer is read-only.
  }
}
