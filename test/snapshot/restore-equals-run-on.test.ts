// The proof that a snapshot holds the whole machine: booted once, the guest
// is snapshotted and forked in the middle of a console workload; the
// original, the machine restored from the snapshot and the fork each finish
// it, and each prints the same bytes after that point and powers off in the
// same state (the snapshot of each powered-off machine hashes the same). The
// oracle is the original machine running on, not anything written here.
// Forks are checked for isolation on the same booted guest.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';

let booted: Machine;
const machines: Machine[] = [];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  booted = await Machine.create();
  machines.push(booted);
  booted.start();
  await booted.waitFor('/ # ', { timeoutMs: 120_000 });
  await booted.agentReady();
}, 180_000);
afterAll(() => machines.forEach((m) => m.stop()));

/** Starts `m` and collects its console until it powers off; resolves with the bytes. */
function runToPowerOff(m: Machine, already: number[] = []): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out = already;
    m.serial.on('data', (b) => out.push(...b));
    m.on('power', (s) => s === 'off' && resolve(Buffer.from(out)));
    const timer = setTimeout(() => reject(new Error(`no power-off within 240 s; console so far: ${Buffer.from(out).toString('latin1').slice(-300)}`)), 240_000);
    m.on('power', (s) => s === 'off' && clearTimeout(timer));
    if (m.state !== 'running') m.start();
  });
}

describe('snapshot and fork of the booted default guest', () => {
  it('gives forks isolated from their parent and from each other: files, RAM and devices', async () => {
    const a = booted.fork();
    const b = booted.fork();
    machines.push(a, b);
    a.start();
    b.start();
    expect(await a.exec('echo from-a > /tmp/mark && cat /tmp/mark')).toMatchObject({ exitCode: 0, stdout: 'from-a\n' });
    expect((await b.exec('cat /tmp/mark')).exitCode).not.toBe(0);
    expect((await booted.exec('cat /tmp/mark')).exitCode).not.toBe(0);
    a.pause();
    b.pause();
    booted.pause();
    // RAM: a byte written in one fork is seen nowhere else.
    const page = 0x80000;
    const before = [booted, b].map((m) => m.pc.core.ram[page]);
    a.pc.core.ram[page] ^= 0xff;
    expect([booted, b].map((m) => m.pc.core.ram[page])).toEqual(before);
    // Devices: a CMOS byte and the PIC's mask set through one fork's ports stay in that fork.
    const cmos = (m: Machine) => (m.pc.bus.write(0x70, 1, 0x40), m.pc.bus.read(0x71, 1));
    const [c0, cb] = [cmos(booted), cmos(b)];
    a.pc.bus.write(0x70, 1, 0x40);
    a.pc.bus.write(0x71, 1, c0 ^ 0x5a);
    expect(cmos(a)).toBe(c0 ^ 0x5a);
    expect([cmos(booted), cmos(b)]).toEqual([c0, cb]);
    const imr = booted.pc.bus.read(0xa1, 1);
    a.pc.bus.write(0xa1, 1, imr ^ 0x10);
    expect([booted.pc.bus.read(0xa1, 1), b.pc.bus.read(0xa1, 1)]).toEqual([imr, imr]);
    a.stop();
    b.stop();
    booted.resume();
  }, 300_000);

  it('restored and forked copies finish a workload exactly as the original does', async () => {
    // A workload that computes and prints for a while, then powers the machine off.
    booted.serial.write('i=0; while [ $i -lt 400 ]; do echo line$i $((i*i*7%1000)); i=$((i+1)); done; echo DONE; poweroff -f\n');
    await booted.waitFor('line150 ', { timeoutMs: 120_000 });
    // Forked and snapshotted at the same instruction, the original paused meanwhile so that it cannot finish
    // before it is watched (the first snapshot of a guest reads and indexes its initrd: seconds on a loaded host).
    booted.pause();
    const fork = booted.fork();
    machines.push(fork);
    const mid = await booted.snapshot();
    const after: number[] = [];
    const original = runToPowerOff(booted, after);
    const restored = await Machine.create({ snapshot: mid });
    machines.push(restored);
    const [a, b, c] = await Promise.all([original, runToPowerOff(restored), runToPowerOff(fork)]);
    expect(a.toString('latin1')).toContain('line399 ');
    expect(a.toString('latin1')).toContain('DONE');
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(true);
    const [da, db, dc] = await Promise.all([booted.snapshot(), restored.snapshot(), fork.snapshot()]);
    expect(booted.instructions).toBe(restored.instructions);
    expect(sha(db)).toBe(sha(da));
    expect(sha(dc)).toBe(sha(da));
    // Content addressing: the snapshot mid-workload and the one at power-off share most of their RAM chunks.
    const { readHeader } = await import('../../src/snapshot/format.ts');
    const { nodeCodec } = await import('../../src/snapshot/codec-node.ts');
    const [h1, h2] = await Promise.all([readHeader(mid, nodeCodec), readHeader(da, nodeCodec)]);
    const digests = new Set(h1.header.chunks.map((c) => c.sha256));
    const shared = h2.header.chunks.filter((c) => digests.has(c.sha256)).reduce((n, c) => n + c.length, 0);
    const total = h2.header.chunks.reduce((n, c) => n + c.length, 0);
    expect(shared / total).toBeGreaterThan(0.5);
  }, 600_000);
});
