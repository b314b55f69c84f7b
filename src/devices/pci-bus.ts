// PCI bus 0 behind configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2):
// the address register at 0xCF8 (enable bit 31, bus, device, function, dword
// register) and the data window at 0xCFC-0xCFF. A firmware finds the
// chipset's functions here and programs their chip-specific registers.
//
// Port 0xCF9 is the PIIX3's reset control register (a byte): writing it with
// bit 2 set resets the system (bit 1 says hard; both reset the CPU here).

import type { PortBus, PortDevice } from './port-bus.ts';
import { bytesField, StateError, type StateRecord, type Stateful } from '../state/records.ts';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
const RESET_CONTROL = 0xcf9;

/** Header fields every function has (type 0 header). */
export interface PciIdentity {
  vendor: number;
  device: number;
  revision: number;
  /** Class code, subclass and programming interface, as one 24-bit value (0x010180: IDE, bus master). */
  classCode: number;
  /** Subsystem vendor and ID (QEMU's PC: 0x1af4, 0x1100). */
  subsystemVendor: number;
  subsystem: number;
  /** Header type 0x80 for the first function of a multi-function device. */
  multiFunction?: boolean;
}

/**
 * One function's 256-byte configuration space: bytes the firmware may
 * write (a mask per byte) and the rest read-only. No BARs yet: the
 * chipset's functions decode fixed legacy ports.
 */
export class PciFunction implements Stateful {
  readonly stateVersion = 1;
  readonly config = new Uint8Array(256);
  private readonly writable = new Uint8Array(256);

  constructor(id: PciIdentity) {
    const c = new DataView(this.config.buffer);
    c.setUint16(0x00, id.vendor, true);
    c.setUint16(0x02, id.device, true);
    c.setUint8(0x08, id.revision);
    c.setUint8(0x09, id.classCode & 0xff);
    c.setUint16(0x0a, id.classCode >>> 8, true);
    c.setUint8(0x0e, id.multiFunction ? 0x80 : 0);
    c.setUint16(0x2c, id.subsystemVendor, true);
    c.setUint16(0x2e, id.subsystem, true);
    // Command: I/O and memory decode, bus master; status is read-only here.
    this.writable[0x04] = 0x07;
    // Latency timer, interrupt line: the firmware's to set.
    this.writable[0x0d] = 0xff;
    this.writable[0x3c] = 0xff;
  }

  /** Lets the firmware write bytes [first, first + count) (chip-specific registers). */
  protected allowWrites(first: number, count: number): void {
    this.writable.fill(0xff, first, first + count);
  }

  read(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[(offset + i) & 0xff]! << (i * 8);
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = (offset + i) & 0xff;
      const mask = this.writable[at]!;
      if (mask === 0) continue;
      this.config[at] = (this.config[at]! & ~mask) | ((value >>> (i * 8)) & mask);
    }
  }

  saveState(): StateRecord {
    return { config: this.config.slice() };
  }

  loadState(r: StateRecord): void {
    this.config.set(bytesField(r, 'config', 256));
  }
}

export class PciBus implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private address = 0;
  /** Functions on bus 0, by device * 8 + function. */
  private readonly functions = new Map<number, PciFunction>();
  /** Each function's configuration space as it was plugged in, for a system reset. */
  private readonly powerOn = new Map<PciFunction, Uint8Array>();

  constructor(private readonly resetSystem: () => void) {}

  attach(bus: PortBus): void {
    bus.claim(PCI_CONFIG_ADDRESS, 1, this, 'PCI config address');
    bus.claim(RESET_CONTROL, 1, this, 'PIIX3 reset control');
    bus.claim(PCI_CONFIG_ADDRESS + 2, 2, this, 'PCI config address');
    bus.claim(PCI_CONFIG_DATA, 4, this, 'PCI config data');
  }

  /** Puts `fn` at bus 0, device `device`, function `func`. */
  add(device: number, func: number, fn: PciFunction): void {
    const slot = device * 8 + func;
    if (this.functions.has(slot)) throw new Error(`PCI: 00:${device.toString(16).padStart(2, '0')}.${func} is taken`);
    this.functions.set(slot, fn);
    this.powerOn.set(fn, fn.config.slice());
  }

  /** A system reset: every function's configuration space as at power-on (PAM back to reading the ROM). */
  reset(): void {
    this.address = 0;
    for (const [fn, config] of this.powerOn) fn.config.set(config);
  }

  /** The function the address register selects, if the cycle is enabled and reaches one. */
  private selected(): PciFunction | undefined {
    if (!(this.address & 0x80000000)) return undefined;
    if ((this.address >>> 16) & 0xff) return undefined; // one bus
    return this.functions.get((this.address >>> 8) & 0xff);
  }

  read(port: number, size: number): number {
    if (port === PCI_CONFIG_ADDRESS && size === 4) return this.address >>> 0;
    if (port === RESET_CONTROL && size === 1) return 0;
    if (port >= PCI_CONFIG_DATA) {
      const fn = this.selected();
      // No function there: the host bridge ends the cycle with all ones (a firmware's "no device").
      if (!fn) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      return fn.read((this.address & 0xfc) + (port - PCI_CONFIG_DATA), size);
    }
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  write(port: number, size: number, value: number): void {
    if (port === PCI_CONFIG_ADDRESS && size === 4) this.address = (value & 0x80fffffc) >>> 0;
    else if (port === RESET_CONTROL && size === 1) {
      if (value & 0x04) this.resetSystem();
    } else if (port >= PCI_CONFIG_DATA) {
      this.selected()?.write((this.address & 0xfc) + (port - PCI_CONFIG_DATA), size, value);
    }
  }

  saveState(): StateRecord {
    return { address: this.address };
  }

  loadState(r: StateRecord): void {
    if (typeof r.address !== 'number') throw new StateError('field address should be a number');
    this.address = r.address >>> 0;
  }
}
