// Guest RAM by pages for snapshots and forks: the pages that are not all
// zeros, in chunks of CHUNK_PAGES (a fresh machine's RAM is zero already, so
// only these need saving or copying).

export const PAGE_SIZE = 4096;
export const CHUNK_PAGES = 16;

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

/** The non-zero pages of `ram` in chunks (`isZero` tells a page of zeros cheaply). */
export function ramChunks(ram: Uint8Array, isZero: (page: number) => boolean): RamChunk[] {
  const chunks: RamChunk[] = [];
  const pageCount = ram.length / PAGE_SIZE;
  for (let first = 0; first < pageCount; first += CHUNK_PAGES) {
    let pages = 0;
    for (let i = 0; i < CHUNK_PAGES && first + i < pageCount; i++) if (!isZero(first + i)) pages |= 1 << i;
    if (!pages) continue;
    const data = new Uint8Array(popcount(pages) * PAGE_SIZE);
    let at = 0;
    for (let i = 0; i < CHUNK_PAGES; i++) {
      if (!(pages & (1 << i))) continue;
      data.set(ram.subarray((first + i) * PAGE_SIZE, (first + i + 1) * PAGE_SIZE), at);
      at += PAGE_SIZE;
    }
    chunks.push({ first, pages, data });
  }
  return chunks;
}

/** Writes chunks into a RAM that is all zeros (a fresh machine's). */
export function fillRam(ram: Uint8Array, chunks: RamChunk[]): void {
  for (const c of chunks) {
    let at = 0;
    for (let i = 0; i < CHUNK_PAGES; i++) {
      if (!(c.pages & (1 << i))) continue;
      ram.set(c.data.subarray(at, at + PAGE_SIZE), (c.first + i) * PAGE_SIZE);
      at += PAGE_SIZE;
    }
  }
}

/** Copies the non-zero pages of `from` into `to`, a RAM of the same size that is all zeros: a fork. */
export function copyRam(from: Uint8Array, to: Uint8Array, isZero: (page: number) => boolean): void {
  const pageCount = from.length / PAGE_SIZE;
  for (let p = 0; p < pageCount; p++) {
    // Runs of non-zero pages go in one copy.
    if (isZero(p)) continue;
    let end = p + 1;
    while (end < pageCount && !isZero(end)) end++;
    to.set(from.subarray(p * PAGE_SIZE, end * PAGE_SIZE), p * PAGE_SIZE);
    p = end; // page `end` is zeros (or past the end): the loop steps over it
  }
}
