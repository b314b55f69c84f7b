// The IDE disk driven as ATA/ATAPI-6 says a host drives it through the
// legacy ports, against the bytes of its backing store: IDENTIFY, PIO reads
// and writes with LBA28, LBA48 and CHS addresses, the status and interrupt
// protocol, errors, the absent device 1 and a software reset's signature.

import { describe, expect, it } from 'vitest';
import { AtaDisk, ATA_COMMAND_BLOCK as B, ATA_CONTROL } from '../../src/devices/ata-disk.ts';
import type { BlockBackend } from '../../src/devices/virtio/blk.ts';

const BSY = 0x80,
  DRDY = 0x40,
  DRQ = 0x08,
  ERR = 0x01;

/** A disk whose byte at offset o is a hash of o, of any size, recording writes. */
class PatternDisk implements BlockBackend {
  readonly readOnly = false;
  readonly written = new Map<number, Uint8Array>();
  constructor(readonly size: number) {}
  static byte(o: number): number {
    return (Math.imul(o, 2654435761) >>> 13) & 0xff;
  }
  read(offset: number, into: Uint8Array): void {
    const w = this.written.get(offset);
    if (w) return into.set(w);
    for (let i = 0; i < into.length; i++) into[i] = PatternDisk.byte(offset + i);
  }
  write(offset: number, data: Uint8Array): void {
    this.written.set(offset, data.slice());
  }
  flush(): void {}
}

function rig(sectors: number) {
  const disk = new PatternDisk(sectors * 512);
  const irq: boolean[] = [];
  const ata = new AtaDisk(disk, (h) => irq.push(h));
  const out = (reg: number, v: number) => ata.write(B + reg, 1, v);
  const inb = (reg: number) => ata.read(B + reg, 1);
  const words = (n: number) => Array.from({ length: n }, () => ata.read(B, 2));
  const sectorBytes = () => new Uint8Array(Uint16Array.from(words(256)).buffer);
  return { disk, ata, irq, out, inb, words, sectorBytes };
}

describe('ATA disk', () => {
  it('IDENTIFY DEVICE: the size in both LBA forms, LBA48 supported, DRQ for one block and an interrupt', () => {
    const sectors = 70_000;
    const { ata, irq, out, inb, words } = rig(sectors);
    out(6, 0xa0);
    out(7, 0xec);
    expect(irq.at(-1)).toBe(true);
    expect(ata.read(ATA_CONTROL, 1) & (BSY | DRDY | DRQ | ERR)).toBe(DRDY | DRQ);
    expect(irq.at(-1)).toBe(true); // the alternate status does not acknowledge
    expect(inb(7) & DRQ).toBe(DRQ);
    expect(irq.at(-1)).toBe(false); // the status register does
    const w = words(256);
    expect(w[60]! | (w[61]! << 16)).toBe(sectors);
    expect(w[100]! | (w[101]! << 16)).toBe(sectors);
    expect(w[83]! & 0xc400).toBe(0x4400); // valid, 48-bit address feature set
    expect(w[49]! & 0x0200).toBe(0x0200); // LBA
    expect(inb(7) & (DRQ | ERR)).toBe(0);
  });

  it('READ SECTORS (LBA28): the backing bytes, one interrupt a block, DRQ gone after the last', () => {
    const { irq, out, inb, sectorBytes } = rig(1000);
    out(2, 3);
    out(3, 5);
    out(4, 0);
    out(5, 0);
    out(6, 0xe0); // LBA, device 0
    out(7, 0x20);
    for (let s = 5; s < 8; s++) {
      expect(irq.at(-1), `interrupt for sector ${s}`).toBe(true);
      expect(inb(7) & (DRQ | ERR)).toBe(DRQ);
      const got = sectorBytes();
      expect(got).toEqual(Uint8Array.from({ length: 512 }, (_, i) => PatternDisk.byte(s * 512 + i)));
    }
    expect(inb(7) & (BSY | DRQ | ERR)).toBe(0);
  });

  it('READ SECTORS EXT reaches past 2^28 sectors; CHS addresses count from sector 1', () => {
    const { out, sectorBytes } = rig(2 ** 29);
    const lba = 0x10000005;
    for (const [reg, v] of [
      [2, 0],
      [3, lba >>> 24],
      [4, 0],
      [5, 0],
      [2, 1],
      [3, lba & 0xff],
      [4, (lba >>> 8) & 0xff],
      [5, (lba >>> 16) & 0xff],
    ] as const)
      out(reg, v);
    out(6, 0x40);
    out(7, 0x24);
    expect(sectorBytes()[0]).toBe(PatternDisk.byte(lba * 512));
    // Cylinder 2, head 3, sector 4 with 16 heads and 63 sectors a track: LBA (2 * 16 + 3) * 63 + 3.
    out(2, 1);
    out(3, 4);
    out(4, 2);
    out(5, 0);
    out(6, 0xa3);
    out(7, 0x20);
    expect(sectorBytes().subarray(0, 4)).toEqual(Uint8Array.from({ length: 4 }, (_, i) => PatternDisk.byte(((2 * 16 + 3) * 63 + 3) * 512 + i)));
  });

  it('WRITE SECTORS: the first block without an interrupt, each block written through, an interrupt per block', () => {
    const { disk, ata, irq, out, inb } = rig(100);
    out(2, 2);
    out(3, 9);
    out(4, 0);
    out(5, 0);
    out(6, 0xe0);
    const before = irq.length;
    out(7, 0x30);
    expect(irq.length).toBe(before);
    expect(inb(7) & DRQ).toBe(DRQ);
    for (let i = 0; i < 256; i++) ata.write(B, 2, 0x0100 + i);
    expect(irq.at(-1)).toBe(true);
    expect(disk.written.get(9 * 512)?.subarray(0, 4)).toEqual(Uint8Array.of(0, 1, 1, 1));
    for (let i = 0; i < 128; i++) ata.write(B, 4, 0xdeadbeef);
    expect(disk.written.get(10 * 512)?.subarray(0, 4)).toEqual(Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
    expect(inb(7) & (DRQ | ERR)).toBe(0);
  });

  it('a range past the end fails with IDNF; IDENTIFY PACKET DEVICE is aborted (no ATAPI)', () => {
    const { out, inb } = rig(100);
    out(2, 2);
    out(3, 99);
    out(4, 0);
    out(5, 0);
    out(6, 0xe0);
    out(7, 0x20);
    expect(inb(7) & (ERR | DRQ)).toBe(ERR);
    expect(inb(1) & 0x10).toBe(0x10);
    out(7, 0xa1);
    expect(inb(7) & ERR).toBe(ERR);
    expect(inb(1)).toBe(0x04);
  });

  it('device 1 is absent: its registers read zero while device 0 keeps its own; a reset leaves the ATA signature', () => {
    const { ata, out, inb } = rig(100);
    out(6, 0xb0);
    out(2, 0x55);
    expect(inb(2)).toBe(0);
    expect(inb(7)).toBe(0);
    expect(inb(6)).toBe(0xb0);
    out(6, 0xa0);
    expect(inb(2)).toBe(0x55);
    ata.write(ATA_CONTROL, 1, 0x06); // SRST, nIEN
    expect(ata.read(ATA_CONTROL, 1) & BSY).toBe(BSY);
    ata.write(ATA_CONTROL, 1, 0x02);
    expect([inb(2), inb(3), inb(4), inb(5), inb(1)]).toEqual([1, 1, 0, 0, 1]);
    expect(inb(7) & (BSY | DRDY)).toBe(DRDY);
  });
});
