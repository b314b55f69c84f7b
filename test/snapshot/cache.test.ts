// The booted default guest cached as a snapshot (what the container engine
// starts from): made on first use, resumed after, remade when damaged; the
// files of other builds or images are left to other worktrees but a few.

import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedDefaultGuest } from '../../src/api/snapshot-cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function answers(dirName: string): Promise<string> {
  const m = await cachedDefaultGuest(dirName, { memoryMiB: 256 }, 'virtual');
  m.start();
  try {
    return (await m.exec('echo cached-$((6*7))')).stdout;
  } finally {
    m.stop();
  }
}

describe('the cached booted guest', () => {
  it('is made on first use, resumed from the file after, and remade when damaged', async () => {
    const stale = ['0', '1', '2', '3'].map((d) => `default-guest-256m-${d.repeat(16)}.snap`);
    stale.forEach((f, i) => writeFileSync(join(dir, f), `build ${i}`));
    expect(await answers(dir)).toBe('cached-42\n');
    const files = readdirSync(dir).filter((f) => f.endsWith('.snap')); // besides them: the guest files' digests (file-digest.ts)
    expect(files).toHaveLength(4); // the newest three stale ones stay
    const file = join(dir, files.find((f) => !stale.includes(f))!);
    const made = statSync(file).mtimeMs;
    expect(await answers(dir)).toBe('cached-42\n');
    expect(statSync(file).mtimeMs).toBe(made); // resumed, not made again
    writeFileSync(file, 'damaged');
    expect(await answers(dir)).toBe('cached-42\n');
    expect(statSync(file).size).toBeGreaterThan(1 << 20);
  }, 600_000);
});
