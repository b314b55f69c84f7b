// Pushing an image: every blob the repository lacks (mounted from another
// repository of the same registry that has it when one is known, as Docker
// does, otherwise uploaded), then the manifest under the tag. The manifest
// goes last, so a push cut short leaves the tag as it was. Web APIs only.

import type { Manifest, RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { eachLimited, shortId, type OnProgress } from './progress.ts';
import type { Reference } from './reference.ts';
import type { Descriptor } from '../store/oci.ts';

export interface PushSource {
  manifest: Manifest;
  config: Descriptor;
  layers: Descriptor[];
  blob(digest: string): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>;
}

export interface PushOptions {
  progress?: OnProgress;
  /** Repositories of this registry known to hold a blob (where it was pulled from or pushed to). */
  mountFrom?: (digest: string) => string[];
  /** Told of each blob the repository now holds, so later pushes can mount it. */
  pushed?: (digest: string) => void;
  concurrency?: number;
}

export async function pushImage(client: RegistryClient, ref: Reference, src: PushSource, opts: PushOptions = {}): Promise<string> {
  const repo = ref.repository;
  const report = opts.progress ?? (() => {});
  if (ref.digest && ref.digest !== src.manifest.descriptor.digest) {
    throw new RegistryError(`cannot push to ${ref.domain}/${repo}@${ref.digest}: the image's manifest is ${src.manifest.descriptor.digest}`);
  }
  const blobs = [...src.layers, src.config].filter((d, i, all) => all.findIndex((o) => o.digest === d.digest) === i);
  for (const d of blobs) report({ id: shortId(d.digest), status: 'Preparing' });
  await eachLimited(blobs, opts.concurrency ?? 5, async (d) => {
    const id = shortId(d.digest);
    if (await client.hasBlob(repo, d.digest)) {
      report({ id, status: 'Layer already exists' });
    } else {
      const from = (opts.mountFrom?.(d.digest) ?? []).find((r) => r !== repo);
      const data = await src.blob(d.digest);
      report({ id, status: 'Pushing', current: 0, total: d.size });
      const mounted = await client.uploadBlob(repo, d, data, from, (current) => report({ id, status: 'Pushing', current, total: d.size }));
      report({ id, status: mounted ? `Mounted from ${from}` : 'Pushed' });
    }
    opts.pushed?.(d.digest);
  });
  return client.putManifest(repo, ref.digest ?? ref.tag ?? 'latest', src.manifest);
}
