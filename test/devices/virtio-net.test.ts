// virtio-net driven through its registers and rings as the virtio 1.x spec
// (5.1, 2.7) has a driver do it: the MAC and link status in config space, a
// frame sent through the transmit queue reaching the backend without its
// virtio_net_hdr, frames from the backend waiting for receive buffers, and a
// flood that finds no buffers bounded instead of growing the host's memory.
// The proof with Linux's own driver is test/net/guest-network.test.ts.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { RX_BACKLOG, VirtioNet, type NetBackend } from '../../src/devices/virtio/net.ts';
import { STATUS } from '../../src/devices/virtio/mmio-transport.ts';
import { initialiseDriver } from '../support/virtio-driver.ts';

const MiB = 1 << 20;
const BASE = 0xfeb00000;
const N = 8;
/** Ring areas per queue: descriptors, available ring, used ring. */
const RINGS = [
  { desc: 0x10000, avail: 0x11000, used: 0x12000 },
  { desc: 0x13000, avail: 0x14000, used: 0x15000 },
];

function card() {
  const m = new PcMachine((h) => createCore(16 * MiB, h), 16 * MiB);
  const sent: Uint8Array[] = [];
  const backend: NetBackend = { receive: (f) => sent.push(f.slice()), deliver: () => {} };
  const nic = new VirtioNet(new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]), backend);
  m.addVirtio('net', nic);
  const rd = (off: number) => m.mmio.read(BASE + off, 4);
  const wr = (off: number, v: number) => m.mmio.write(BASE + off, 4, v);
  const dv = new DataView(m.core.ram.buffer, m.core.ram.byteOffset);
  initialiseDriver(rd, wr, 1 << 5 /* MAC */, RINGS, N);
  /** One buffer made available on queue q (descriptor slot d), then the queue kicked. */
  const post = (q: number, d: number, addr: number, len: number, writable: boolean) => {
    const r = RINGS[q]!;
    dv.setUint32(r.desc + 16 * d, addr, true);
    dv.setUint32(r.desc + 16 * d + 4, 0, true);
    dv.setUint32(r.desc + 16 * d + 8, len, true);
    dv.setUint16(r.desc + 16 * d + 12, writable ? 2 : 0, true);
    const idx = dv.getUint16(r.avail + 2, true);
    dv.setUint16(r.avail + 4 + 2 * (idx % N), d, true);
    dv.setUint16(r.avail + 2, idx + 1, true);
    wr(0x50, q);
  };
  const used = (q: number, i: number) => ({ id: dv.getUint32(RINGS[q]!.used + 4 + 8 * i, true), len: dv.getUint32(RINGS[q]!.used + 8 + 8 * i, true) });
  return { m, nic, backend, sent, rd, post, used, ram: m.core.ram, dv };
}

describe('virtio-net', () => {
  it('offers MAC, STATUS and the checksum and TSO offloads, and shows the MAC and a link that is up in config space', () => {
    const { rd, m } = card();
    expect(rd(0x08)).toBe(1);
    m.mmio.write(BASE + 0x14, 4, 0);
    expect(rd(0x10)).toBe((1 << 0) | (1 << 1) | (1 << 5) | (1 << 11) | (1 << 16)); // CSUM, GUEST_CSUM, MAC, HOST_TSO4, STATUS
    expect(rd(0x70) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
    expect([0, 1, 2, 3, 4, 5].map((i) => m.mmio.read(BASE + 0x100 + i, 1))).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect(m.mmio.read(BASE + 0x106, 2)).toBe(1); // VIRTIO_NET_S_LINK_UP
  });

  it('hands a transmitted frame to the backend without its header, and returns the buffer', () => {
    const t = card();
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    t.ram.fill(0, 0x20000, 0x20000 + 12);
    t.ram.set(frame, 0x20000 + 12);
    t.post(1, 0, 0x20000, 12 + 60, false);
    expect(t.sent).toEqual([frame]);
    expect(t.used(1, 0)).toEqual({ id: 0, len: 0 });
    expect(t.rd(0x60) & 1).toBe(1);
    expect(t.nic.stats).toMatchObject({ txFrames: 1, txBytes: 60 });
  });

  it('completes a checksum the guest left to the device (NEEDS_CSUM) before the backend sees the frame', () => {
    const t = card();
    // A UDP datagram 10.0.2.15:1000 -> 10.0.2.2:2000 carrying "hi", its checksum field holding the pseudo-header's folded sum as Linux leaves it.
    const udp = [0x03, 0xe8, 0x07, 0xd0, 0, 10, 0, 0, 0x68, 0x69];
    const pseudo = 0x0a00 + 0x020f + 0x0a00 + 0x0202 + 17 + 10;
    const frame = new Uint8Array(14 + 20 + udp.length);
    frame.set(udp, 34);
    frame[34 + 6] = pseudo >>> 8;
    frame[34 + 7] = pseudo & 255;
    const header = [1, 0, 0, 0, 0, 0, 34, 0, 6, 0, 0, 0]; // NEEDS_CSUM, csum_start 34, csum_offset 6
    t.ram.set(header, 0x20000);
    t.ram.set(frame, 0x20000 + 12);
    t.post(1, 0, 0x20000, 12 + frame.length, false);
    // The RFC 768 checksum worked by hand: pseudo-header + header + data, folded and complemented.
    const sum = pseudo + 0x03e8 + 0x07d0 + 10 + 0x6869;
    expect((t.sent[0]![40]! << 8) | t.sent[0]![41]!).toBe(~sum & 0xffff);
    // A segmentation type that was not offered (UDP, 3) is dropped.
    t.ram.set([0, 3], 0x21000);
    t.post(1, 1, 0x21000, 12 + frame.length, false);
    expect(t.sent.length).toBe(1);
    expect(t.nic.stats.txDropped).toBe(1);
  });

  it('keeps a frame from the backend until the driver posts a receive buffer, then writes header and frame', () => {
    const t = card();
    const frame = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
    t.backend.deliver(frame);
    expect(t.nic.waiting).toBe(1);
    t.post(0, 3, 0x30000, 1526, true);
    expect(t.nic.waiting).toBe(0);
    expect(t.used(0, 0)).toEqual({ id: 3, len: 112 });
    expect([...t.ram.subarray(0x30000, 0x30000 + 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]); // num_buffers = 1
    expect([...t.ram.subarray(0x3000c, 0x3000c + 100)]).toEqual([...frame]);
    // A frame for a buffer already posted goes in at once.
    t.post(0, 4, 0x31000, 1526, true);
    t.backend.deliver(frame.subarray(0, 42));
    expect(t.used(0, 1)).toEqual({ id: 4, len: 54 });
  });

  it('bounds a flood the guest does not take: the backlog stops growing and the rest is counted as dropped', () => {
    const t = card();
    const frame = new Uint8Array(1514);
    for (let i = 0; i < 10_000; i++) t.backend.deliver(frame);
    expect(t.nic.waiting).toBe(RX_BACKLOG);
    expect(t.nic.stats.rxDropped).toBe(10_000 - RX_BACKLOG);
  });

  it('saves its waiting frames and counters, and a fresh card loads them back', () => {
    const t = card();
    t.backend.deliver(new Uint8Array([1, 2, 3]));
    t.post(1, 0, 0x20000, 12 + 14, false);
    const record = t.nic.saveState();
    const u = card();
    u.nic.loadState(record);
    expect(u.nic.saveState()).toEqual(record);
    expect(u.nic.waiting).toBe(1);
    expect(() => u.nic.loadState({ ...record, backlog: [new Uint8Array(5000)] })).toThrow(/backlog/);
  });
});
