// Pages named in the initrd instead of stored (src/snapshot/initrd-pages.ts),
// against an archive the host's cpio and gzip make from files on disk: every
// block of every file is found where the archive holds it, nothing else is,
// and a snapshot's RAM split this way reads back page for page.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { checkInitrdPages, initrdArchive, InitrdIndex, InitrdPages, splitInitrdPages } from '../../src/snapshot/initrd-pages.ts';
import { ChunkPages, PAGE_SIZE, ramChunks } from '../../src/snapshot/ram.ts';

/** Deterministic bytes that are not zeros. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'glassbox-initrd-'));
const files: Record<string, Uint8Array> = { 'bin/tool': bytes(10_000, 1), 'lib/exact': bytes(PAGE_SIZE, 2), 'etc/small': bytes(5, 3) };
for (const [name, data] of Object.entries(files)) {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), data);
}
symlinkSync('tool', join(dir, 'bin', 'link'));
const cpio = new Uint8Array(execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: dir }));
const gz = new Uint8Array(execFileSync('gzip', ['-n', '-c'], { input: cpio }));

/** Each file's blocks as RAM holds them: a page each, zeros after the file's end, with the length of the file's part. */
const lengths: number[] = [];
const blocks = Object.values(files).flatMap((data) => {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += PAGE_SIZE) {
    const page = new Uint8Array(PAGE_SIZE);
    page.set(data.subarray(o, o + PAGE_SIZE));
    out.push(page);
    lengths.push(Math.min(PAGE_SIZE, data.length - o));
  }
  return out;
});

describe('pages named in the initrd', () => {
  it('finds every block of every file where the archive holds it, and nothing else', async () => {
    const archive = (await initrdArchive(gz, nodeCodec.gunzip))!;
    expect(Buffer.from(archive).equals(Buffer.from(cpio))).toBe(true);
    expect(await initrdArchive(cpio, nodeCodec.gunzip)).toBe(cpio);
    expect(await initrdArchive(bytes(200, 4), nodeCodec.gunzip)).toBeUndefined();
    const index = new InitrdIndex(archive);
    expect(blocks).toHaveLength(5);
    for (const [k, page] of blocks.entries()) {
      const [at, length] = index.find(page)!;
      expect(length).toBe(lengths[k]);
      expect(Buffer.from(archive.subarray(at, at + length)).equals(Buffer.from(page.subarray(0, length)))).toBe(true);
    }
    expect(index.find(bytes(PAGE_SIZE, 9))).toBeUndefined();
    const padded = blocks[2]!.slice(); // the tool's last block, 1,808 bytes
    padded[PAGE_SIZE - 1] = 1;
    expect(index.find(padded)).toBeUndefined();
  });

  it('splits RAM into stored pages and pages named in the initrd, and reads it back page for page', async () => {
    const archive = (await initrdArchive(gz, nodeCodec.gunzip))!;
    const ram = new Map<number, Uint8Array>([
      [3, blocks[0]!],
      [4, bytes(PAGE_SIZE, 5)],
      [17, blocks[2]!],
      [40, blocks[4]!],
      [41, blocks[3]!],
    ]);
    const pageCount = 64;
    const { chunks, initrdPages } = splitInitrdPages(
      ramChunks(pageCount, (p) => ram.get(p)),
      new InitrdIndex(archive),
    );
    expect(initrdPages.filter((_, i) => i % 3 === 0)).toEqual([3, 17, 40, 41]);
    expect(chunks.map((c) => [c.first, c.pages])).toEqual([[0, 1 << 4]]);
    expect(checkInitrdPages(initrdPages, pageCount)).toBe(true);
    const stored = ChunkPages.inflated(pageCount, chunks);
    const back = new InitrdPages(stored, initrdPages, archive);
    for (let p = 0; p < pageCount; p++) {
      expect(back.has(p)).toBe(ram.has(p));
      const want = ram.get(p);
      const got = back.page(p);
      expect(got && Buffer.from(got).equals(Buffer.from(want!))).toBe(want ? true : undefined);
    }
  });

  it('refuses a table that is not whole triples of a page in RAM, an offset and a length of at most a page', () => {
    expect(checkInitrdPages([1, 2], 64)).toBe(false);
    expect(checkInitrdPages([64, 0, 10], 64)).toBe(false);
    expect(checkInitrdPages([1, 0, 0], 64)).toBe(false);
    expect(checkInitrdPages([1, -1, 10], 64)).toBe(false);
    expect(checkInitrdPages([1, 0, PAGE_SIZE + 1], 64)).toBe(false);
    expect(checkInitrdPages('x', 64)).toBe(false);
  });
});
