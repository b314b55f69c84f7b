// The virtio-MMIO transport and virtio-blk driven through their registers as
// the virtio 1.x spec (4.2.2, 2.7, 5.2) has a driver do it: the registers'
// fixed values, feature negotiation, a write and a read through a split ring,
// and a guest that breaks its ring (a loop, a buffer outside RAM) getting
// DEVICE_NEEDS_RESET instead of a host error. The proof with Linux's own
// driver is test/system/virtio-blk-guest.test.ts.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { VirtioBlock } from '../../src/devices/virtio/blk.ts';
import { STATUS } from '../../src/devices/virtio/mmio-transport.ts';
import { virtioView, type VirtqueueView } from '../../src/inspect/virtio.ts';
import { memoryDisk } from '../support/memory-disk.ts';

const MiB = 1 << 20;
const BASE = 0xfeb00000;

function machine(disk = memoryDisk(64 * 1024)) {
  const m = new PcMachine((h) => createCore(16 * MiB, h), 16 * MiB);
  const blk = new VirtioBlock(disk, 'test-serial');
  m.addVirtio('virtio-blk', blk);
  const rd = (off: number) => m.mmio.read(BASE + off, 4);
  const wr = (off: number, v: number) => m.mmio.write(BASE + off, 4, v);
  return { m, blk, disk, rd, wr };
}

// Ring layout in guest RAM for a queue of 8.
const DESC = 0x10000,
  AVAIL = 0x11000,
  USED = 0x12000,
  N = 8;

/** The driver's side of initialisation (virtio 1.x 3.1.1), up to DRIVER_OK. */
function initialise(t: ReturnType<typeof machine>): void {
  const { wr, rd } = t;
  wr(0x70, 0);
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
  wr(0x24, 1);
  wr(0x20, 1); // VERSION_1
  wr(0x24, 0);
  wr(0x20, 1 << 9); // FLUSH
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
  expect(rd(0x70) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
  wr(0x30, 0);
  wr(0x38, N);
  wr(0x80, DESC);
  wr(0x84, 0);
  wr(0x90, AVAIL);
  wr(0x94, 0);
  wr(0xa0, USED);
  wr(0xa4, 0);
  wr(0x44, 1);
  expect(rd(0x44)).toBe(1);
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
}

/** Puts a chain of descriptors [addr, len, writable] on the ring and kicks the queue. */
function submit(t: ReturnType<typeof machine>, bufs: [number, number, boolean][], next?: number[], notify = true): void {
  const dv = new DataView(t.m.core.ram.buffer, t.m.core.ram.byteOffset);
  bufs.forEach(([addr, len, w], i) => {
    const d = DESC + 16 * i;
    dv.setUint32(d, addr, true);
    dv.setUint32(d + 4, 0, true);
    dv.setUint32(d + 8, len, true);
    const more = i < bufs.length - 1 || next !== undefined;
    dv.setUint16(d + 12, (more ? 1 : 0) | (w ? 2 : 0), true);
    dv.setUint16(d + 14, next?.[i] ?? i + 1, true);
  });
  const idx = dv.getUint16(AVAIL + 2, true);
  dv.setUint16(AVAIL + 4 + 2 * (idx % N), 0, true);
  dv.setUint16(AVAIL + 2, idx + 1, true);
  if (notify) t.wr(0x50, 0);
}

function request(t: ReturnType<typeof machine>, type: number, sector: number): void {
  const dv = new DataView(t.m.core.ram.buffer, t.m.core.ram.byteOffset);
  dv.setUint32(0x20000, type, true);
  dv.setBigUint64(0x20008, BigInt(sector), true);
}

describe('virtio-MMIO transport', () => {
  it('shows the version 2 registers and offers VIRTIO_F_VERSION_1 with the device features', () => {
    const { rd, wr, m } = machine();
    expect(rd(0x00)).toBe(0x74726976);
    expect(rd(0x04)).toBe(2);
    expect(rd(0x08)).toBe(2);
    wr(0x14, 1);
    expect(rd(0x10)).toBe(1); // bit 32
    wr(0x14, 0);
    expect(rd(0x10)).toBe((1 << 9) | (1 << 2)); // FLUSH and SEG_MAX, not RO
    expect(m.mmio.read(BASE + 0x10c, 4)).toBe(126); // seg_max
    expect(rd(0x34)).toBe(128);
    expect(m.mmio.read(BASE + 0x100, 4)).toBe(128); // capacity: 64 KiB in sectors
    expect(m.virtioCmdline()).toBe('virtio_mmio.device=4K@0xfeb00000:5');
  });

  it('refuses FEATURES_OK for features it did not offer or without VERSION_1', () => {
    const { rd, wr } = machine();
    wr(0x70, 3);
    wr(0x24, 0);
    wr(0x20, 1 << 9);
    wr(0x70, 11);
    expect(rd(0x70) & STATUS.FEATURES_OK).toBe(0);
    wr(0x24, 1);
    wr(0x20, 1 | 2);
    wr(0x70, 11);
    expect(rd(0x70) & STATUS.FEATURES_OK).toBe(0);
  });

  it('writes and reads sectors through the ring, raising and acknowledging its IRQ line', () => {
    const t = machine();
    initialise(t);
    const ram = t.m.core.ram;
    ram.fill(0xab, 0x21000, 0x21000 + 1024);
    request(t, 1, 3); // OUT at sector 3
    submit(t, [
      [0x20000, 16, false],
      [0x21000, 1024, false],
      [0x22000, 1, true],
    ]);
    expect(ram[0x22000]).toBe(0);
    expect([...t.disk.bytes.subarray(3 * 512 - 1, 5 * 512 + 1)]).toEqual([0, ...Array(1024).fill(0xab), 0]);
    expect(t.rd(0x60)).toBe(1);
    expect(t.m.pic.master.lines & (1 << 5)).toBe(1 << 5); // IRQ 5 held high until acknowledged
    t.wr(0x64, 1);
    expect(t.rd(0x60)).toBe(0);
    expect(t.m.pic.master.lines & (1 << 5)).toBe(0);
    request(t, 0, 2); // IN from sector 2: one zero sector then the written one
    submit(t, [
      [0x20000, 16, false],
      [0x23000, 1024, true],
      [0x22000, 1, true],
    ]);
    expect(ram[0x22000]).toBe(0);
    expect([...ram.subarray(0x23000, 0x23000 + 1024)]).toEqual([...Array(512).fill(0), ...Array(512).fill(0xab)]);
    const dv = new DataView(ram.buffer, ram.byteOffset);
    expect(dv.getUint16(USED + 2, true)).toBe(2);
    expect(dv.getUint32(USED + 4 + 8 + 4, true)).toBe(1025);
    request(t, 0, 128); // past the end: an I/O error, not a host error
    submit(t, [
      [0x20000, 16, false],
      [0x23000, 512, true],
      [0x22000, 1, true],
    ]);
    expect(ram[0x22000]).toBe(1);
    expect(t.blk.stats).toMatchObject({ reads: 1, writes: 1, bytesRead: 1024, bytesWritten: 1024, errors: 1 });
  });

  it('counts each queue for the inspector: posted, in flight while served, done, bytes each way', () => {
    const disk = memoryDisk(64 * 1024);
    const t = machine(disk);
    const view = () => virtioView({ pc: t.m, network: undefined });
    let during: VirtqueueView | undefined;
    disk.write = (off, data) => {
      during = view()[0]!.queues[0];
      disk.bytes.set(data, off);
    };
    initialise(t);
    request(t, 1, 0);
    submit(t, [
      [0x20000, 16, false],
      [0x21000, 512, false],
      [0x22000, 1, true],
    ]);
    expect(during).toMatchObject({ inFlight: 1, waiting: 0, requests: 1, completed: 0 });
    const [v] = view();
    expect(v).toMatchObject({ name: 'virtio-blk', kind: 'blk', device: { writes: 1, bytesWritten: 512, errors: 0 } });
    expect(v!.queues[0]).toMatchObject({ index: 0, size: N, ready: true, waiting: 0, inFlight: 0, requests: 1, completed: 1, bytesFromGuest: 16 + 512, bytesToGuest: 1 });
    expect(v!.queues[0]!.maxServiceUs).toBeGreaterThan(0);
    expect(v!.queues[0]!.meanServiceUs).toBe(v!.queues[0]!.maxServiceUs);
    // Made available without a notify: posted, not taken.
    request(t, 0, 0);
    submit(
      t,
      [
        [0x20000, 16, false],
        [0x23000, 512, true],
        [0x22000, 1, true],
      ],
      undefined,
      false,
    );
    expect(view()[0]!.queues[0]).toMatchObject({ waiting: 1, inFlight: 0, requests: 1 });
    t.wr(0x50, 0);
    expect(view()[0]!.queues[0]).toMatchObject({ waiting: 0, inFlight: 0, requests: 2, completed: 2, bytesToGuest: 1 + 512 + 1 });
  });

  it('answers a full host disk with an I/O error and says why', () => {
    const disk = memoryDisk(4096);
    disk.write = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const t = machine(disk);
    initialise(t);
    request(t, 1, 0);
    submit(t, [
      [0x20000, 16, false],
      [0x21000, 512, false],
      [0x22000, 1, true],
    ]);
    expect(t.m.core.ram[0x22000]).toBe(1);
    expect(t.blk.lastError).toMatch(/ENOSPC/);
  });

  it('asks for a reset when the guest breaks its ring, without a host error', () => {
    const loop = machine();
    initialise(loop);
    request(loop, 0, 0);
    expect(() =>
      submit(
        loop,
        [
          [0x21000, 512, true],
          [0x22000, 1, true],
        ],
        [1, 0],
      ),
    ).not.toThrow();
    expect(loop.rd(0x70) & STATUS.NEEDS_RESET).toBe(STATUS.NEEDS_RESET);
    expect(loop.m.virtio[0]!.lastError).toMatch(/loops/);
    expect(loop.rd(0x60) & 2).toBe(2); // a configuration-change interrupt tells the driver

    const outside = machine();
    initialise(outside);
    request(outside, 0, 0);
    submit(outside, [
      [0x20000, 16, false],
      [16 * MiB - 8, 512, true],
      [0x22000, 1, true],
    ]);
    expect(outside.m.virtio[0]!.lastError).toMatch(/outside guest RAM/);
    outside.wr(0x70, 0); // a reset clears it
    expect(outside.rd(0x70)).toBe(0);
  });

  it('saves its registers and rings and loads them into a fresh machine', () => {
    const a = machine();
    initialise(a);
    request(a, 1, 0);
    submit(a, [
      [0x20000, 16, false],
      [0x21000, 512, false],
      [0x22000, 1, true],
    ]);
    const b = machine();
    b.m.state.load(structuredClone(a.m.state.save()));
    b.m.core.ram.set(a.m.core.ram);
    expect(b.m.state.save()).toEqual(a.m.state.save());
    request(b, 0, 0); // b carries on a's ring where a left it
    submit(b, [
      [0x20000, 16, false],
      [0x23000, 512, true],
      [0x22000, 1, true],
    ]);
    expect(new DataView(b.m.core.ram.buffer, b.m.core.ram.byteOffset).getUint16(USED + 2, true)).toBe(2);
  });
});
