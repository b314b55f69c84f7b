// The registry client in a real browser (Debian's chromium, headless): the
// Web-API modules (src/containers/registry/index.ts, bundled for the browser,
// which fails if anything in them needs Node) pull an image from
// docker-registry sending CORS headers, choosing linux/386 from an index and
// checking digests with @noble/hashes and diff_ids through DecompressionStream,
// from a plain registry, one asking for basic auth (htpasswd) and one asking
// for a token from a token service (the Bearer flow), each sending CORS headers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { projectPath } from '../../src/paths.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { startTokenServer, type TokenServer } from '../support/token-server.ts';
import { startPreflightProxy, type PreflightProxy } from '../support/preflight-proxy.ts';
import { multiPlatformLayout } from '../containers/support/registry-images.ts';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'carol-pw-7';

type Registry = typeof import('../../src/containers/registry/index.ts');

/** In the page: pulls `ref` with the bundled client, with these credentials; the pulled blobs' digests and sizes, or the error's message. */
function pullInPage(arg: { ref: string; credentials?: { username: string; password: string } }) {
  const g = (window as unknown as { glassboxRegistry: Registry }).glassboxRegistry;
  const r = g.parseReference(arg.ref);
  const client = new g.RegistryClient(r.domain, { plainHttp: true, credentials: arg.credentials });
  // Errors come back as messages: a page's stack names its URL, which the test runner would take for a source file.
  return g.pullImage(client, r, { has: () => false, hasher: g.webHasher }).then(
    (image) => ({ digest: image.manifest.digest, blobs: [...image.blobs].map(([d, b]) => [d, b.length] as [string, number]) }),
    (e: Error) => ({ error: e.message }),
  );
}

// skopeo runs asynchronously where the token service it asks runs in this process.
const run = promisify(execFile);

/** The blobs skopeo sees for `ref`: its layers, config and manifest, as [digest, size], in the order a pull returns them. */
async function blobsOf(ref: string, creds: string): Promise<{ digest: string; blobs: [string, number][] }> {
  const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${ref}`], { encoding: 'buffer', timeout: 60_000 })).stdout;
  // A manifest's digest is the sha256 of the bytes the registry serves.
  const digest = 'sha256:' + createHash('sha256').update(raw).digest('hex');
  const m = JSON.parse(raw.toString());
  return { digest, blobs: [...m.layers.map((l: { digest: string; size: number }) => [l.digest, l.size]), [m.config.digest, m.config.size], [digest, raw.length]] };
}

describe.skipIf(!hasRegistry() || !existsSync(CHROMIUM))('registry client in the browser', () => {
  let reg: TestRegistry;
  let page: Server;
  let browser: Browser;
  let origin: string;
  beforeAll(async () => {
    reg = await startRegistry({ kind: 'none' }, { cors: true });
    const bundle = await build({
      entryPoints: [projectPath('src', 'containers', 'registry', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'glassboxRegistry',
      write: false,
      logLevel: 'silent',
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
    const layout = multiPlatformLayout(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: '386' },
      ],
      'web',
    );
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
        return g.pullImage(new g.RegistryClient(r.domain, { plainHttp: true }), r, { has: () => false, hasher: g.webHasher }).then(
          () => 'accepted',
          (e: Error) => e.message,
        );
      }, ref);
      expect(refused).toMatch(new RegExp(`blob ${layer} of ${reg.host}/web has content with digest sha256:[0-9a-f]{64} \\(corrupted\\)`));
    } finally {
      writeFileSync(file, original);
    }
  });

  // docker-registry answers a CORS preflight with 401 when authentication is on
  // (distribution/distribution#4458), so the page reaches each authenticating
  // registry through a proxy that answers preflights, as deployments do.
  describe('with authentication', () => {
    let basicReg: TestRegistry;
    let tokens: TokenServer;
    let tokenReg: TestRegistry;
    let basicProxy: PreflightProxy;
    let tokenProxy: PreflightProxy;
    beforeAll(async () => {
      basicReg = await startRegistry({ kind: 'htpasswd', users: { carol: PASSWORD } }, { cors: true });
      tokens = await startTokenServer({ carol: PASSWORD }, { cors: true });
      tokenReg = await startRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle }, { cors: true });
      basicProxy = await startPreflightProxy(basicReg.host);
      tokenProxy = await startPreflightProxy(tokenReg.host);
    });
    afterAll(async () => {
      await basicProxy?.close();
      await tokenProxy?.close();
      await basicReg?.stop();
      await tokenReg?.stop();
      await tokens?.close();
    });

    it('says what a refused preflight may be when the page asks docker-registry directly', async () => {
      const ref = await push(basicReg.host, `carol:${PASSWORD}`);
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(origin);
      expect(await tab.evaluate(pullInPage, { ref, credentials: { username: 'carol', password: PASSWORD } })).toEqual({
        error: expect.stringMatching(
          /^cannot reach registry .*: Failed to fetch \(in a browser, also what a CORS refusal looks like: .*answer preflight OPTIONS requests with 200 or 204/,
        ),
      });
    });

    const push = async (host: string, creds: string) => {
      const ref = `${host}/private/app:1`;
      await run(
        'skopeo',
        ['--insecure-policy', 'copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${projectPath('guest-images', 'dist', 'oci', 'busybox')}:latest`, `docker://${ref}`],
        { timeout: 60_000 },
      );
      return ref;
    };

    it('pulls with basic auth (htpasswd), and a wrong password is refused naming the user', async () => {
      await push(basicReg.host, `carol:${PASSWORD}`);
      const ref = `${basicProxy.host}/private/app:1`;
      const expected = await blobsOf(ref, `carol:${PASSWORD}`);
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(origin);
      expect(await tab.evaluate(pullInPage, { ref, credentials: { username: 'carol', password: PASSWORD } })).toEqual(expected);
      expect(await tab.evaluate(pullInPage, { ref, credentials: { username: 'carol', password: 'wrong' } })).toEqual({
        error: expect.stringMatching(new RegExp(`^${basicProxy.host} refused the credentials of user carol: 401`)),
      });
      expect(await tab.evaluate(pullInPage, { ref })).toEqual({ error: `${basicProxy.host} requires authentication: run glassbox login ${basicProxy.host}` });
    });

    it('pulls with a token from the token service (the Bearer flow), asking for exactly the pull scope', async () => {
      await push(tokenReg.host, `carol:${PASSWORD}`);
      const ref = `${tokenProxy.host}/private/app:1`;
      const expected = await blobsOf(ref, `carol:${PASSWORD}`);
      tokens.requests.length = 0;
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(origin);
      expect(await tab.evaluate(pullInPage, { ref, credentials: { username: 'carol', password: PASSWORD } })).toEqual(expected);
      expect(tokens.requests).toEqual([{ user: 'carol', scopes: ['repository:private/app:pull'] }]);
      expect(await tab.evaluate(pullInPage, { ref, credentials: { username: 'carol', password: 'wrong' } })).toEqual({
        error: expect.stringMatching(new RegExp(`^${tokenProxy.host}'s token service refused the credentials of user carol: 401`)),
      });
    });
  });
});
