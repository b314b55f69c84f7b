// `npm run web`: builds the page into build/web/ and serves it on localhost.
// `npm run build:web`: only builds. The output is plain static files (the
// page, its worker and Service Worker, the core, the default guest, a snapshot of it booted (the tab resumes from it
// instead of booting) and its busybox image), so any static host can serve it; the server here
// only maps paths to files.

import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { projectPath } from '../src/paths.ts';
import { defaultGuestSnapshot, snapshotCacheDir } from '../src/api/snapshot-cache.ts';
import { DEFAULT_MEMORY_MIB } from '../src/boot/guest-defaults.ts';
import { linkUpScript } from '../src/containers/engine/network-scripts.ts';
import { nodeOutside } from '../src/net/node-outside.ts';
import { UserNet } from '../src/net/user-net.ts';
import { PAGE_DISK_BYTES } from '../src/web/worker/page-disk.ts';
import { SHIPPED_SNAPSHOT } from '../src/web/shipped.ts';
import { orderForPage } from './web-snapshot.ts';

export const WEB_DIR = projectPath('build', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.gz': 'application/octet-stream',
  '': 'application/octet-stream',
};

/** Bundles `entryPoints` for the browser into WEB_DIR, as ES modules with source maps unless `options` say otherwise. */
function browserBundle(entryPoints: Record<string, string>, options: BuildOptions = {}) {
  return build({ entryPoints, bundle: true, format: 'esm', target: 'es2022', platform: 'browser', sourcemap: true, outdir: WEB_DIR, logLevel: 'warning', ...options });
}

export async function buildWeb(): Promise<string> {
  const need = (p: string, how: string) => {
    if (!existsSync(p)) throw new Error(`${p} is missing: ${how}`);
    return p;
  };
  mkdirSync(join(WEB_DIR, 'guest'), { recursive: true });
  await browserBundle({ main: projectPath('src/web/page/main.ts'), worker: projectPath('src/web/worker/browser-worker.ts') });
  // The Service Worker that serves guest ports (a classic script: module Service Workers are not everywhere yet).
  await browserBundle({ sw: projectPath('src/web/service-worker/sw.ts') }, { format: 'iife' });
  // The kernel test pool for a page's own scripts (glassbox/testing/browser), and its worker.
  await browserBundle(
    { 'kernel-pool': projectPath('src/testing/browser-pool.ts'), 'browser-kernel-worker': projectPath('src/testing/browser-kernel-worker.ts') },
    { outExtension: { '.js': '.mjs' } },
  );
  copyFileSync(projectPath('src/web/page/index.html'), join(WEB_DIR, 'index.html'));
  copyFileSync(projectPath('src/web/page/styles.css'), join(WEB_DIR, 'styles.css'));
  copyFileSync(projectPath('node_modules/@xterm/xterm/css/xterm.css'), join(WEB_DIR, 'xterm.css'));
  copyFileSync(need(projectPath('build/core.wasm'), 'run "npm run build:asm"'), join(WEB_DIR, 'core.wasm'));
  for (const f of ['bzImage', 'initramfs.cpio.gz']) {
    copyFileSync(need(projectPath('guest-images/dist', f), 'run "npm run images"'), join(WEB_DIR, 'guest', f));
  }
  // The booted guest: the cached snapshot, self-contained (a boot in Node the first time), with the network card the page's worker
  // gives it, its link up (the address leased by this Node side's network then), so the tab's servers are reachable,
  // and a scratch disk of the size of the tab's own, which takes its place when the tab resumes (web/worker/page-disk.ts).
  const net = new UserNet(nodeOutside());
  try {
    const snapshot = await defaultGuestSnapshot(snapshotCacheDir(), {
      memoryMiB: DEFAULT_MEMORY_MIB,
      disk: { bytes: PAGE_DISK_BYTES },
      network: { backend: net },
      prepare: linkUpScript().text,
    });
    // In the order the tab needs its chunks (web-snapshot.ts): made again only when the cached snapshot changed.
    const source = createHash('sha256').update(snapshot).digest('hex');
    const stamp = join(WEB_DIR, `${SHIPPED_SNAPSHOT}.source`);
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== source || !existsSync(join(WEB_DIR, SHIPPED_SNAPSHOT))) {
      writeFileSync(join(WEB_DIR, SHIPPED_SNAPSHOT), await orderForPage(snapshot, PAGE_DISK_BYTES));
      writeFileSync(stamp, source);
    }
  } finally {
    net.close();
  }
  // The engine in the worker reads the image's JSON from here, and its layer only if the guest has no copy.
  cpSync(need(projectPath('guest-images/dist/oci/busybox'), 'run "npm run images"'), join(WEB_DIR, 'guest', 'oci', 'busybox'), { recursive: true });
  return WEB_DIR;
}

/** Serves `root` on localhost; resolves with the URL once listening. */
export function serveStatic(root: string, port: number): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(root, path);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? TYPES[''], 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/`, close: () => server.close() });
    });
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const serve = !process.argv.includes('--build-only');
  const port = Number(process.env.PORT ?? 8086);
  buildWeb()
    .then(async (dir) => {
      console.log(`built ${dir}`);
      if (serve) console.log(`glassbox is at ${(await serveStatic(dir, port)).url}`);
    })
    .catch((e) => {
      console.error(`web: ${(e as Error).message}`);
      process.exit(1);
    });
}
