// An image's history, as `docker image history` shows it: one row per step
// that made the image, newest first, each step that added a layer with that
// layer's size unpacked. Images without a history (some archives have none)
// get one row per layer.

import { createGunzip } from 'node:zlib';
import type { ImageStore } from './image-store.ts';
import type { Descriptor } from './oci.ts';

export interface HistoryRow {
  /** The image's ID on the newest row; older steps have none of their own in the store (Docker's `<missing>`). */
  id: string | undefined;
  created: string | undefined;
  createdBy: string;
  /** Bytes of the layer the step added, as a tar; 0 for a step that changed only the config. */
  size: number;
  comment: string;
}

/** The bytes a layer blob unpacks to: gzip'd layers are inflated to count them, without keeping what they inflate to. */
async function unpackedSize(blob: Uint8Array, layer: Descriptor): Promise<number> {
  if (!/gzip$/.test(layer.mediaType)) return blob.length;
  let n = 0;
  const gunzip = createGunzip();
  gunzip.on('data', (chunk: Buffer) => (n += chunk.length));
  await new Promise<void>((resolve, reject) => {
    gunzip.on('end', resolve).on('error', reject);
    gunzip.end(blob);
  });
  return n;
}

export async function imageHistory(store: ImageStore, ref: string): Promise<HistoryRow[]> {
  const found = store.resolve(ref);
  const manifest = store.manifestOf(found.manifest);
  const config = store.configOf(found.manifest);
  const sizes = await Promise.all(manifest.layers.map((l) => unpackedSize(store.blob(l.digest), l)));
  const steps = config.history?.length ? config.history : manifest.layers.map(() => ({ created: config.created, created_by: '', empty_layer: false, comment: '' }));
  let layer = 0;
  const rows = steps.map((h) => ({
    id: undefined as string | undefined,
    created: h.created,
    createdBy: h.created_by ?? '',
    size: h.empty_layer ? 0 : (sizes[layer++] ?? 0),
    comment: h.comment ?? '',
  }));
  rows.reverse();
  if (rows[0]) rows[0].id = found.id;
  return rows;
}
