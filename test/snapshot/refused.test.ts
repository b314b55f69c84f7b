// Snapshots that do not fit are refused, each with its own message naming
// the part and why: foreign files, truncated ones, corrupt ones, and ones
// made by another build, device set, RAM size or guest. The snapshot under
// test is of the default guest loaded and not yet started (no boot needed).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Machine, nodePlatform, SnapshotError } from '../../src/api/index.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { encodeSnapshot, readHeader, decodeSnapshot, FORMAT_VERSION, type SnapshotHeader } from '../../src/snapshot/format.ts';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../../src/boot/default-guest.ts';

let good: Uint8Array;
let header: SnapshotHeader;

beforeAll(async () => {
  const m = await Machine.create();
  good = await m.snapshot();
  header = (await readHeader(good, nodeCodec)).header;
}, 60_000);

/** A snapshot made again from the good one's parts, changed by `change` (a build that differs). */
async function remade(change: (h: SnapshotHeader, records: Record<string, { version: number; state: Record<string, unknown> }>) => void): Promise<Uint8Array> {
  const snap = await decodeSnapshot(good, nodeCodec);
  const h = structuredClone(snap.header);
  change(h, snap.records as never);
  return encodeSnapshot(h, snap.records, snap.chunks, nodeCodec);
}

const refusal = (snapshot: Uint8Array, opts = {}) =>
  Machine.create({ snapshot, ...opts }).then(
    () => 'accepted',
    (e: Error) => `${e.name}: ${e.message}`,
  );

describe('a snapshot that does not fit is refused with a message naming the part', () => {
  it('resumes when nothing is wrong, and the same state gives the same bytes', async () => {
    const m = await Machine.create({ snapshot: good });
    expect(Buffer.from(await m.snapshot()).equals(Buffer.from(good))).toBe(true);
  }, 60_000);

  it('checks the kernel and initrd named by path by their digests without reading them, and refuses another kernel file', async () => {
    const reads: string[] = [];
    const logged = { ...nodePlatform, read: (ref: string, what: string) => (reads.push(what), nodePlatform.read(ref, what)) };
    await Machine.create({ snapshot: good }, logged);
    expect(reads).toEqual([]);
    const other = join(mkdtempSync(join(tmpdir(), 'glassbox-refused-')), 'bzImage');
    const kernel = readFileSync(DEFAULT_KERNEL);
    kernel[kernel.length - 1] ^= 1;
    writeFileSync(other, kernel);
    expect(await refusal(good, { kernel: other, initrd: DEFAULT_INITRD })).toMatch(
      /it was made with kernel \S+ \(sha256 [0-9a-f]{12}\), and this machine has kernel \S+bzImage \(sha256 [0-9a-f]{12}\): give the kernel it was made with/,
    );
  });

  it('refuses a file that is not a snapshot', async () => {
    expect(await refusal(new Uint8Array(readFileSync(DEFAULT_KERNEL)))).toMatch(/^SnapshotError: snapshot: not a glassbox snapshot: it does not start with "glassbox snapshot"/);
  });

  it('refuses a truncated snapshot, in the header or in the RAM', async () => {
    expect(await refusal(good.subarray(0, 100))).toMatch(/truncated in the header: it needs \d+ bytes, the snapshot has 100$/);
    expect(await refusal(good.subarray(0, good.length - 10))).toMatch(/truncated: the RAM chunk 0x[0-9a-f]+-0x[0-9a-f]+ lies at bytes \d+-\d+ of the body, which has \d+$/);
  });

  it('refuses a corrupt header and a corrupt RAM chunk', async () => {
    const bad = good.slice();
    bad[40] ^= 1;
    expect(await refusal(bad)).toMatch(/the header is corrupt: its SHA-256 differs/);
    const chunk = header.chunks[header.chunks.length >> 1]!;
    const body = good.length - header.chunks.reduce((end, c) => Math.max(end, c.offset + c.length), 0);
    const flipped = good.slice();
    // Every bit of the byte: a single bit may be padding that inflate ignores (the data is then intact).
    flipped[body + chunk.offset + (chunk.length >> 1)] ^= 0xff;
    expect(await refusal(flipped)).toMatch(
      new RegExp(
        `the RAM chunk 0x${(chunk.first * 4096).toString(16)}-0x[0-9a-f]+ is corrupt: (it does not inflate|its SHA-256 differs|the SHA-256 of its compressed bytes differs)`,
      ),
    );
  });

  it('refuses another format version', async () => {
    const other = good.slice();
    other[18] = FORMAT_VERSION + 1;
    expect(await refusal(other)).toMatch(new RegExp(`format version ${FORMAT_VERSION + 1}: this build of glassbox reads format version ${FORMAT_VERSION} only`));
  });

  it('refuses a snapshot from another core build, device set or part version', async () => {
    expect(await refusal(await remade((h) => (h.core.layout = 'deadbeef')))).toMatch(/does not fit this build: its core's state layout is deadbeef.*this core's is [0-9a-f]{8}/);
    expect(
      await refusal(
        await remade((h, r) => {
          h.devices.push({ name: 'ioapic', version: 1 });
          r.ioapic = { version: 1, state: {} };
        }),
      ),
    ).toMatch(/does not fit this build: the device set differs: the saved state has ioapic, which this machine lacks/);
    expect(await refusal(await remade((h) => (h.devices = h.devices.filter((d) => d.name !== 'pit'))))).toMatch(
      /the device set differs: this machine has pit, the saved state does not/,
    );
    expect(
      await refusal(
        await remade((h, r) => {
          h.devices.find((d) => d.name === 'com1')!.version = 9;
          r.com1!.version = 9;
        }),
      ),
    ).toMatch(/com1: saved at state version 9, this build reads version 1/);
  });

  it('refuses a malformed device record, naming the device and the field', async () => {
    const bad = await remade((_h, r) => ((r.pic!.state.master as Record<string, unknown>).imr = 'all'));
    expect(await refusal(bad)).toMatch(/the state record of pic: field imr should be a number, not "all"/);
  });

  it('refuses a table of pages in the initrd that is malformed or points past the initrd', async () => {
    const snap = await decodeSnapshot(good, nodeCodec);
    const withTable = (table: number[]) => encodeSnapshot(snap.header, snap.records, snap.chunks, nodeCodec, table);
    expect(await refusal(await withTable([16, 0]))).toMatch(/the header's initrd page table is malformed/);
    expect(await refusal(await withTable([16, 0, 4097]))).toMatch(/the header's initrd page table is malformed/);
    expect(await refusal(await withTable([16, 1e9, 4096]))).toMatch(
      /^SnapshotError: snapshot: its page 0x10 lies at bytes 1000000000-1000004096 of the initrd's archive, which has \d+$/,
    );
  });

  it('refuses other RAM, another command line and another kernel than the snapshot was made with', async () => {
    expect(await refusal(good, { memoryMiB: 128 })).toMatch(/it is of a machine with 256 MiB of RAM, not 128/);
    expect(await refusal(good, { cmdline: 'console=ttyS0' })).toMatch(/it was booted with the command line "console=ttyS0 tsc=reliable", not "console=ttyS0"/);
    const other = new Uint8Array(readFileSync(DEFAULT_KERNEL));
    expect(await refusal(good, { kernel: other, initrd: undefined })).toMatch(
      /it was made with kernel \S+ \(sha256 [0-9a-f]{12}\), and this machine has kernel \(sha256 [0-9a-f]{12}\)|made with initrd/,
    );
  });
});

describe('SnapshotError', () => {
  it('is what the API exports', () => {
    expect(new SnapshotError('x').name).toBe('SnapshotError');
  });
});
