// Turns the files of an image archive (an OCI image layout, or the format of
// `docker save`) into verified blobs and named manifests. Every digest, size
// and layer diff_id is checked here, before anything is written to the store.

import { ImageArchiveError } from './archive.ts';
import { memoryFile, type ArchiveFile, type BlobData } from './archive-file.ts';
import { digestHex, isDigest } from './digest.ts';
import { sha256 } from './sha256.ts';
import {
  MEDIA_CONFIG,
  MEDIA_DOCKER_MANIFEST,
  MEDIA_INDEX,
  MEDIA_LAYER_GZIP,
  MEDIA_LAYER_TAR,
  MEDIA_MANIFEST,
  REF_NAME,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './oci.ts';
import { normalizeName } from './refs.ts';

export interface ImportedImage {
  /** NAME:TAG, or undefined for an image the archive leaves unnamed. */
  name: string | undefined;
  manifest: Descriptor;
}

export interface ImportSet {
  blobs: Map<string, BlobData>;
  images: ImportedImage[];
}

const CONTAINERD_NAME = 'io.containerd.image.name';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson<T>(file: ArchiveFile | undefined, what: string): T {
  if (!file) throw new ImageArchiveError(`${what} is missing`);
  const data = file.json(what);
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as T;
  } catch (e) {
    throw new ImageArchiveError(`${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** The blobs an archive holds, each checked against the digest that names it. */
class BlobSet {
  readonly verified = new Map<string, BlobData>();
  constructor(private readonly files: Map<string, ArchiveFile>) {}

  /** The blob a descriptor points to, its digest and size checked. */
  get(d: Descriptor, what: string): ArchiveFile {
    if (!d || !isDigest(d.digest)) throw new ImageArchiveError(`${what}: descriptor has no valid sha256 digest`);
    const file = this.files.get('blobs/sha256/' + digestHex(d.digest));
    if (!file) throw new ImageArchiveError(`${what}: blob ${d.digest} is missing from the archive`);
    this.add(d.digest, file, what);
    if (d.size !== file.size) throw new ImageArchiveError(`${what}: blob ${d.digest} is ${file.size} bytes, its descriptor says ${d.size}`);
    return file;
  }

  add(digest: string, file: ArchiveFile, what: string): void {
    if (file.digest !== digest) throw new ImageArchiveError(`${what}: blob ${digest} has content with digest ${file.digest} (corrupted)`);
    this.verified.set(digest, file.blob);
  }
}

/** Checks that the config's diff_ids are the digests of the uncompressed layers. */
function checkLayers(config: ImageConfig, layers: ArchiveFile[], what: string): void {
  if (!isObject(config)) throw new ImageArchiveError(`${what}: the config is not a JSON object`);
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids)) throw new ImageArchiveError(`${what}: config has no rootfs.diff_ids`);
  if (ids.length !== layers.length) throw new ImageArchiveError(`${what}: config lists ${ids.length} layers, manifest has ${layers.length}`);
  for (const [i, layer] of layers.entries()) {
    const id = layer.diffId(`${what} layer ${i}`);
    if (id !== ids[i]) throw new ImageArchiveError(`${what}: layer ${i} unpacks to ${id}, config expects ${ids[i]} (corrupted)`);
  }
}

function readManifest(blobs: BlobSet, d: Descriptor, what: string): Descriptor[] {
  if (!isObject(d)) throw new ImageArchiveError(`${what}: a manifest descriptor is not an object`);
  if (d.mediaType === MEDIA_INDEX) {
    const index = parseJson<ImageIndex>(blobs.get(d, what), `${what} (nested index)`);
    if (!isObject(index) || !Array.isArray(index.manifests)) throw new ImageArchiveError(`${what}: nested index has no manifests`);
    // A multi-platform image: glassbox runs i386 Linux, so keep that one when it is there.
    const ours = index.manifests.find((m) => isObject(m) && m.platform?.architecture === '386') ?? index.manifests[0];
    if (!ours) throw new ImageArchiveError(`${what}: nested index is empty`);
    return readManifest(blobs, ours, what);
  }
  if (d.mediaType !== MEDIA_MANIFEST && d.mediaType !== MEDIA_DOCKER_MANIFEST) {
    throw new ImageArchiveError(`${what}: unsupported manifest media type ${d.mediaType}`);
  }
  const manifest = parseJson<ImageManifest>(blobs.get(d, what), `${what} manifest`);
  if (!isObject(manifest) || !manifest.config || !Array.isArray(manifest.layers)) throw new ImageArchiveError(`${what}: manifest lacks config or layers`);
  const config = parseJson<ImageConfig>(blobs.get(manifest.config, `${what} config`), `${what} config`);
  checkLayers(
    config,
    manifest.layers.map((l, i) => blobs.get(l, `${what} layer ${i}`)),
    what,
  );
  return [d];
}

function importOciLayout(files: Map<string, ArchiveFile>): ImportSet {
  const layout = parseJson<{ imageLayoutVersion?: string }>(files.get('oci-layout'), 'oci-layout');
  if (!isObject(layout) || typeof layout.imageLayoutVersion !== 'string') throw new ImageArchiveError('oci-layout has no imageLayoutVersion');
  const index = parseJson<ImageIndex>(files.get('index.json'), 'index.json');
  if (!isObject(index) || !Array.isArray(index.manifests) || index.manifests.length === 0) throw new ImageArchiveError('index.json lists no manifests');
  const blobs = new BlobSet(files);
  const images: ImportedImage[] = [];
  for (const [i, d] of index.manifests.entries()) {
    const what = `index.json manifest ${i}`;
    if (!isObject(d)) throw new ImageArchiveError(`${what} is not a descriptor object`);
    const [manifest] = readManifest(blobs, d, what);
    const ref = isObject(d.annotations) ? (d.annotations[CONTAINERD_NAME] ?? d.annotations[REF_NAME]) : undefined;
    if (ref !== undefined && typeof ref !== 'string') throw new ImageArchiveError(`${what}: its name annotation is not a string`);
    // A bare tag ("latest") names no repository: the image is imported unnamed.
    const name = ref && /[:/]/.test(ref) ? normalizeName(ref) : undefined;
    images.push({ name, manifest: manifest! });
  }
  return { blobs: blobs.verified, images };
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** `docker save` before OCI layouts: manifest.json naming a config file and layer tars by path. */
function importDockerSave(files: Map<string, ArchiveFile>): ImportSet {
  const entries = parseJson<DockerManifestEntry[]>(files.get('manifest.json'), 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new ImageArchiveError('manifest.json lists no images');
  const blobs = new BlobSet(new Map());
  const images: ImportedImage[] = [];
  for (const [i, e] of entries.entries()) {
    const what = `manifest.json image ${i}`;
    if (!isObject(e)) throw new ImageArchiveError(`${what} is not an object`);
    const file = (path: string, part: string): Descriptor => {
      const f = files.get(path);
      if (!f) throw new ImageArchiveError(`${what}: ${part} ${path} is missing from the archive`);
      blobs.add(f.digest, f, what);
      return { mediaType: part === 'config' ? MEDIA_CONFIG : f.gzip ? MEDIA_LAYER_GZIP : MEDIA_LAYER_TAR, digest: f.digest, size: f.size };
    };
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string'))
      throw new ImageArchiveError(`${what}: lacks Config or Layers (a file name and a list of file names)`);
    if (e.RepoTags != null && !(Array.isArray(e.RepoTags) && e.RepoTags.every((t) => typeof t === 'string')))
      throw new ImageArchiveError(`${what}: RepoTags must be a list of names, such as ["busybox:latest"]`);
    const config = file(e.Config, 'config');
    const layers = e.Layers.map((l, j) => file(l, `layer ${j}`));
    checkLayers(
      parseJson<ImageConfig>(files.get(e.Config), `${what} config`),
      e.Layers.map((l) => files.get(l)!),
      what,
    );
    const manifestJson = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config, layers }));
    const manifest: Descriptor = { mediaType: MEDIA_MANIFEST, digest: sha256(manifestJson), size: manifestJson.length };
    blobs.add(manifest.digest, memoryFile(manifestJson), what);
    const tags = e.RepoTags ?? [];
    if (tags.length === 0) images.push({ name: undefined, manifest });
    for (const t of tags) images.push({ name: normalizeName(t), manifest });
  }
  return { blobs: blobs.verified, images };
}

/** Verified contents of an image archive's files; throws ImageArchiveError naming the first problem. */
export function importArchive(files: Map<string, ArchiveFile>): ImportSet {
  if (files.has('oci-layout')) return importOciLayout(files);
  if (files.has('manifest.json')) return importDockerSave(files);
  throw new ImageArchiveError('neither an OCI image layout (no oci-layout file) nor a docker save archive (no manifest.json)');
}
