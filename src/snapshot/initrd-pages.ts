// Guest RAM pages that hold a block of a file from the initrd, named in a
// snapshot by where those bytes lie in the initrd's archive instead of
// stored again.
//
// A guest booted from an initramfs keeps every file of it in RAM (the root
// file system is the page cache of a RAM file system), one file block per
// page: in the default guest that is 3,600 of the 6,000 pages a booted guest
// holds, and two thirds of its snapshot. The snapshot already names the
// initrd by its SHA-256 (a restore needs the same one, for a reboot), so a
// page equal to a block of one of its files is stored as (offset, length)
// into the uncompressed archive: the page is those bytes followed by zeros.
// A restore of such a snapshot reads the initrd and inflates it.

import { isNewc, newcFileExtents } from '../boot/newc-cpio.ts';
import { SnapshotError } from './error.ts';
import { CHUNK_PAGES, PAGE_SIZE, type PageSource, type RamChunk } from './ram.ts';

/** An initrd's uncompressed archive: `gunzip` for a gzip one, as it is for a plain cpio one, undefined for any other (its pages are stored). */
export async function initrdArchive(initrd: Uint8Array, gunzip: (data: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array | undefined> {
  if (initrd[0] === 0x1f && initrd[1] === 0x8b) return gunzip(initrd);
  return isNewc(initrd, 0) ? initrd : undefined;
}

/** A 32-bit hash of a page-sized block (FNV-1a over its 32-bit words), `length` bytes from `at` and zeros after. */
function blockHash(a: Uint8Array, at: number, length: number): number {
  let h = 0x811c9dc5;
  const whole = length & ~3;
  const dv = new DataView(a.buffer, a.byteOffset);
  for (let i = 0; i < whole; i += 4) h = Math.imul(h ^ dv.getUint32(at + i, true), 0x01000193);
  if (whole < length) {
    let w = 0;
    for (let i = whole; i < length; i++) w |= a[at + i]! << ((i - whole) * 8);
    h = Math.imul(h ^ w, 0x01000193);
  }
  for (let i = length + ((4 - (length & 3)) & 3); i < PAGE_SIZE; i += 4) h = Math.imul(h, 0x01000193);
  return h >>> 0;
}

/** Whether `page` is `archive`[at, at + length) followed by zeros. */
function sameBlock(page: Uint8Array, archive: Uint8Array, at: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (page[i] !== archive[at + i]) return false;
  for (let i = length; i < PAGE_SIZE; i++) if (page[i]) return false;
  return true;
}

/** The page-sized blocks of an archive's files, by content: finds the one a RAM page equals. */
export class InitrdIndex {
  private readonly blocks = new Map<number, [number, number][]>();

  constructor(private readonly archive: Uint8Array) {
    for (const [start, size] of newcFileExtents(archive)) {
      for (let o = 0; o < size; o += PAGE_SIZE) {
        const length = Math.min(PAGE_SIZE, size - o);
        const h = blockHash(archive, start + o, length);
        const known = this.blocks.get(h);
        if (known) known.push([start + o, length]);
        else this.blocks.set(h, [[start + o, length]]);
      }
    }
  }

  /** [offset, length] of a file block `page` (PAGE_SIZE bytes) equals, or undefined. */
  find(page: Uint8Array): [number, number] | undefined {
    const candidates = this.blocks.get(blockHash(page, 0, PAGE_SIZE));
    return candidates?.find(([at, length]) => sameBlock(page, this.archive, at, length));
  }
}

/** Checks a snapshot header's initrd page table (flat triples: page, offset, length) against RAM of `pageCount` pages. */
export function checkInitrdPages(table: unknown, pageCount: number): boolean {
  if (!Array.isArray(table) || table.length % 3) return false;
  for (let i = 0; i < table.length; i += 3) {
    const [page, at, length] = table.slice(i, i + 3) as number[];
    if (![page, at, length].every(Number.isSafeInteger) || page! < 0 || page! >= pageCount || at! < 0 || !(length! > 0 && length! <= PAGE_SIZE)) return false;
  }
  return true;
}

/** A snapshot's RAM: its stored pages, and those it names in the initrd's archive. */
export class InitrdPages implements PageSource {
  private readonly refs = new Map<number, number>();

  /** `table` is the header's flat triples (checkInitrdPages); the archive is the initrd the header names, already checked by digest. */
  constructor(
    private readonly stored: PageSource,
    private readonly table: number[],
    private readonly archive: Uint8Array,
  ) {
    for (let i = 0; i < table.length; i += 3) {
      if (table[i + 1]! + table[i + 2]! > archive.length) {
        throw new SnapshotError(
          `its page 0x${table[i]!.toString(16)} lies at bytes ${table[i + 1]}-${table[i + 1]! + table[i + 2]!} of the initrd's archive, which has ${archive.length}`,
        );
      }
      this.refs.set(table[i]!, i);
    }
  }

  has(page: number): boolean {
    return this.refs.has(page) || this.stored.has(page);
  }

  page(page: number): Uint8Array | undefined {
    const i = this.refs.get(page);
    if (i === undefined) return this.stored.page(page);
    const at = this.table[i + 1]!;
    const length = this.table[i + 2]!;
    if (length === PAGE_SIZE) return this.archive.subarray(at, at + PAGE_SIZE);
    const tail = new Uint8Array(PAGE_SIZE);
    tail.set(this.archive.subarray(at, at + length));
    return tail;
  }
}

/** `chunks` without the pages `index` finds in the initrd, and those pages as a header's table (flat triples: page, offset, length). */
export function splitInitrdPages(chunks: RamChunk[], index: InitrdIndex): { chunks: RamChunk[]; initrdPages: number[] } {
  const initrdPages: number[] = [];
  const kept: RamChunk[] = [];
  for (const c of chunks) {
    let pages = 0;
    const stay: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; i < CHUNK_PAGES; i++) {
      if (!(c.pages & (1 << i))) continue;
      const data = c.data.subarray(at, at + PAGE_SIZE);
      at += PAGE_SIZE;
      const found = index.find(data);
      if (found) initrdPages.push(c.first + i, ...found);
      else {
        pages |= 1 << i;
        stay.push(data);
      }
    }
    if (pages === c.pages) kept.push(c);
    else if (pages) {
      const data = new Uint8Array(stay.length * PAGE_SIZE);
      stay.forEach((d, k) => data.set(d, k * PAGE_SIZE));
      kept.push({ first: c.first, pages, data });
    }
  }
  return { chunks: kept, initrdPages };
}

/**
 * The last initrd's archive and index, by its SHA-256: the restores and
 * snapshots of one guest in a process inflate and index it once.
 */
let last: { sha256: string; archive: Promise<Uint8Array | undefined>; index?: InitrdIndex } | undefined;

/** The archive of the initrd whose SHA-256 is `sha256` (read() gives its bytes, already checked against that digest), undefined if it is not one. */
export function archiveOf(sha256: string, read: () => Promise<Uint8Array>, gunzip: (data: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array | undefined> {
  if (last?.sha256 !== sha256) {
    const archive = read().then((initrd) => initrdArchive(initrd, gunzip));
    last = { sha256, archive };
    archive.catch(() => {
      if (last?.archive === archive) last = undefined;
    });
  }
  return last.archive;
}

/** The index of that archive's file blocks (archiveOf). */
export async function indexOf(sha256: string, read: () => Promise<Uint8Array>, gunzip: (data: Uint8Array) => Promise<Uint8Array>): Promise<InitrdIndex | undefined> {
  const archive = await archiveOf(sha256, read, gunzip);
  if (!archive || last?.sha256 !== sha256) return archive && new InitrdIndex(archive);
  return (last.index ??= new InitrdIndex(archive));
}
