// A layer's diff_id is computed from its bytes as they arrive, not after the
// download: the registry here is a fetch function serving one image whose
// layer comes in chunks, and the test looks at what the diff_id computation
// has been given at the moment the registry sends the layer's last chunk.
// Both computations are checked: Node's (zlib on the thread pool) and the
// browser's (DecompressionStream), with the real gzip of real bytes.

import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../src/containers/registry/client.ts';
import { nodeDiffId, nodeHasher } from '../../src/containers/registry/node-transport.ts';
import { pullImage, webDiffId, type DiffIdOf } from '../../src/containers/registry/pull.ts';
import { parseReference } from '../../src/containers/registry/reference.ts';

const sha = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const CHUNKS = 6;

/** One image: a gzip'd layer (random, so it does not shrink) served in CHUNKS pieces, its config and manifest. */
function image() {
  const tar = randomBytes(CHUNKS * 200_000);
  const layer = gzipSync(tar, { level: 1 });
  const config = Buffer.from(JSON.stringify({ architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] } }));
  const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [layerDesc],
    }),
  );
  const step = Math.ceil(layer.length / CHUNKS);
  const chunks = Array.from({ length: CHUNKS }, (_, i) => layer.subarray(i * step, (i + 1) * step));
  return { layer, layerDesc, config, manifest, chunks };
}

type Img = ReturnType<typeof image>;

/** A fetch answering as a registry holding `img` as r:1; `layerBody` makes each response body of the layer (call number, Range start). */
function registry(img: Img, layerBody: (call: number, from: number) => { status: number; body: ReadableStream<Uint8Array>; range?: string }): typeof fetch {
  let calls = 0;
  return (async (input: string | URL, init?: RequestInit) => {
    const path = new URL(input).pathname;
    if (path === '/v2/r/manifests/1') return new Response(img.manifest, { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    if (path === `/v2/r/blobs/${sha(img.config)}`) return new Response(img.config);
    if (path === `/v2/r/blobs/${img.layerDesc.digest}`) {
      const range = (init?.headers as Record<string, string> | undefined)?.range;
      const from = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
      const r = layerBody(++calls, from);
      return new Response(r.body, { status: r.status, headers: r.range ? { 'content-range': r.range } : {} });
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
}

/** A diff_id computation that counts the bytes it is given. */
function counting(base: DiffIdOf) {
  const seen = { bytes: 0 };
  const of: DiffIdOf = (gzip, hasher) => {
    const s = base(gzip, hasher);
    return { update: (c) => ((seen.bytes += c.length), s.update(c)), digest: () => s.digest(), cancel: () => s.cancel() };
  };
  return { of, seen };
}

const ref = parseReference('127.0.0.1:5000/r:1');

describe.each([
  ['Node (zlib)', nodeDiffId],
  ['Web (DecompressionStream)', webDiffId],
] as const)('diff_id while downloading: %s', (_, base) => {
  it('has been given every earlier chunk by the time the registry sends the last', async () => {
    const img = image();
    const diff = counting(base);
    let seenBeforeLast = -1;
    const fetch = registry(img, () => {
      let i = 0;
      return {
        status: 200,
        body: new ReadableStream(
          {
            // The stream is pulled chunk by chunk: each is asked for only after the one before was read.
            pull(c) {
              if (i === CHUNKS - 1) seenBeforeLast = diff.seen.bytes;
              c.enqueue(new Uint8Array(img.chunks[i]!));
              if (++i === CHUNKS) c.close();
            },
          },
          { highWaterMark: 0 },
        ),
      };
    });
    const pulled = await pullImage(new RegistryClient('127.0.0.1:5000', { fetch, plainHttp: true }), ref, { has: () => false, hasher: nodeHasher, diffId: diff.of });
    expect(sha(pulled.blobs.get(img.layerDesc.digest)!)).toBe(img.layerDesc.digest);
    expect(seenBeforeLast).toBe(img.layer.length - img.chunks[CHUNKS - 1]!.length);
  });

  it('starts over when a cut download is sent again from the start (Range ignored), and the diff_id still matches', async () => {
    const img = image();
    const diff = counting(base);
    const fetch = registry(img, (call) => {
      let i = 0;
      return {
        status: 200,
        body: new ReadableStream({
          pull(c) {
            // The first answer breaks off after two chunks; the second is the whole blob, from byte 0.
            if (call === 1 && i === 2) return c.error(new Error('connection reset'));
            c.enqueue(new Uint8Array(img.chunks[i]!));
            if (++i === CHUNKS) c.close();
          },
        }),
      };
    });
    const pulled = await pullImage(new RegistryClient('127.0.0.1:5000', { fetch, plainHttp: true }), ref, { has: () => false, hasher: nodeHasher, diffId: diff.of });
    expect(sha(pulled.blobs.get(img.layerDesc.digest)!)).toBe(img.layerDesc.digest);
    // The two cut chunks went to a computation that was dropped; the whole blob to the one that counted.
    expect(diff.seen.bytes).toBe(img.chunks[0]!.length + img.chunks[1]!.length + img.layer.length);
  });

  it('refuses a layer whose gzip stream is damaged, naming the layer', async () => {
    const img = image();
    // A layer that is not gzip at all, with the manifest's digest made to match so only the diff_id check can catch it.
    const junk = randomBytes(img.layer.length);
    const bad = { ...img, layer: junk, layerDesc: { ...img.layerDesc, digest: sha(junk) }, chunks: [junk] };
    bad.manifest = Buffer.from(img.manifest.toString().replace(img.layerDesc.digest, bad.layerDesc.digest));
    const fetch = registry(bad, () => ({ status: 200, body: new Response(junk).body! }));
    const e = await pullImage(new RegistryClient('127.0.0.1:5000', { fetch, plainHttp: true }), ref, { has: () => false, hasher: nodeHasher, diffId: base }).then(
      () => undefined,
      (x: Error) => x,
    );
    expect(e?.message).toMatch(new RegExp(`layer 0 \\(${bad.layerDesc.digest}\\): not a valid gzip stream`));
  });
});
