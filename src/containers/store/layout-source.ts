// An OCI image layout read file by file through a function (fetch in the
// browser page, the file system in Node) as the engine's ImageSource: the
// default image the page ships with. Only index.json, manifests and configs
// are read to resolve an image; a layer blob is read when the engine asks for
// it, which it does only when the guest lacks its own copy. Every blob is
// checked against its digest and size.

import type { ImageSource, RunnableImage } from '../engine/image-source.ts';
import { digestHex, digestOf, isDigest } from './digest.ts';
import { MEDIA_DOCKER_MANIFEST, MEDIA_MANIFEST, REF_NAME, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci.ts';
import { BASE_IMAGE_NAME, normalizeName } from './refs.ts';

export type ReadFile = (path: string) => Promise<Uint8Array<ArrayBuffer>>;

export class LayoutSourceError extends Error {
  override name = 'LayoutSourceError';
}

export class LayoutSource implements ImageSource {
  /** `unnamed`: the name of images whose index entry names no repository (a bare tag such as "latest"). */
  constructor(
    private readonly read: ReadFile,
    private readonly where: string,
    private readonly unnamed = BASE_IMAGE_NAME,
  ) {}

  async blob(digest: string, size?: number): Promise<Uint8Array<ArrayBuffer>> {
    if (!isDigest(digest)) throw new LayoutSourceError(`${this.where}: "${digest}" is not a sha256 digest`);
    const data = await this.read(`blobs/sha256/${digestHex(digest)}`);
    const actual = await digestOf(data);
    if (actual !== digest) throw new LayoutSourceError(`${this.where}: blob ${digest} has content with digest ${actual} (corrupted)`);
    if (size !== undefined && size !== data.length) throw new LayoutSourceError(`${this.where}: blob ${digest} is ${data.length} bytes, its descriptor says ${size}`);
    return data;
  }

  private async json<T>(d: Descriptor, what: string): Promise<T> {
    const text = new TextDecoder().decode(await this.blob(d.digest, d.size));
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new LayoutSourceError(`${this.where}: ${what} is not valid JSON (${(e as Error).message})`);
    }
  }

  private nameOf(d: Descriptor): string {
    const ref = d.annotations?.[REF_NAME];
    return ref && /[:/]/.test(ref) ? normalizeName(ref) : this.unnamed;
  }

  /** An image by NAME[:TAG], or by a prefix (4+ hex digits) of its ID (the config digest). */
  async image(ref: string): Promise<RunnableImage> {
    const index = JSON.parse(new TextDecoder().decode(await this.read('index.json'))) as ImageIndex;
    if (!Array.isArray(index.manifests)) throw new LayoutSourceError(`${this.where}: index.json lists no manifests`);
    const hex = ref.replace(/^sha256:/, '');
    const byId = /^[0-9a-f]{4,64}$/.test(hex);
    const name = byId ? undefined : normalizeName(ref);
    for (const d of index.manifests) {
      if (d.mediaType !== MEDIA_MANIFEST && d.mediaType !== MEDIA_DOCKER_MANIFEST) continue;
      if (name !== undefined && this.nameOf(d) !== name) continue;
      const manifest = await this.json<ImageManifest>(d, `manifest ${d.digest}`);
      if (byId && !digestHex(manifest.config.digest).startsWith(hex)) continue;
      const config = await this.json<ImageConfig>(manifest.config, `config ${manifest.config.digest}`);
      return { name: this.nameOf(d), id: manifest.config.digest, layers: manifest.layers, diffIds: config.rootfs.diff_ids, config };
    }
    throw new LayoutSourceError(`no image ${name ?? ref} in ${this.where}`);
  }
}
