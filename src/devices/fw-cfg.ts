// QEMU's firmware configuration device (fw_cfg), in its traditional I/O
// form: a 16-bit selector written to port 0x510 picks an item, and port
// 0x511 reads the item's bytes one at a time (past its end, and for items
// this machine does not have, zeros, as QEMU reads). No DMA interface: the
// ID item says so, and a firmware then reads through the data port.
//
// The items are what SeaBIOS asks a PC for: the signature it probes, the
// RAM size and CPU count, the boot menu switch (off, so it boots without
// waiting for a key), and the file directory (named items: none yet).

import type { PortBus, PortDevice } from './port-bus.ts';
import { loadFields, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const FW_CFG_SELECTOR = 0x510;
export const FW_CFG_DATA = 0x511;

/** Item keys (QEMU's docs/specs/fw_cfg.rst). */
export const FwCfgKey = {
  signature: 0x00,
  id: 0x01,
  ramSize: 0x03,
  cpuCount: 0x05,
  bootMenu: 0x0e,
  maxCpus: 0x0f,
  fileDir: 0x19,
} as const;

const FIELDS = ['selector', 'offset'] as const;

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes && i < 6; i++) out[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  return out;
}

export class FwCfg implements PortDevice, Stateful {
  readonly stateVersion = 1;
  selector = 0;
  offset = 0;
  private readonly items = new Map<number, Uint8Array>();

  constructor(ramBytes: number) {
    this.items.set(FwCfgKey.signature, new TextEncoder().encode('QEMU'));
    this.items.set(FwCfgKey.id, le(1, 4)); // bit 0: the traditional interface; bit 1 (DMA) clear
    this.items.set(FwCfgKey.ramSize, le(ramBytes, 8));
    this.items.set(FwCfgKey.cpuCount, le(1, 2));
    this.items.set(FwCfgKey.maxCpus, le(1, 2));
    this.items.set(FwCfgKey.bootMenu, le(0, 2));
    this.items.set(FwCfgKey.fileDir, new Uint8Array(4)); // a big-endian count of 0 files
  }

  attach(bus: PortBus): void {
    bus.claim(FW_CFG_SELECTOR, 1, this, 'fw_cfg selector');
    bus.claim(FW_CFG_DATA, 1, this, 'fw_cfg data');
  }

  read(port: number, size: number): number {
    if (port === FW_CFG_SELECTOR) return 0;
    let v = 0;
    // A wider read of the data port returns consecutive bytes, as QEMU's does.
    for (let i = 0; i < size; i++) v |= this.nextByte() << (8 * i);
    return v >>> 0;
  }

  private nextByte(): number {
    const item = this.items.get(this.selector);
    if (!item || this.offset >= item.length) return 0;
    return item[this.offset++]!;
  }

  write(port: number, _size: number, value: number): void {
    if (port !== FW_CFG_SELECTOR) return; // the data port is read-only without DMA
    this.selector = value & 0xffff;
    this.offset = 0;
  }

  saveState(): StateRecord {
    return saveFields(ownFields(this), FIELDS);
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, FIELDS);
  }
}
