// Pulling an image: its manifest (the linux/386 one from a multi-platform
// index), its config and every layer the store lacks, each blob checked
// against its digest as it streams in and each layer's uncompressed content
// against the config's diff_id (through DecompressionStream), so what the
// caller commits is a whole, verified image or nothing. Web APIs only.

import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import type { HasherFactory } from './hash.ts';
import { isImageManifest, isIndex, isRunnableLayer } from './media.ts';
import { choosePlatform } from './platform.ts';
import { eachLimited, shortId, type OnProgress } from './progress.ts';
import { familiarString, type Reference } from './reference.ts';
import { isGzipLayer, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../store/oci.ts';

export interface PullOptions {
  /** Whether the store has a blob already (it is not downloaded again). */
  has(digest: string): boolean;
  hasher: HasherFactory;
  /** How layers are decompressed to check their diff_ids (webDiffId by default). */
  diffId?: DiffIdOf;
  progress?: OnProgress;
  /** Layers downloaded at once. */
  concurrency?: number;
}

export interface PulledImage {
  /** The name the store keeps it under (familiar NAME:TAG or NAME@DIGEST). */
  name: string;
  manifest: Descriptor;
  /** The blobs the store lacked: manifest, config, layers. */
  blobs: Map<string, Uint8Array>;
  /** The index the manifest was chosen from, when the reference named one. */
  index: Descriptor | undefined;
  /** Warnings worth a line (an image for another platform). */
  warnings: string[];
}

function parse<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new RegistryError(`${what} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * A layer's diff_id (the digest of its uncompressed content), computed from
 * the blob's bytes as they download, so decompressing overlaps the transfer
 * instead of following it. `digest` rejects if gzip'd content is not valid
 * gzip; `cancel` drops a computation whose download failed or started over.
 */
export interface DiffIdStream {
  update(chunk: Uint8Array): void;
  digest(): Promise<string>;
  cancel(): void;
}

export type DiffIdOf = (gzip: boolean, hasher: HasherFactory) => DiffIdStream;

/** diff_ids through the Web's DecompressionStream (Node passes its zlib, which inflates off the main thread). */
export const webDiffId: DiffIdOf = (gzip, hasher) => {
  const h = hasher();
  if (!gzip) return { update: (c) => h.update(c), digest: () => Promise.resolve(h.digest()), cancel: () => {} };
  const inflate = new DecompressionStream('gzip');
  const writer = inflate.writable.getWriter();
  const reader = inflate.readable.getReader();
  const done = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return h.digest();
      h.update(value);
    }
  })();
  // Until digest() is asked for, a failure is only remembered (a cancelled one is never asked for).
  done.catch(() => {});
  // The writer's promises fail with the stream, which `done` reports.
  const quiet = (p: Promise<unknown>) => void p.catch(() => {});
  return {
    update: (c) => quiet(writer.write(c as Uint8Array<ArrayBuffer>)),
    digest: () => (quiet(writer.close()), done),
    cancel: () => quiet(writer.abort()),
  };
};

export async function pullImage(client: RegistryClient, ref: Reference, opts: PullOptions): Promise<PulledImage> {
  const where = `${ref.domain}/${ref.repository}`;
  const what = `${where}${ref.digest ? '@' + ref.digest : ':' + (ref.tag ?? 'latest')}`;
  const blobs = new Map<string, Uint8Array>();
  const warnings: string[] = [];
  let top = await client.manifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
  let index: Descriptor | undefined;
  if (isIndex(top.descriptor.mediaType)) {
    index = top.descriptor;
    const list = parse<ImageIndex>(top.bytes, `index ${what}`);
    if (!Array.isArray(list.manifests)) throw new RegistryError(`index ${what} lists no manifests`);
    const chosen = choosePlatform(list.manifests, what);
    top = await client.manifest(ref.repository, chosen.digest);
    if (top.descriptor.mediaType !== chosen.mediaType)
      throw new RegistryError(`${what}: the index says ${chosen.digest} is a ${chosen.mediaType}, the registry served a ${top.descriptor.mediaType}`);
  }
  if (!isImageManifest(top.descriptor.mediaType)) throw new RegistryError(`${what}: unsupported manifest media type "${top.descriptor.mediaType}"`);
  const manifest = parse<ImageManifest>(top.bytes, `manifest ${what}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new RegistryError(`manifest ${what} lacks config or layers`);
  for (const l of manifest.layers) {
    if (!isRunnableLayer(l.mediaType)) throw new RegistryError(`${what}: layer ${l.digest} is ${l.mediaType}, which glassbox cannot unpack (tar and gzip'd tar only)`);
  }
  const configBytes = await client.blob(ref.repository, manifest.config);
  const config = parse<ImageConfig>(configBytes, `config ${manifest.config.digest} of ${what}`);
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== manifest.layers.length) {
    throw new RegistryError(`${what}: the config lists ${ids?.length ?? 'no'} layers, the manifest ${manifest.layers.length}`);
  }
  if (!index && (config.os !== 'linux' || config.architecture !== '386')) {
    warnings.push(`${what} is for ${config.os}/${config.architecture}, not linux/386: glassbox cannot run its programs`);
  }

  const report = opts.progress ?? (() => {});
  const fetched = new Map<string, Uint8Array>();
  for (const l of manifest.layers) report({ id: shortId(l.digest), status: opts.has(l.digest) ? 'Already exists' : 'Pulling fs layer' });
  const wanted = manifest.layers.filter((l, i) => !opts.has(l.digest) && manifest.layers.findIndex((o) => o.digest === l.digest) === i);
  await eachLimited(wanted, opts.concurrency ?? 3, async (l) => {
    const id = shortId(l.digest);
    const i = manifest.layers.indexOf(l);
    const diffIdOf = () => (opts.diffId ?? webDiffId)(isGzipLayer(l.mediaType), opts.hasher);
    let check = diffIdOf();
    let data: Uint8Array;
    try {
      data = await client.blob(ref.repository, l, (current) => report({ id, status: 'Downloading', current, total: l.size }), {
        update: (c) => check.update(c),
        restart: () => (check.cancel(), (check = diffIdOf())),
      });
    } catch (e) {
      check.cancel();
      throw e;
    }
    report({ id, status: 'Verifying Checksum' });
    let diffId: string;
    try {
      diffId = await check.digest();
    } catch (e) {
      throw new RegistryError(`${what} layer ${i} (${l.digest}): not a valid gzip stream (${(e as Error).message})`);
    }
    if (diffId !== ids[i]) throw new RegistryError(`${what}: layer ${i} (${l.digest}) unpacks to ${diffId}, the config expects ${ids[i]} (corrupted)`);
    fetched.set(l.digest, data);
    report({ id, status: 'Download complete' });
  });
  // Blobs in the order the store writes them: layers, config, then the manifest that names them.
  for (const l of manifest.layers) if (fetched.has(l.digest)) blobs.set(l.digest, fetched.get(l.digest)!);
  blobs.set(manifest.config.digest, configBytes);
  blobs.set(top.descriptor.digest, top.bytes);
  return { name: familiarString(ref), manifest: top.descriptor, blobs, index, warnings };
}
