// What the engine needs from wherever images are kept: an image's config and
// layers by name or ID, and a layer blob's bytes when the guest has no copy of
// its own. The host store (store/image-store.ts) is one source; an OCI layout
// read through fetch (store/layout-source.ts) is the browser page's.

import type { Descriptor, ImageConfig } from '../store/oci.ts';

/** What a container is made from: layers (with their diff_ids) and an image config. */
export interface RunnableImage {
  name: string;
  id: string;
  layers: Descriptor[];
  diffIds: string[];
  config: ImageConfig;
}

export interface ImageSource {
  /** The image a reference (NAME[:TAG] or an ID prefix) names; throws naming what is missing. */
  image(ref: string): RunnableImage | Promise<RunnableImage>;
  /** A blob's bytes (the guest checks a layer's digest before unpacking it). */
  blob(digest: string): Uint8Array | Promise<Uint8Array>;
}
