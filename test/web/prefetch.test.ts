// The tab's worker loads its snapshot before the machine asks and inflates
// the file's first chunks as they arrive (src/web/worker/prefetch.ts,
// inflate-ahead.ts), here in Node through the browser's platform (fetch)
// from a local server that sends the file in pieces: the machine's read
// takes the download begun early (one request), progress begun before
// anyone listened is told to the listener, and the resumed machine's RAM
// reads those chunks without inflating them again, byte for byte what the
// file holds; past them it inflates as before.

import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { browserPlatform } from '../../src/api/browser-platform.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { webCodec } from '../../src/snapshot/codec.ts';
import { openSnapshot, readHeader } from '../../src/snapshot/format.ts';
import { Prefetching } from '../../src/web/worker/prefetch.ts';

const PIECE = 64 * 1024;
let snapshot: Uint8Array;
let requests = 0;
let base: string;
const server = createServer((req, res) => {
  if (req.url !== '/snap') return void res.writeHead(404).end();
  requests++;
  res.writeHead(200, { 'content-length': snapshot.length });
  // In pieces, each on a later turn of the event loop, as a network delivers them.
  let at = 0;
  const next = () => {
    if (at >= snapshot.length) return void res.end();
    res.write(snapshot.subarray(at, (at += PIECE)));
    setImmediate(next);
  };
  next();
});

beforeAll(async () => {
  // The default guest loaded, not started: its kernel and initrd in RAM, some hundred chunks.
  snapshot = await (await Machine.create()).snapshot();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, 60_000);

afterAll(() => void server.close());

test('a snapshot loaded before it is asked for: one download, its progress told late, its first chunks inflated as they came', async () => {
  let inflatedByMachine = 0;
  const loading = new Prefetching((onProgress) => ({
    ...browserPlatform(base, onProgress),
    codec: { ...webCodec, decompressSync: (z) => (inflatedByMachine++, webCodec.decompressSync!(z)) },
  }));
  loading.start('snap');
  // The page listens only once its own script runs: what came before is told to it first.
  await new Promise((r) => setTimeout(r, 50));
  const told: number[] = [];
  loading.listen((file, loaded, total) => {
    expect([file, total]).toEqual(['snap', snapshot.length]);
    told.push(loaded);
  });
  const bytes = await loading.platform.read('snap', 'snapshot');
  // (Compared as buffers: a deep equality of megabytes takes minutes.)
  expect(Buffer.compare(bytes, snapshot)).toBe(0);
  expect(requests).toBe(1);
  expect(told.at(-1)).toBe(snapshot.length);
  expect(told[0]).toBeGreaterThan(0);

  // The machine's view of the file: its first 128 chunks come inflated, byte for byte as Node's zlib has them.
  // (A chunk that repeats one before it is stored once, and counted once here.)
  const { header } = await readHeader(snapshot, nodeCodec);
  expect(header.chunks.length).toBeGreaterThan(128);
  const ahead = new Map(header.chunks.slice(0, 128).map((c) => [c.offset, c]));
  const ours = await openSnapshot(bytes, loading.platform.codec!);
  const plain = await openSnapshot(snapshot, nodeCodec);
  const firstPage = (c: { first: number; pages: number }) => c.first + Math.log2(c.pages & -c.pages);
  for (const c of ahead.values()) expect(ours.ram.page(firstPage(c))).toEqual(plain.ram.page(firstPage(c)));
  expect(inflatedByMachine).toBe(0);
  // Past them the machine inflates, as it did without any of this.
  const later = header.chunks.slice(128).find((c) => !ahead.has(c.offset))!;
  expect(ours.ram.page(firstPage(later))).toEqual(plain.ram.page(firstPage(later)));
  expect(inflatedByMachine).toBe(1);

  // A later read (a reboot's) downloads again: nothing is kept for it.
  await loading.platform.read('snap', 'snapshot');
  expect(requests).toBe(2);
}, 60_000);
