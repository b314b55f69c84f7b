// File digests remembered across processes by the file's identity and age
// (file-digest.ts): a kept digest answers only while the file is the one it
// was taken of, and a file rewritten in place, even with its size and
// modification time put back, is read again.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fileSha256 } from '../../src/api/file-digest.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const kept = join(dir, 'digests.json');

/** The module as a new process loads it: nothing remembered in memory. */
async function freshModule(): Promise<typeof import('../../src/api/file-digest.ts')> {
  vi.resetModules();
  return import('../../src/api/file-digest.ts');
}

/** Waits until the digest kept in the background for `path` is in the file. */
async function keptFor(path: string): Promise<{ stamp: string; sha256: string }> {
  for (let i = 0; i < 200; i++) {
    try {
      const entry = (JSON.parse(readFileSync(kept, 'utf8')) as Record<string, { stamp: string; sha256: string }>)[path];
      if (entry) return entry;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no digest of ${path} was kept in ${kept} within 2 s`);
}

describe('file digests kept between processes', () => {
  it('are taken of the contents, kept, and believed by another process only for the same version of the file', async () => {
    const a = join(dir, 'a');
    writeFileSync(a, 'first contents');
    expect(await fileSha256(a, kept)).toBe(sha256('first contents'));
    const entry = await keptFor(a);
    expect(entry.sha256).toBe(sha256('first contents'));

    // Another process (a fresh copy of the module) believes the kept digest without reading the file: a planted one shows it.
    const planted = sha256('planted');
    writeFileSync(kept, JSON.stringify({ [a]: { stamp: entry.stamp, sha256: planted } }));
    expect(await (await freshModule()).fileSha256(a, kept)).toBe(planted);

    // Rewritten in place, same size, modification time put back: its change time differs, so it is read again.
    const { mtime } = statSync(a);
    writeFileSync(a, 'other contents');
    utimesSync(a, mtime, mtime);
    expect(await (await freshModule()).fileSha256(a, kept)).toBe(sha256('other contents'));
  });

  it('are read again when the file is rewritten in place with its size and modification time put back', async () => {
    const f = join(dir, 'same-size');
    writeFileSync(f, 'AAAA');
    expect(await fileSha256(f, kept)).toBe(sha256('AAAA'));
    const { mtime } = statSync(f);
    writeFileSync(f, 'BBBB');
    utimesSync(f, mtime, mtime);
    expect(await fileSha256(f, kept)).toBe(sha256('BBBB'));
  });
});
