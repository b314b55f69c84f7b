// glassbox's registry client against a real registry: Debian's
// docker-registry (the CNCF distribution server) on a loopback port, with
// skopeo (containers/image, another client) as the oracle for what is in it.
// Every failure must end with a clear error and leave the store as it was.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, BASE_IMAGE_DIR } from '../../src/containers/store/image-store.ts';
import { pullToStore, pushFromStore, type RegistryAccess } from '../../src/containers/registry/store-transfer.ts';
import type { Progress } from '../../src/containers/registry/progress.ts';
import { hasRegistry, startRegistry, freePort, type TestRegistry } from '../support/registry-server.ts';
import { cuttingProxy } from '../support/cutting-proxy.ts';
import { multiPlatformLayout } from './support/registry-images.ts';

const sha = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
const rawManifest = (ref: string) => skopeo('inspect', '--tls-verify=false', '--raw', `docker://${ref}`);

const base = JSON.parse(readFileSync(join(BASE_IMAGE_DIR, 'index.json'), 'utf8')).manifests[0];
const baseManifest = JSON.parse(readFileSync(join(BASE_IMAGE_DIR, 'blobs/sha256', base.digest.slice(7)), 'utf8'));
const BASE_LAYER: string = baseManifest.layers[0].digest;

function home(): string {
  return mkdtempSync(join(tmpdir(), 'glassbox-reghome-'));
}

/** A store with the busybox base image (to push from). */
function fullStore(h = home()): ImageStore {
  return ImageStore.open(h);
}

/** A store with no image and no blob (so a pull downloads everything). */
function emptyStore(h = home()): ImageStore {
  const s = ImageStore.open(h);
  s.rmi('busybox');
  return s;
}

const homeOf = (s: ImageStore) => join(s.root, '..');

/** What the store holds on disk: the index, the blobs and the temporary files. */
function snapshot(s: ImageStore) {
  const dir = (d: string) => readdirSync(join(s.root, d)).sort();
  return { index: readFileSync(join(s.root, 'index.json'), 'utf8'), blobs: dir('blobs/sha256'), tmp: dir('tmp') };
}

/** Every blob file in the store hashes to its name. */
function blobsVerify(s: ImageStore): void {
  for (const hex of readdirSync(join(s.root, 'blobs/sha256'))) expect(sha(readFileSync(join(s.root, 'blobs/sha256', hex)))).toBe(`sha256:${hex}`);
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

/** Expects a pull to fail with `message` and leave the store exactly as it was. */
async function pullRefused(s: ImageStore, ref: string, message: RegExp, access: Partial<RegistryAccess> = {}): Promise<Error> {
  const before = snapshot(s);
  const e = await failure(pullToStore(s, ref, { home: homeOf(s), ...access }));
  expect(e.message).toMatch(message);
  expect(snapshot(s)).toEqual(before);
  return e;
}

async function push(s: ImageStore, name: string, progress?: (p: Progress) => void): Promise<string> {
  s.add({ blobs: new Map(), images: [{ name, manifest: s.resolve('busybox').manifest }] });
  return (await pushFromStore(s, name, { home: homeOf(s), progress })).digest;
}

/** The registry's file holding a blob (distribution's filesystem driver layout). */
const blobFile = (r: TestRegistry, digest: string) => join(r.storage, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

describe.skipIf(!hasRegistry())('registry: pull and push against docker-registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('push then pull round-trips an image with the same digests, as skopeo sees them', async () => {
    const src = fullStore();
    const ref = `${reg.host}/roundtrip:1`;
    const digest = await push(src, ref);
    expect(digest).toBe(base.digest);

    const raw = rawManifest(ref);
    expect(sha(Buffer.from(raw))).toBe(digest);
    const inspected = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${ref}`));
    expect(inspected.Digest).toBe(digest);
    expect(inspected.Architecture).toBe('386');
    expect(inspected.Layers).toEqual([BASE_LAYER]);

    const dst = emptyStore();
    const pulled = await pullToStore(dst, ref, { home: homeOf(dst) });
    expect(pulled).toMatchObject({ name: ref, digest, changed: true, index: undefined });
    const img = dst.image(ref);
    expect(img.id).toBe(JSON.parse(raw).config.digest);
    expect(img.layers.map((l) => l.digest)).toEqual([BASE_LAYER]);
    expect(dst.blob(digest)).toEqual(Buffer.from(raw));
    blobsVerify(dst);
    // The same image again: nothing changes.
    expect((await pullToStore(dst, ref, { home: homeOf(dst) })).changed).toBe(false);
    // By digest, it is kept under NAME@DIGEST, as Docker keeps a digest reference.
    const byDigest = `${reg.host}/roundtrip@${digest}`;
    expect(await pullToStore(dst, byDigest, { home: homeOf(dst) })).toMatchObject({ name: byDigest, digest, changed: true });
    expect(dst.resolve(byDigest).manifest.digest).toBe(digest);
    // And skopeo copies what glassbox pushed into a layout with every digest checked.
    const out = mkdtempSync(join(tmpdir(), 'glassbox-skcopy-'));
    skopeo('copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:x`);
    expect(JSON.parse(skopeo('inspect', '--config', '--raw', `oci:${out}:x`)).rootfs.diff_ids).toEqual(img.diffIds);
  });

  it('pulls what skopeo pushed, as OCI and as Docker schema 2 (media types converted, same config and layer content)', async () => {
    for (const [tag, format, manifestType] of [
      ['oci', 'oci', 'application/vnd.oci.image.manifest.v1+json'],
      ['v2s2', 'v2s2', 'application/vnd.docker.distribution.manifest.v2+json'],
    ] as const) {
      const ref = `${reg.host}/from-skopeo:${tag}`;
      skopeo('copy', '--dest-tls-verify=false', '--format', format, `oci:${BASE_IMAGE_DIR}:latest`, `docker://${ref}`);
      const raw = rawManifest(ref);
      const s = emptyStore();
      const pulled = await pullToStore(s, ref, { home: homeOf(s) });
      expect(pulled.digest).toBe(sha(Buffer.from(raw)));
      const stored = s.resolve(ref);
      expect(stored.manifest.mediaType).toBe(manifestType);
      const img = s.image(ref);
      expect(img.layers.map((l) => l.mediaType)).toEqual(JSON.parse(raw).layers.map((l: { mediaType: string }) => l.mediaType));
      expect(img.diffIds).toEqual(fullStore().image('busybox').diffIds);
      blobsVerify(s);
    }
  });

  it('takes linux/386 from a multi-platform index that skopeo pushed', async () => {
    const layout = multiPlatformLayout(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: '386' },
      ],
      'multi',
    );
    const ref = `${reg.host}/multi:1`;
    skopeo('copy', '--all', '--dest-tls-verify=false', `oci:${layout.dir}:multi`, `docker://${ref}`);
    const index = JSON.parse(rawManifest(ref));
    const i386 = index.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === '386');
    const s = emptyStore();
    const pulled = await pullToStore(s, ref, { home: homeOf(s) });
    expect(pulled.index).toBe(sha(Buffer.from(rawManifest(ref))));
    expect(pulled.digest).toBe(i386.digest);
    expect(s.image(ref).config.architecture).toBe('386');
    expect(s.image(ref).id).toBe(layout.images.find((i) => i.platform.architecture === '386')!.configDigest);
  });

  it('refuses an index without linux/386, naming the platforms it offers', async () => {
    const layout = multiPlatformLayout(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      'noi386',
    );
    const ref = `${reg.host}/noi386:1`;
    skopeo('copy', '--all', '--dest-tls-verify=false', `oci:${layout.dir}:noi386`, `docker://${ref}`);
    await pullRefused(emptyStore(), ref, /noi386:1 has no linux\/386 image; it offers linux\/amd64, linux\/arm64\/v8/);
  });

  it('mounts a blob from another repository of the registry instead of uploading it again', async () => {
    const s = fullStore();
    // Through a proxy that cuts nothing, to see what goes over the wire.
    const proxy = await cuttingProxy(reg.port, { when: () => false, afterBytes: 0 });
    const layerId = BASE_LAYER.slice(7, 19);
    try {
      await push(s, `${proxy.host}/mount-a:1`);
      expect(proxy.seen.filter((r) => r.method === 'PATCH')).not.toEqual([]);
      proxy.seen.length = 0;
      const events: Progress[] = [];
      await push(s, `${proxy.host}/mount-b:1`, (p) => events.push(p));
      expect(events.filter((e) => e.id === layerId).map((e) => e.status)).toEqual(['Preparing', 'Pushing', 'Mounted from mount-a']);
      expect(proxy.seen.filter((r) => r.method === 'POST').map((r) => r.path)).toContain(`/v2/mount-b/blobs/uploads/?mount=${encodeURIComponent(BASE_LAYER)}&from=mount-a`);
      expect(proxy.seen.filter((r) => r.method === 'PATCH')).toEqual([]);
      const again: Progress[] = [];
      await push(s, `${proxy.host}/mount-b:1`, (p) => again.push(p));
      expect(again.filter((e) => e.id === layerId).map((e) => e.status)).toEqual(['Preparing', 'Layer already exists']);
    } finally {
      await proxy.close();
    }
    // distribution linked the blob into the repository
    expect(existsSync(join(reg.storage, 'docker/registry/v2/repositories/mount-b/_layers/sha256', BASE_LAYER.slice(7), 'link'))).toBe(true);
  });

  it('says so when the registry is down', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    await pullRefused(emptyStore(), `${down}/nothing:1`, new RegExp(`cannot reach registry ${down} .*connection refused`));
    const s = fullStore();
    s.add({ blobs: new Map(), images: [{ name: `${down}/nothing:1`, manifest: s.resolve('busybox').manifest }] });
    const e = await failure(pushFromStore(s, `${down}/nothing:1`, { home: homeOf(s) }));
    expect(e.message).toMatch(/connection refused/);
  });

  it("refuses a blob whose content does not match its digest (the registry's file tampered with)", async () => {
    const s = fullStore();
    const ref = `${reg.host}/tampered:1`;
    await push(s, ref);
    const file = blobFile(reg, BASE_LAYER);
    const original = readFileSync(file);
    const bad = Buffer.from(original);
    bad[bad.length >> 1] ^= 0xff;
    writeFileSync(file, bad);
    try {
      await pullRefused(emptyStore(), ref, new RegExp(`blob ${BASE_LAYER} of ${reg.host}/tampered has content with digest sha256:[0-9a-f]{64} \\(corrupted\\)`));
    } finally {
      writeFileSync(file, original);
    }
  });

  it('resumes a download cut short with a Range request, and the image arrives whole', async () => {
    await push(fullStore(), `${reg.host}/cut:1`);
    const cutAt = 100_000;
    let cuts = 0;
    const proxy = await cuttingProxy(reg.port, { when: (req) => req.method === 'GET' && req.url!.endsWith(BASE_LAYER) && cuts++ === 0, afterBytes: cutAt });
    try {
      const s = emptyStore();
      const pulled = await pullToStore(s, `${proxy.host}/cut:1`, { home: homeOf(s) });
      expect(pulled.digest).toBe(base.digest);
      const layerGets = proxy.seen.filter((r) => r.path.endsWith(BASE_LAYER));
      expect(layerGets.map((r) => r.range)).toEqual([undefined, `bytes=${cutAt}-`]);
      blobsVerify(s);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a download cut short every time, leaving the store as it was', async () => {
    await push(fullStore(), `${reg.host}/cut:2`);
    const proxy = await cuttingProxy(reg.port, { when: (req) => req.method === 'GET' && req.url!.endsWith(BASE_LAYER), afterBytes: 50_000 });
    try {
      await pullRefused(emptyStore(), `${proxy.host}/cut:2`, /blob .* the connection closed early after 250000 of 1067265 bytes \(5 tries\)/);
    } finally {
      await proxy.close();
    }
  });

  it('ends an interrupted push with an error, leaving the tag unset in the registry and the store as it was', async () => {
    const s = fullStore();
    const proxy = await cuttingProxy(reg.port, { when: (req) => req.method === 'PATCH', afterBytes: 200_000, request: true });
    try {
      const name = `${proxy.host}/interrupted:1`;
      s.add({ blobs: new Map(), images: [{ name, manifest: s.resolve('busybox').manifest }] });
      const before = snapshot(s);
      const e = await failure(pushFromStore(s, name, { home: homeOf(s) }));
      expect(e.message).toMatch(/upload of blob sha256:[0-9a-f]{64} to 127\.0\.0\.1:\d+\/interrupted.*(closed early|reset|terminated|socket)/i);
      expect(snapshot(s)).toEqual(before);
      expect(() => rawManifest(`${reg.host}/interrupted:1`)).toThrow(/manifest unknown/);
    } finally {
      await proxy.close();
    }
  });

  it('names a tag the registry does not have', async () => {
    await pullRefused(emptyStore(), `${reg.host}/roundtrip:nosuchtag`, /roundtrip:nosuchtag not found: 404 .*manifest unknown/);
  });
});
