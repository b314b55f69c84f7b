// The image store shared by processes racing each other, as the CLI's load
// and rmi and the engine's builds do: afterwards every image it lists has
// every blob, and saves. Worker processes (support/store-worker.ts) run
// side by side for a bounded time.

import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../../src/containers/store/image-store.ts';

const WORKER = fileURLToPath(new URL('./support/store-worker.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const SECONDS = 8;

/** Runs a worker to its end: its counts, or its stderr as the failure. */
function worker(home: string, action: string, archive: string): Promise<{ done: number; refused: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [WORKER, home, action, String(SECONDS), archive], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${action} worker exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

describe('the image store under concurrent load, build and rmi', () => {
  it('keeps every listed image whole: all its blobs present, and save works', async () => {
    const home = mkdtempSync(join(tmpdir(), 'glassbox-races-'));
    const archive = join(home, 'busybox.tar');
    writeFileSync(archive, await ImageStore.open(home).save(['busybox']));
    const results = await Promise.all(['load', 'load', 'build', 'rmi'].map((a) => worker(home, a, archive)));
    // Each side got work done; the rmi side really removed images under the others.
    for (const r of results) expect(r.done).toBeGreaterThan(0);
    const store = ImageStore.open(home);
    for (const img of store.list()) {
      const m = store.manifestOf(img.manifest);
      for (const d of [img.manifest, m.config, ...m.layers]) expect(existsSync(join(store.root, 'blobs/sha256', d.digest.slice(7))), `${img.name} ${d.digest}`).toBe(true);
      expect((await store.save([img.name ?? img.id])).length).toBeGreaterThan(0);
    }
    // Every worker released its lease.
    expect(readdirSync(join(store.root, 'leases'))).toEqual([]);
  }, 120_000);
});
