// The registry client in a real browser (Debian's chromium, headless): the
// Web-API modules (src/containers/registry/index.ts, bundled for the browser,
// which fails if anything in them needs Node) pull an image from
// docker-registry sending CORS headers, choosing linux/386 from an index and
// checking digests with @noble/hashes and diff_ids through DecompressionStream.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { projectPath } from '../../src/paths.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { multiPlatformLayout } from '../containers/support/registry-images.ts';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!hasRegistry() || !existsSync(CHROMIUM))('registry client in the browser', () => {
  let reg: TestRegistry;
  let page: Server;
  let browser: Browser;
  let origin: string;
  beforeAll(async () => {
    reg = await startRegistry({ kind: 'none' }, { cors: true });
    const bundle = await build({
      entryPoints: [projectPath('src', 'containers', 'registry', 'index.ts')],
      bundle: true, platform: 'browser', format: 'iife', globalName: 'glassboxRegistry', write: false, logLevel: 'silent',
    });
    const html = `<!doctype html><script>${bundle.outputFiles[0]!.text}</script>`;
    // The page from another loopback origin than the registry's, so the requests are cross-origin.
    page = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => page?.close(r));
    await reg?.stop();
  });

  it('pulls the linux/386 image of a multi-platform index, every digest and diff_id checked in the page', async () => {
    const layout = multiPlatformLayout([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }], 'web');
    const ref = `${reg.host}/web:1`;
    execFileSync('skopeo', ['--insecure-policy', 'copy', '--all', '--dest-tls-verify=false', `oci:${layout.dir}:web`, `docker://${ref}`], { stdio: 'ignore', timeout: 60_000 });
    const index = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    const i386 = index.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === '386');
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/web@${i386.digest}`], { encoding: 'utf8' }));

    const tab = await browser.newPage();
    await tab.goto(origin);
    // Errors come back as messages: a page's stack names its URL, which the test runner would take for a source file.
    const pulled = await tab.evaluate(async (ref) => {
      const g = (window as unknown as { glassboxRegistry: typeof import('../../src/containers/registry/index.ts') }).glassboxRegistry;
      const r = g.parseReference(ref);
      const client = new g.RegistryClient(r.domain, { plainHttp: true });
      const statuses: string[] = [];
      try {
        const image = await g.pullImage(client, r, { has: () => false, hasher: g.webHasher, progress: (p) => statuses.push(p.status) });
        return { digest: image.manifest.digest, index: image.index?.digest, blobs: [...image.blobs].map(([d, b]) => [d, b.length]), statuses: [...new Set(statuses)] };
      } catch (e) {
        return { error: String(e) };
      }
    }, ref);
    expect(pulled).not.toHaveProperty('error');
    expect(pulled.digest).toBe(i386.digest);
    expect(pulled.blobs).toEqual([
      ...manifest.layers.map((l: { digest: string; size: number }) => [l.digest, l.size]),
      [manifest.config.digest, manifest.config.size],
      [i386.digest, i386.size],
    ]);
    expect(pulled.statuses).toEqual(['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete']);

    // A blob tampered with in the registry's storage is refused in the page as in Node.
    const layer = manifest.layers[0].digest as string;
    const file = join(reg.storage, 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
    const original = readFileSync(file);
    const bad = Buffer.from(original);
    bad[100] ^= 0x01;
    writeFileSync(file, bad);
    try {
      // A new context: the first tab's HTTP cache holds the layer (blobs are served as cacheable for a year).
      const fresh = await (await browser.newContext()).newPage();
      await fresh.goto(origin);
      const refused = await fresh.evaluate(async (ref) => {
        const g = (window as unknown as { glassboxRegistry: typeof import('../../src/containers/registry/index.ts') }).glassboxRegistry;
        const r = g.parseReference(ref);
        return g.pullImage(new g.RegistryClient(r.domain, { plainHttp: true }), r, { has: () => false, hasher: g.webHasher }).then(() => 'accepted', (e: Error) => e.message);
      }, ref);
      expect(refused).toMatch(new RegExp(`blob ${layer} of ${reg.host}/web has content with digest sha256:[0-9a-f]{64} \\(corrupted\\)`));
    } finally {
      writeFileSync(file, original);
    }
  });
});
