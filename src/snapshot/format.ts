// The snapshot file: a whole machine (state records and RAM) as bytes, built
// to be read by later builds or refused by them with a reason.
//
//   "glassbox snapshot\n"         18 bytes, the magic
//   u32 LE format version         FORMAT_VERSION
//   u32 LE header length N
//   N bytes header, JSON          SnapshotHeader: what made it, what it fits, where the blobs are
//   32 bytes                      SHA-256 of the header
//   body                          blobs, each a zlib stream, at the header's offsets
//
// RAM is cut into chunks of CHUNK_PAGES pages; pages holding only zeros are
// left out (a chunk's `pages` mask says which are there) and chunks with no
// page at all are not written. Each chunk is compressed on its own and named
// by the SHA-256 of its contents, so a chunk that repeats is stored once, and
// two snapshots of the same guest have most chunks, byte for byte, in common:
// a store keyed by digest keeps one copy of each. Each blob also carries the
// SHA-256 of its compressed bytes, so a reader checks the whole file before
// it inflates anything and may then inflate a chunk only when the guest
// needs it (openSnapshot). Nothing in the file depends on when it was made:
// the same machine state gives the same bytes. Pages equal to a block of a
// file in the initrd the header names are not stored but named by where
// those bytes lie in its uncompressed archive (initrd-pages.ts).

import type { VersionedRecord } from '../state/records.ts';
import type { SnapshotCodec } from './codec.ts';
import { decodeRecords, encodeRecords } from './records.ts';
import { SnapshotError } from './error.ts';
import { CHUNK_PAGES, ChunkPages, PAGE_SIZE, popcount, type RamChunk } from './ram.ts';
import type { PageSource } from './ram.ts';
import { checkInitrdPages } from './initrd-pages.ts';

export { SnapshotError };

const MAGIC = new TextEncoder().encode('glassbox snapshot\n');
export const FORMAT_VERSION = 3;
const PREAMBLE = MAGIC.length + 8;
const DIGEST = 32;

/** Where a blob lies in the body, the SHA-256 of what it inflates to, and of its compressed bytes. */
export interface BlobRef {
  offset: number;
  length: number;
  sha256: string;
  zsha256: string;
}

/** A RAM chunk: pages first..first+CHUNK_PAGES-1, bit i of `pages` set when page first+i is stored. */
export interface ChunkRef extends BlobRef {
  first: number;
  pages: number;
}

/** A guest file the machine was booted from: a reboot loads it again, so a restore needs the same one. */
export interface GuestFile {
  name: string;
  sha256: string;
}

/** What made a snapshot and what it fits. */
export interface SnapshotInfo {
  /** The core: a digest of its state layout (offsets) and, where known, of its compiled build. */
  core: { layout: string; build?: string };
  /** The state parts (devices included) with their record versions. */
  devices: { name: string; version: number }[];
  ramBytes: number;
  kernel: GuestFile;
  initrd: GuestFile | null;
  cmdline: string;
  clock: string;
  /** Instructions retired when it was taken (decimal), for people reading the header. */
  instructions: string;
}

export interface SnapshotHeader extends SnapshotInfo {
  format: number;
  state: BlobRef;
  chunks: ChunkRef[];
  /** Pages held in the initrd's archive, not in chunks: flat triples (page, offset, length), the page those bytes then zeros. */
  initrdPages: number[];
}

export interface Snapshot {
  header: SnapshotHeader;
  records: Record<string, VersionedRecord>;
  chunks: RamChunk[];
}

/** The page range of a chunk, as guest physical addresses, for messages. */
function where(first: number): string {
  const hex = (n: number) => `0x${n.toString(16)}`;
  return `RAM chunk ${hex(first * PAGE_SIZE)}-${hex((first + CHUNK_PAGES) * PAGE_SIZE)}`;
}

export async function encodeSnapshot(
  info: SnapshotInfo,
  records: Record<string, VersionedRecord>,
  chunks: RamChunk[],
  codec: SnapshotCodec,
  initrdPages: number[] = [],
): Promise<Uint8Array> {
  const blobs: Uint8Array[] = [];
  const stored = new Map<string, BlobRef>();
  let size = 0;
  const put = async (data: Uint8Array): Promise<BlobRef> => {
    const sha256 = await codec.sha256(data);
    const known = stored.get(sha256);
    if (known) return known;
    const z = await codec.compress(data);
    const ref = { offset: size, length: z.length, sha256, zsha256: await codec.sha256(z) };
    blobs.push(z);
    size += z.length;
    stored.set(sha256, ref);
    return ref;
  };
  const state = await put(encodeRecords(records));
  const refs: ChunkRef[] = [];
  for (const c of chunks) refs.push({ first: c.first, pages: c.pages, ...(await put(c.data)) });
  const header: SnapshotHeader = { format: FORMAT_VERSION, ...info, state, chunks: refs, initrdPages };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const digest = hexBytes(await codec.sha256(json));
  const out = new Uint8Array(PREAMBLE + json.length + DIGEST + size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(MAGIC.length, FORMAT_VERSION, true);
  dv.setUint32(MAGIC.length + 4, json.length, true);
  out.set(json, PREAMBLE);
  out.set(digest, PREAMBLE + json.length);
  let at = PREAMBLE + json.length + DIGEST;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function hexBytes(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

/** Reads the fixed part and the header, checking the magic, the version and the header's digest. */
export async function readHeader(bytes: Uint8Array, codec: SnapshotCodec): Promise<{ header: SnapshotHeader; body: Uint8Array }> {
  if (bytes.length < MAGIC.length || !MAGIC.every((b, i) => bytes[i] === b)) {
    const start = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
    throw new SnapshotError(`not a glassbox snapshot: it does not start with "glassbox snapshot" (it starts with "${start}")`);
  }
  if (bytes.length < PREAMBLE) throw new SnapshotError(`truncated: ${bytes.length} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const format = dv.getUint32(MAGIC.length, true);
  if (format !== FORMAT_VERSION) throw new SnapshotError(`format version ${format}: this build of glassbox reads format version ${FORMAT_VERSION} only`);
  const length = dv.getUint32(MAGIC.length + 4, true);
  if (bytes.length < PREAMBLE + length + DIGEST) {
    throw new SnapshotError(`truncated in the header: it needs ${PREAMBLE + length + DIGEST} bytes, the snapshot has ${bytes.length}`);
  }
  const json = bytes.subarray(PREAMBLE, PREAMBLE + length);
  const want = bytes.subarray(PREAMBLE + length, PREAMBLE + length + DIGEST);
  if (!hexBytes(await codec.sha256(json)).every((b, i) => b === want[i])) throw new SnapshotError('the header is corrupt: its SHA-256 differs from the one stored after it');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)) as SnapshotHeader;
  } catch (e) {
    throw new SnapshotError(`the header is not valid JSON (${(e as Error).message})`);
  }
  checkHeaderShape(header);
  return { header, body: bytes.subarray(PREAMBLE + length + DIGEST) };
}

function isBlob(b: unknown): b is BlobRef {
  const r = b as BlobRef;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.offset) &&
    Number.isSafeInteger(r.length) &&
    r.offset >= 0 &&
    r.length >= 0 &&
    /^[0-9a-f]{64}$/.test(r.sha256) &&
    /^[0-9a-f]{64}$/.test(r.zsha256)
  );
}

/** A header whose digest matched but which this build cannot use (written by a broken producer). */
function checkHeaderShape(h: SnapshotHeader): void {
  const bad = (what: string) => new SnapshotError(`the header's ${what} is malformed`);
  if (!Number.isSafeInteger(h.ramBytes) || h.ramBytes <= 0 || h.ramBytes % PAGE_SIZE) throw bad('RAM size');
  if (!isBlob(h.state)) throw bad('state record reference');
  if (!Array.isArray(h.chunks)) throw bad('chunk table');
  for (const c of h.chunks) {
    if (!isBlob(c) || !Number.isSafeInteger(c.first) || c.first % CHUNK_PAGES || c.first * PAGE_SIZE >= h.ramBytes || !(c.pages > 0 && c.pages < 1 << CHUNK_PAGES))
      throw bad('chunk table');
  }
  if (!checkInitrdPages(h.initrdPages, h.ramBytes / PAGE_SIZE)) throw bad('initrd page table');
  if (h.initrdPages.length && !h.initrd) throw bad('initrd page table (it names pages in an initrd the machine was not booted with)');
  if (!Array.isArray(h.devices) || typeof h.core?.layout !== 'string' || typeof h.kernel?.sha256 !== 'string' || typeof h.cmdline !== 'string')
    throw bad('description of the machine');
}

/** The compressed bytes of a blob, checked against the header's digest. */
async function blob(body: Uint8Array, ref: BlobRef, what: string, codec: SnapshotCodec): Promise<Uint8Array> {
  if (ref.offset + ref.length > body.length) {
    throw new SnapshotError(`truncated: the ${what} lies at bytes ${ref.offset}-${ref.offset + ref.length} of the body, which has ${body.length}`);
  }
  const z = body.subarray(ref.offset, ref.offset + ref.length);
  if ((await codec.sha256(z)) !== ref.zsha256) throw new SnapshotError(`the ${what} is corrupt: the SHA-256 of its compressed bytes differs from the header's`);
  return z;
}

/** A checked blob inflated; `size` is the length it must have. */
function inflated(data: Uint8Array, what: string, size: number | undefined): Uint8Array {
  if (size !== undefined && data.length !== size) throw new SnapshotError(`the ${what} is corrupt: ${data.length} bytes, its page mask says ${size}`);
  return data;
}

async function inflate(body: Uint8Array, ref: BlobRef, what: string, size: number | undefined, codec: SnapshotCodec): Promise<Uint8Array> {
  const z = await blob(body, ref, what, codec);
  let data: Uint8Array;
  try {
    data = inflated(await codec.decompress(z), what, size);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(`the ${what} is corrupt: it does not inflate (${(e as Error).message})`);
  }
  if ((await codec.sha256(data)) !== ref.sha256) throw new SnapshotError(`the ${what} is corrupt: its SHA-256 differs from the header's`);
  return data;
}

/** Reads and checks a whole snapshot: every blob inflated and its digest compared. */
export async function decodeSnapshot(bytes: Uint8Array, codec: SnapshotCodec): Promise<Snapshot> {
  const { header, body } = await readHeader(bytes, codec);
  const records = decodeRecords(await inflate(body, header.state, 'state records', undefined, codec));
  const chunks: RamChunk[] = [];
  for (const c of header.chunks) {
    chunks.push({ first: c.first, pages: c.pages, data: await inflate(body, c, where(c.first), popcount(c.pages) * PAGE_SIZE, codec) });
  }
  return { header, records, chunks };
}

/** A snapshot ready to resume from: its RAM a page source, inflated as it is read where the codec can inflate synchronously. */
export interface OpenSnapshot {
  header: SnapshotHeader;
  records: Record<string, VersionedRecord>;
  ram: PageSource;
}

/**
 * Reads a snapshot to resume from. Every blob's compressed bytes are checked
 * against the header here, so a damaged file is refused before anything
 * runs; with a synchronous codec the RAM chunks are inflated when the guest
 * first reaches one of their pages (inflating bytes already checked cannot
 * fail), otherwise all of them now.
 */
export async function openSnapshot(bytes: Uint8Array, codec: SnapshotCodec): Promise<OpenSnapshot> {
  const sync = codec.decompressSync;
  if (!sync) {
    const { header, records, chunks } = await decodeSnapshot(bytes, codec);
    return {
      header,
      records,
      ram: ChunkPages.inflated(header.ramBytes / PAGE_SIZE, chunks),
    };
  }
  const { header, body } = await readHeader(bytes, codec);
  const records = decodeRecords(await inflate(body, header.state, 'state records', undefined, codec));
  // All the chunks' digests at once: WebCrypto answers each on a thread of its own, so hundreds one after another cost a page hundreds of round trips.
  const chunks = await Promise.all(
    header.chunks.map(async (c) => {
      const z = await blob(body, c, where(c.first), codec);
      const data = () => {
        try {
          return inflated(sync(z), where(c.first), popcount(c.pages) * PAGE_SIZE);
        } catch (e) {
          // Only a file made to pass the digest checks gets here, while the guest runs.
          throw e instanceof SnapshotError ? e : new SnapshotError(`the ${where(c.first)} is corrupt: it does not inflate (${(e as Error).message})`);
        }
      };
      return { first: c.first, pages: c.pages, data };
    }),
  );
  return { header, records, ram: new ChunkPages(header.ramBytes / PAGE_SIZE, chunks) };
}
