// Guest RAM by pages for snapshots: the pages that are not all zeros, in
// chunks of CHUNK_PAGES (a fresh machine's RAM is zero already, so only these
// need saving or filling).

export const PAGE_SIZE = 4096;
export const CHUNK_PAGES = 16;

/** Guest RAM's pages as something to fill a machine from: a snapshot's chunks, or a parent at a fork (lazy-ram.ts). */
export interface PageSource {
  /** Page `page`'s bytes (a view to copy at once, not to keep), or undefined when it held zeros. */
  page(page: number): Uint8Array | undefined;
  /** False when page `page` surely held zeros: a machine made from this source needs nothing there. */
  has(page: number): boolean;
}

/** Pages first..first+CHUNK_PAGES-1; bit i of `pages` set when page first+i is in `data`, in order. */
export interface RamChunk {
  first: number;
  pages: number;
  data: Uint8Array;
}

export function popcount(n: number): number {
  let c = 0;
  for (; n; n &= n - 1) c++;
  return c;
}

/** The non-zero pages of a RAM of `pageCount` pages in chunks; `page` gives a page's bytes, undefined for zeros. */
export function ramChunks(pageCount: number, page: (p: number) => Uint8Array | undefined): RamChunk[] {
  const chunks: RamChunk[] = [];
  for (let first = 0; first < pageCount; first += CHUNK_PAGES) {
    let pages = 0;
    const found: Uint8Array[] = [];
    for (let i = 0; i < CHUNK_PAGES && first + i < pageCount; i++) {
      const data = page(first + i);
      if (!data || isZero(data)) continue;
      pages |= 1 << i;
      found.push(data);
    }
    if (!pages) continue;
    const data = new Uint8Array(found.length * PAGE_SIZE);
    found.forEach((d, k) => data.set(d, k * PAGE_SIZE));
    chunks.push({ first, pages, data });
  }
  return chunks;
}

function isZero(page: Uint8Array): boolean {
  // A page a source hands out may lie anywhere in its buffer (a file block in the initrd's archive: 4-byte aligned).
  if (page.byteOffset % 8) return page.every((b) => b === 0);
  const words = new BigUint64Array(page.buffer, page.byteOffset, PAGE_SIZE / 8);
  for (let i = 0; i < words.length; i++) if (words[i]) return false;
  return true;
}

/** A chunk whose pages are inflated on first use. */
export interface LazyChunk {
  first: number;
  pages: number;
  data(): Uint8Array;
}

/** RAM pages from a snapshot's chunks, each chunk inflated when one of its pages is first asked for. */
export class ChunkPages implements PageSource {
  /** The chunk holding each page, -1 for none (zeros). */
  private readonly where: Int32Array;
  private readonly inflated: (Uint8Array | undefined)[];

  constructor(
    pageCount: number,
    private readonly chunks: LazyChunk[],
  ) {
    this.where = new Int32Array(pageCount).fill(-1);
    this.inflated = new Array<Uint8Array | undefined>(chunks.length);
    chunks.forEach((c, k) => {
      for (let i = 0; i < CHUNK_PAGES; i++) if (c.pages & (1 << i)) this.where[c.first + i] = k;
    });
  }

  /** RAM pages from chunks inflated already. */
  static inflated(pageCount: number, chunks: RamChunk[]): ChunkPages {
    return new ChunkPages(
      pageCount,
      chunks.map((c) => ({ ...c, data: () => c.data })),
    );
  }

  has(page: number): boolean {
    return this.where[page] !== -1;
  }

  page(page: number): Uint8Array | undefined {
    const k = this.where[page]!;
    if (k === -1) return undefined;
    const c = this.chunks[k]!;
    const data = (this.inflated[k] ??= c.data());
    const at = popcount(c.pages & ((1 << (page - c.first)) - 1)) * PAGE_SIZE;
    return data.subarray(at, at + PAGE_SIZE);
  }
}
