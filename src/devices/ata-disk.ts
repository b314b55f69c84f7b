// The primary IDE channel in compatibility mode with one ATA hard disk as
// device 0 (no device 1): the command block at 0x1F0-0x1F7, the control
// block at 0x3F6 (alternate status, device control), IRQ 14. PIO only, as
// the ATA/ATAPI-6 specification describes it: IDENTIFY DEVICE, READ and
// WRITE SECTORS (LBA28, CHS) and their EXT forms (LBA48), FLUSH CACHE, and
// the few housekeeping commands a BIOS and a kernel send; anything else is
// aborted. The disk is a synchronous BlockBackend (a file in Node), so a
// command is done by the time its register write returns: the status never
// shows BSY, and the interrupt comes at once.

import type { PortBus, PortDevice } from './port-bus.ts';
import { bytesField, loadFields, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';
import type { BlockBackend } from './virtio/blk.ts';

export const ATA_COMMAND_BLOCK = 0x1f0;
export const ATA_CONTROL = 0x3f6;
export const ATA_IRQ = 14;
export const ATA_REGISTERS = ['data', 'error/features', 'sector count', 'LBA low', 'LBA mid', 'LBA high', 'device', 'status/command'] as const;

const SECTOR = 512;
const BSY = 0x80,
  DRDY = 0x40,
  DSC = 0x10,
  DRQ = 0x08,
  ERR = 0x01;
const ABRT = 0x04,
  IDNF = 0x10,
  UNC = 0x40;
/** Device control bits: software reset, interrupts disabled, high-order byte (LBA48 readback). */
const SRST = 0x04,
  NIEN = 0x02,
  HOB = 0x80;
/** Device register: the LBA bit, and which device is selected. */
const LBA_MODE = 0x40,
  DEV1 = 0x10;
/** The geometry CHS commands use (and IDENTIFY reports): 16 heads, 63 sectors a track. */
const HEADS = 16,
  SECTORS_PER_TRACK = 63;

const enum Transfer {
  None = 0,
  Read = 1,
  Write = 2,
  Identify = 3,
}

const FIELDS = [
  'features',
  'count',
  'lbaLow',
  'lbaMid',
  'lbaHigh',
  'hobFeatures',
  'hobCount',
  'hobLbaLow',
  'hobLbaMid',
  'hobLbaHigh',
  'device',
  'status',
  'error',
  'control',
  'transfer',
  'sector',
  'remaining',
  'bufferAt',
  'irq',
] as const;

/** An ATA string: two characters a word, the first in the high byte, padded with spaces. */
function putString(words: Uint16Array, first: number, count: number, text: string): void {
  const s = text.padEnd(count * 2, ' ');
  for (let i = 0; i < count; i++) words[first + i] = (s.charCodeAt(2 * i) << 8) | s.charCodeAt(2 * i + 1);
}

export class AtaDisk implements PortDevice, Stateful {
  readonly stateVersion = 1;
  features = 0;
  count = 0;
  lbaLow = 0;
  lbaMid = 0;
  lbaHigh = 0;
  // The previous value of each register, which LBA48 commands read as the high-order byte.
  hobFeatures = 0;
  hobCount = 0;
  hobLbaLow = 0;
  hobLbaMid = 0;
  hobLbaHigh = 0;
  device = 0;
  status = DRDY | DSC;
  error = 1;
  control = 0;
  transfer: Transfer = Transfer.None;
  /** The sector the buffer holds (or is to be written to), and how many more follow it. */
  sector = 0;
  remaining = 0;
  bufferAt = 0;
  irq = false;
  private buffer: Uint8Array = new Uint8Array(SECTOR);
  private readonly sectors: number;

  constructor(
    private readonly disk: BlockBackend,
    private readonly setIrq: (high: boolean) => void,
    /** A host error the guest got as a disk error (a full host disk, say), for the user. */
    private readonly onError: (why: string) => void = () => {},
  ) {
    this.sectors = Math.floor(disk.size / SECTOR);
    this.resetRegisters();
  }

  attach(bus: PortBus): void {
    bus.claim(ATA_COMMAND_BLOCK, 8, this, 'ATA primary', ATA_REGISTERS);
    bus.claim(ATA_CONTROL, 1, this, 'ATA primary alternate status/device control');
  }

  /** Device 1 is selected: there is none, so its registers read as zeros. */
  private get absent(): boolean {
    return (this.device & DEV1) !== 0;
  }

  read(port: number, size: number): number {
    if (port === ATA_COMMAND_BLOCK) return this.readData(size);
    if (port === ATA_CONTROL) return this.absent ? 0 : this.status;
    const reg = port - ATA_COMMAND_BLOCK;
    if (reg === 6) return this.device;
    if (this.absent) return 0;
    const hob = (this.control & HOB) !== 0;
    switch (reg) {
      case 1:
        return this.error;
      case 2:
        return hob ? this.hobCount : this.count;
      case 3:
        return hob ? this.hobLbaLow : this.lbaLow;
      case 4:
        return hob ? this.hobLbaMid : this.lbaMid;
      case 5:
        return hob ? this.hobLbaHigh : this.lbaHigh;
      default: // 7: status; reading it acknowledges the interrupt
        this.raise(false);
        return this.status;
    }
  }

  write(port: number, size: number, value: number): void {
    if (port === ATA_CONTROL) return this.writeControl(value & 0xff);
    if (port === ATA_COMMAND_BLOCK) return this.writeData(size, value);
    const v = value & 0xff;
    // Writing a task-file register clears HOB and keeps the old value as the high-order byte.
    this.control &= ~HOB;
    switch (port - ATA_COMMAND_BLOCK) {
      case 1:
        [this.hobFeatures, this.features] = [this.features, v];
        break;
      case 2:
        [this.hobCount, this.count] = [this.count, v];
        break;
      case 3:
        [this.hobLbaLow, this.lbaLow] = [this.lbaLow, v];
        break;
      case 4:
        [this.hobLbaMid, this.lbaMid] = [this.lbaMid, v];
        break;
      case 5:
        [this.hobLbaHigh, this.lbaHigh] = [this.lbaHigh, v];
        break;
      case 6:
        this.device = v;
        break;
      default:
        if (!this.absent) this.command(v);
    }
  }

  private writeControl(v: number): void {
    const wasReset = (this.control & SRST) !== 0;
    this.control = v;
    if (v & SRST) {
      this.status = BSY;
      this.transfer = Transfer.None;
      this.raise(false);
    } else if (wasReset) {
      this.resetRegisters();
    }
    if (v & NIEN) this.setIrq(false);
    else if (this.irq) this.setIrq(true);
  }

  /** A system reset: interrupts enabled, no command, the registers as after power-on. */
  reset(): void {
    this.control = 0;
    this.device = 0;
    this.raise(false);
    this.resetRegisters();
  }

  /** After a reset: the ATA signature in the task file (count 1, LBA 1, 0, 0), diagnostics passed, ready. */
  private resetRegisters(): void {
    this.count = this.lbaLow = 1;
    this.lbaMid = this.lbaHigh = 0;
    this.error = 1;
    this.status = DRDY | DSC;
    this.transfer = Transfer.None;
  }

  private command(cmd: number): void {
    this.error = 0;
    this.transfer = Transfer.None;
    switch (cmd) {
      case 0xec: // IDENTIFY DEVICE
        this.buffer = this.identify();
        this.startIn(Transfer.Identify, 0, 1);
        return;
      case 0x20:
      case 0x21: // READ SECTORS (with and without retries)
      case 0x24: // READ SECTORS EXT
        return this.startRead(cmd === 0x24);
      case 0x30:
      case 0x31: // WRITE SECTORS
      case 0x34: // WRITE SECTORS EXT
        return this.startWrite(cmd === 0x34);
      case 0x40:
      case 0x41:
      case 0x42: // READ VERIFY SECTORS (EXT): the sectors are there if addressable
        return this.done(this.addressed(cmd === 0x42) ? 0 : IDNF);
      case 0xe7:
      case 0xea: // FLUSH CACHE (EXT)
        return this.done(this.io(() => this.disk.flush()) ? 0 : ABRT);
      case 0xe5: // CHECK POWER MODE: active
        this.count = 0xff;
        return this.done(0);
      case 0x91: // INITIALIZE DEVICE PARAMETERS: the geometry is fixed
      case 0xef: // SET FEATURES: nothing to set on this disk
      case 0xe0:
      case 0xe1:
      case 0xe2:
      case 0xe3: // standby and idle
      case 0x10: // RECALIBRATE
        return this.done(0);
      default: // IDENTIFY PACKET DEVICE (this is no ATAPI device), SET MULTIPLE, DMA, ...
        return this.done(ABRT);
    }
  }

  /** The sector range the task file names, or undefined if it leaves the disk (then the command fails IDNF). */
  private addressed(lba48: boolean): { lba: number; count: number } | undefined {
    let lba: number;
    let count: number;
    if (lba48) {
      lba = this.hobLbaHigh * 2 ** 40 + this.hobLbaMid * 2 ** 32 + this.hobLbaLow * 2 ** 24 + (this.lbaHigh << 16) + (this.lbaMid << 8) + this.lbaLow;
      count = (this.hobCount << 8) | this.count || 65536;
    } else if (this.device & LBA_MODE) {
      lba = ((this.device & 0x0f) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow;
      count = this.count || 256;
    } else {
      const cylinder = (this.lbaHigh << 8) | this.lbaMid;
      if (this.lbaLow === 0 || this.lbaLow > SECTORS_PER_TRACK) return undefined;
      lba = (cylinder * HEADS + (this.device & 0x0f)) * SECTORS_PER_TRACK + this.lbaLow - 1;
      count = this.count || 256;
    }
    return lba + count <= this.sectors ? { lba, count } : undefined;
  }

  private startRead(lba48: boolean): void {
    const range = this.addressed(lba48);
    if (!range) return this.done(IDNF | ABRT);
    if (!this.load(range.lba)) return;
    this.startIn(Transfer.Read, range.lba, range.count);
  }

  private startWrite(lba48: boolean): void {
    const range = this.addressed(lba48);
    if (!range) return this.done(IDNF | ABRT);
    if (this.disk.readOnly) return this.done(ABRT);
    this.transfer = Transfer.Write;
    this.sector = range.lba;
    this.remaining = range.count;
    this.bufferAt = 0;
    // The first sector's data is asked for without an interrupt.
    this.status = DRDY | DSC | DRQ;
  }

  /** Data for the host is in the buffer: DRQ, and an interrupt for the block. */
  private startIn(kind: Transfer, sector: number, count: number): void {
    this.transfer = kind;
    this.sector = sector;
    this.remaining = count;
    this.bufferAt = 0;
    this.status = DRDY | DSC | DRQ;
    this.raise(true);
  }

  /** Reads sector `lba` into the buffer; on a host error ends the command with UNC. */
  private load(lba: number): boolean {
    if (this.io(() => this.disk.read(lba * SECTOR, this.buffer))) return true;
    this.done(UNC);
    return false;
  }

  /** Runs a host disk operation; a host error becomes a failed command, reported to the user. */
  private io(op: () => void): boolean {
    try {
      op();
      return true;
    } catch (e) {
      this.onError((e as Error).message);
      return false;
    }
  }

  /** A command without data (or one that failed) ends: ready, ERR with `error` if non-zero, an interrupt. */
  private done(error: number): void {
    this.transfer = Transfer.None;
    this.error = error;
    this.status = DRDY | DSC | (error ? ERR : 0);
    this.raise(true);
  }

  private readData(size: number): number {
    if (size === 4) return (this.readData(2) | (this.readData(2) << 16)) >>> 0;
    if (this.absent || !(this.status & DRQ) || this.transfer === Transfer.Write) return 0;
    const v = this.buffer[this.bufferAt]! | (size === 2 ? this.buffer[this.bufferAt + 1]! << 8 : 0);
    this.bufferAt += size;
    if (this.bufferAt >= SECTOR) this.blockRead();
    return v;
  }

  /** The host took a whole block: the next sector, or the end of the command. */
  private blockRead(): void {
    this.remaining--;
    this.sector++;
    if (this.remaining === 0 || this.transfer === Transfer.Identify) {
      this.transfer = Transfer.None;
      this.status = DRDY | DSC;
      return;
    }
    if (this.load(this.sector)) this.startIn(Transfer.Read, this.sector, this.remaining);
  }

  private writeData(size: number, value: number): void {
    if (size === 4) {
      this.writeData(2, value & 0xffff);
      this.writeData(2, value >>> 16);
      return;
    }
    if (this.absent || this.transfer !== Transfer.Write) return;
    this.buffer[this.bufferAt] = value & 0xff;
    if (size === 2) this.buffer[this.bufferAt + 1] = (value >>> 8) & 0xff;
    this.bufferAt += size;
    if (this.bufferAt < SECTOR) return;
    if (!this.io(() => this.disk.write(this.sector * SECTOR, this.buffer))) return this.done(ABRT);
    this.sector++;
    this.remaining--;
    this.bufferAt = 0;
    if (this.remaining === 0) return this.done(0);
    this.status = DRDY | DSC | DRQ;
    this.raise(true);
  }

  /** IDENTIFY DEVICE's 256 words (ATA/ATAPI-6, 8.15). */
  private identify(): Uint8Array {
    const w = new Uint16Array(256);
    const cylinders = Math.min(Math.floor(this.sectors / (HEADS * SECTORS_PER_TRACK)), 16383);
    const lba28 = Math.min(this.sectors, 0x0fffffff);
    w[0] = 0x0040; // a fixed, non-removable ATA device
    w[1] = cylinders;
    w[3] = HEADS;
    w[6] = SECTORS_PER_TRACK;
    putString(w, 10, 10, 'GLASSBOX0001');
    putString(w, 23, 4, '1.0');
    putString(w, 27, 20, 'glassbox ATA disk');
    w[49] = 0x0200; // LBA supported (no DMA)
    w[53] = 0x0001; // words 54-58 are valid
    w[54] = cylinders;
    w[55] = HEADS;
    w[56] = SECTORS_PER_TRACK;
    const chs = cylinders * HEADS * SECTORS_PER_TRACK;
    w[57] = chs & 0xffff;
    w[58] = chs >>> 16;
    w[60] = lba28 & 0xffff;
    w[61] = lba28 >>> 16;
    w[80] = 0x007e; // ATA-1 to ATA-6
    w[82] = 0x4000;
    w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400; // FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses
    w[84] = 0x4000;
    w[85] = 0x4000;
    w[86] = 0x2000 | 0x1000 | 0x0400;
    w[87] = 0x4000;
    for (let i = 0; i < 4; i++) w[100 + i] = Math.floor(this.sectors / 2 ** (16 * i)) & 0xffff;
    return new Uint8Array(w.buffer);
  }

  /** The interrupt request: raised as a block or a command completes (unless nIEN), lowered by reading status. */
  private raise(high: boolean): void {
    if (high && this.irq && !(this.control & NIEN)) this.setIrq(false); // a new edge for the 8259
    this.irq = high;
    if (!(this.control & NIEN) || !high) this.setIrq(high);
  }

  saveState(): StateRecord {
    return { ...saveFields(ownFields(this), FIELDS), buffer: this.buffer.slice() };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, FIELDS);
    this.buffer = bytesField(r, 'buffer', SECTOR).slice();
  }
}
