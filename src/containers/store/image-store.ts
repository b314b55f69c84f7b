// The host image store: one OCI image layout under $GLASSBOX_HOME/images,
// blobs named by their sha256, index.json naming each image by an
// org.opencontainers.image.ref.name annotation holding NAME:TAG.
// An archive is streamed to a staging directory under tmp/ and verified
// there before the store changes; blobs are renamed into place from tmp/, and
// index.json is replaced by rename, so a refused or interrupted import leaves
// the previous index intact, and its staged files are removed (by the next
// open when the process was killed).
//
// Processes share the store (the CLI's load, save and rmi; the engine's
// builds), so every change (adding blobs and names, removing names and
// collecting garbage) runs under one lock, and a blob that work in flight
// still needs is held by a lease (as containerd's leases do): a build's
// layers before its image is named, the base image it builds on. Readers take
// no lock: a change writes blobs before the index that names them and removes
// blobs only after the index that dropped them, so a reader that finds a blob
// gone reads the index again.

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeTar, type TarEntry } from './archive.ts';
import { memoryFile, type ArchiveFile, type BlobData } from './archive-file.ts';
import { stageArchive } from './stage-archive.ts';
import { digestHex } from './digest.ts';
import { importArchive, type ImportSet, type ImportedImage } from './import.ts';
import { MEDIA_INDEX, OCI_LAYOUT_FILE, REF_NAME, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci.ts';
import { BASE_IMAGE_NAME, ImageNameError, normalizeName } from './refs.ts';
import type { ImageSource, RunnableImage } from '../engine/image-source.ts';
import { glassboxHome } from '../../home.ts';
import { projectPath } from '../../paths.ts';
import { alive, withLock } from '../pid-lock.ts';

/** The image every store starts with: the busybox OCI layout built in guest-images/. */
export const BASE_IMAGE_DIR = projectPath('guest-images', 'dist', 'oci', 'busybox');
export { BASE_IMAGE_NAME };

export interface ImageSummary {
  /** NAME:TAG, or undefined for an unnamed image. */
  name: string | undefined;
  /** The config digest, which Docker shows as the image ID. */
  id: string;
  manifest: Descriptor;
  /** Bytes of config and layer blobs as stored (layers compressed when they were imported so). */
  size: number;
  created: string | undefined;
}

export class ImageNotFoundError extends Error {
  override name = 'ImageNotFoundError';
}

/** Blobs held for work in flight: garbage collection keeps them while the lease's process lives. */
export interface StoreLease {
  /** Holds blobs already in the store; throws ImageNotFoundError if one is gone. */
  hold(digests: string[]): void;
  /** Ends the lease (when its work has named an image, or failed). */
  release(): void;
}

/** A lease as a file of the digests it holds, named after its process, which garbage collection reads. */
class Lease implements StoreLease {
  private readonly held = new Set<string>();
  constructor(
    private readonly path: string,
    private readonly present: (digest: string) => boolean,
    private readonly locked: (fn: () => void) => void,
  ) {}

  hold(digests: string[]): void {
    this.locked(() => this.holdLocked(digests));
  }

  /** hold, for a caller that has the store's lock already. */
  holdLocked(digests: string[]): void {
    for (const d of digests) {
      if (!this.present(d)) throw new ImageNotFoundError(`blob ${d} was removed from the store (by rmi) while in use`);
      this.held.add(d);
    }
    writeFileSync(this.path, JSON.stringify([...this.held]));
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

/** How often a reader reads the index again when a blob it names was removed meanwhile. */
const READ_ATTEMPTS = 8;
/** Temporary files are named after their process, so those of a process that died (kill -9) can be removed. */
const tmpName = () => `${process.pid}-${randomBytes(8).toString('hex')}`;
const pidOf = (name: string) => Number(name.split('-')[0]);

/** Every file under a directory (the base image's layout, about a MiB), by path relative to it. */
function readDirFiles(dir: string, prefix = ''): Map<string, ArchiveFile> {
  const files = new Map<string, ArchiveFile>();
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of readDirFiles(dir, rel)) files.set(k, v);
    else if (e.isFile()) files.set(rel, memoryFile(readFileSync(join(dir, rel))));
  }
  return files;
}

function nameOrUndefined(ref: string): string | undefined {
  try {
    return normalizeName(ref);
  } catch (e) {
    if (e instanceof ImageNameError) return undefined;
    throw e;
  }
}

export class ImageStore implements ImageSource {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens (creating on first use, with the base image) the store under a glassbox home. */
  static open(home: string = glassboxHome()): ImageStore {
    const store = new ImageStore(join(home, 'images'));
    for (const dir of ['blobs/sha256', 'tmp', 'leases']) mkdirSync(join(store.root, dir), { recursive: true });
    store.locked(() => {
      for (const dir of ['tmp', 'leases']) {
        for (const f of readdirSync(join(store.root, dir))) if (!alive(pidOf(f))) rmSync(join(store.root, dir, f), { recursive: true, force: true });
      }
    });
    if (!existsSync(join(store.root, 'index.json'))) {
      writeFileSync(join(store.root, 'oci-layout'), OCI_LAYOUT_FILE);
      const base = importArchive(readDirFiles(BASE_IMAGE_DIR));
      store.add({ blobs: base.blobs, images: base.images.map((i) => ({ ...i, name: i.name ?? BASE_IMAGE_NAME })) });
    }
    return store;
  }

  /** Runs a change to the store holding its lock. */
  private locked<T>(fn: () => T): T {
    return withLock(join(this.root, 'lock'), 'the image store', fn);
  }

  private index(): ImageIndex {
    const path = join(this.root, 'index.json');
    if (!existsSync(path)) return { schemaVersion: 2, mediaType: MEDIA_INDEX, manifests: [] };
    return JSON.parse(readFileSync(path, 'utf8')) as ImageIndex;
  }

  /** A read of the index and the blobs it names, again if a change removed a blob under it. */
  private consistent<T>(read: () => T): T {
    for (let attempt = 1; ; attempt++) {
      try {
        return read();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= READ_ATTEMPTS) throw e;
      }
    }
  }

  private tmpFile(data: Uint8Array | string): string {
    const tmp = join(this.root, 'tmp', tmpName());
    writeFileSync(tmp, data);
    return tmp;
  }

  private writeAtomically(path: string, data: Uint8Array | string): void {
    renameSync(this.tmpFile(data), path);
  }

  private blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /** Whether the store holds a blob (a pull does not fetch it again). */
  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  blob(digest: string): Uint8Array {
    return readFileSync(this.blobPath(digest));
  }

  private json<T>(d: Descriptor): T {
    return JSON.parse(Buffer.from(this.blob(d.digest)).toString('utf8')) as T;
  }

  manifestOf(d: Descriptor): ImageManifest {
    return this.json<ImageManifest>(d);
  }

  configOf(d: Descriptor): ImageConfig {
    return this.json<ImageConfig>(this.manifestOf(d).config);
  }

  /** An image by name or ID, in the form the engine runs it. */
  image(ref: string): RunnableImage {
    return this.consistent(() => {
      const found = this.resolve(ref);
      const config = this.configOf(found.manifest);
      return { name: found.name ?? found.id, id: found.id, layers: this.manifestOf(found.manifest).layers, diffIds: config.rootfs.diff_ids, config };
    });
  }

  /**
   * Adds verified blobs and points each named image at its manifest,
   * replacing an older image of the same name. The blobs are written (or
   * were staged) in tmp/ before the lock is taken, and renamed into place
   * under it; with `lease`, they are held for it in the same step.
   */
  add(set: ImportSet, lease?: StoreLease): ImportedImage[] {
    const tmpOf = (digest: string, data: BlobData) => ('staged' in data ? data.staged : existsSync(this.blobPath(digest)) ? undefined : this.tmpFile(data));
    const staged = [...set.blobs].map(([digest, data]) => [digest, tmpOf(digest, data)] as const);
    try {
      this.locked(() => {
        for (const [digest, tmp] of staged) {
          if (tmp && !existsSync(this.blobPath(digest))) renameSync(tmp, this.blobPath(digest));
        }
        // A blob seen as present before the lock may have been collected since.
        const gone = staged.filter(([digest, tmp]) => !tmp && !existsSync(this.blobPath(digest)));
        for (const [digest] of gone) this.writeAtomically(this.blobPath(digest), set.blobs.get(digest) as Uint8Array);
        if (lease) (lease as Lease).holdLocked([...set.blobs.keys()]);
        if (set.images.length === 0) return;
        const index = this.index();
        for (const img of set.images) {
          // An unnamed image whose manifest some entry already has adds nothing: it must not take that entry's name away.
          if (!img.name && index.manifests.some((m) => m.digest === img.manifest.digest)) continue;
          // A name replaces the entry of that name, and an unnamed entry of the same manifest (now named).
          index.manifests = index.manifests.filter((m) =>
            img.name ? m.annotations?.[REF_NAME] !== img.name && !(m.digest === img.manifest.digest && !m.annotations?.[REF_NAME]) : true,
          );
          const { mediaType, digest, size } = img.manifest;
          index.manifests.push({ mediaType, digest, size, ...(img.name ? { annotations: { [REF_NAME]: img.name } } : {}) });
        }
        this.writeAtomically(join(this.root, 'index.json'), JSON.stringify(index));
      });
    } finally {
      for (const [, tmp] of staged) if (tmp) rmSync(tmp, { force: true });
    }
    return set.images;
  }

  /** A lease for work that adds blobs before naming an image (a build). */
  lease(): StoreLease {
    return new Lease(
      join(this.root, 'leases', tmpName()),
      (d) => existsSync(this.blobPath(d)),
      (fn) => this.locked(fn),
    );
  }

  /**
   * Imports an OCI layout tarball or a `docker save` tarball (either possibly
   * gzip'd), given as bytes or as the path of a file, which is streamed: an
   * archive of any size takes bounded memory.
   */
  async load(archive: Uint8Array | string): Promise<ImportedImage[]> {
    const dir = join(this.root, 'tmp', tmpName());
    mkdirSync(dir, { mode: 0o700 });
    try {
      return this.add(importArchive(await stageArchive(archive, dir, 'archive')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  list(): ImageSummary[] {
    return this.consistent(() =>
      this.index().manifests.map((d) => {
        const manifest = this.manifestOf(d);
        const config = this.json<ImageConfig>(manifest.config);
        return {
          name: d.annotations?.[REF_NAME],
          id: manifest.config.digest,
          manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size },
          size: manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0),
          created: config.created,
        };
      }),
    );
  }

  /** The image a reference names: NAME[:TAG], or a prefix (4+ hex digits) of its ID or manifest digest. */
  resolve(ref: string): ImageSummary {
    const images = this.list();
    const name = nameOrUndefined(ref);
    const named = images.find((i) => i.name === name);
    if (named) return named;
    const hex = ref.replace(/^sha256:/, '');
    if (/^[0-9a-f]{4,64}$/.test(hex)) {
      const hits = images.filter((i) => digestHex(i.id).startsWith(hex) || digestHex(i.manifest.digest).startsWith(hex));
      const digests = new Set(hits.map((i) => i.manifest.digest));
      if (digests.size === 1) return hits[0]!;
      if (digests.size > 1) throw new ImageNotFoundError(`image ID prefix ${hex} is ambiguous`);
    }
    throw new ImageNotFoundError(name ? `no image ${name} in the store` : `"${ref}" is neither an image name nor an image ID`);
  }

  /** An OCI layout tarball of the named images, with a docker-style manifest.json beside it. */
  async save(refs: string[]): Promise<Uint8Array> {
    return writeTar(this.consistent(() => this.saveEntries(refs)));
  }

  /** The files of save's archive, read from one state of the store. */
  private saveEntries(refs: string[]): TarEntry[] {
    const images = refs.map((r) => this.resolve(r));
    const blobs = new Map<string, Uint8Array>();
    const keep = (d: Descriptor) => blobs.set(`blobs/sha256/${digestHex(d.digest)}`, this.blob(d.digest));
    const dockerManifest = images.map((img) => {
      const m = this.manifestOf(img.manifest);
      [img.manifest, m.config, ...m.layers].forEach(keep);
      return {
        Config: `blobs/sha256/${digestHex(m.config.digest)}`,
        RepoTags: img.name ? [img.name] : [],
        Layers: m.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
      };
    });
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MEDIA_INDEX,
      manifests: images.map((i) => ({ ...i.manifest, ...(i.name ? { annotations: { [REF_NAME]: i.name } } : {}) })),
    };
    return [
      ['oci-layout', Buffer.from(OCI_LAYOUT_FILE)],
      ['index.json', Buffer.from(JSON.stringify(index))],
      ['manifest.json', Buffer.from(JSON.stringify(dockerManifest))],
      ...blobs,
    ];
  }

  /** Removes an image by name (that name only) or by ID (every name of it), then the blobs nothing refers to. */
  /** The image rmi(ref) would remove entirely, or undefined when it would only untag a name another still points to. */
  wouldRemove(ref: string): ImageSummary | undefined {
    const target = this.resolve(ref);
    const byName = target.name !== undefined && target.name === nameOrUndefined(ref);
    const names = this.list().filter((i) => i.manifest.digest === target.manifest.digest);
    return byName && names.length > 1 ? undefined : target;
  }

  rmi(ref: string): ImageSummary[] {
    return this.locked(() => {
      const target = this.resolve(ref);
      const byName = target.name !== undefined && target.name === nameOrUndefined(ref);
      const removed = this.list().filter((i) => (byName ? i.name === target.name : i.manifest.digest === target.manifest.digest));
      const index = this.index();
      index.manifests = index.manifests.filter((m) => (byName ? m.annotations?.[REF_NAME] !== target.name : m.digest !== target.manifest.digest));
      this.writeAtomically(join(this.root, 'index.json'), JSON.stringify(index));
      this.collectGarbage();
      return removed;
    });
  }

  /**
   * Removes unnamed images (with `all`, named ones too) but those in `keep`,
   * then every blob no image uses and no lease holds (also those a failed
   * build left); returns what it freed.
   */
  prune(keep: ReadonlySet<string> = new Set(), all = false): { removed: ImageSummary[]; bytes: number } {
    const dir = join(this.root, 'blobs', 'sha256');
    const blobBytes = () => readdirSync(dir).reduce((n, hex) => n + statSync(join(dir, hex)).size, 0);
    return this.locked(() => {
      const before = blobBytes();
      // An unnamed image a container uses (`keep`, by image ID) stays, as Docker keeps it.
      const removed = this.list().filter((i) => (all || i.name === undefined) && !keep.has(i.id));
      const gone = new Set(removed.map((i) => i.manifest.digest));
      const index = this.index();
      index.manifests = index.manifests.filter((m) => (!all && m.annotations?.[REF_NAME] !== undefined) || !gone.has(m.digest));
      this.writeAtomically(join(this.root, 'index.json'), JSON.stringify(index));
      this.collectGarbage();
      return { removed, bytes: before - blobBytes() };
    });
  }

  /** Deletes blobs that no manifest in the index reaches and no live lease holds; called holding the lock. */
  private collectGarbage(): void {
    const live = new Set<string>();
    for (const d of this.index().manifests) {
      const m = this.manifestOf(d);
      [d, m.config, ...m.layers].forEach((x) => live.add(digestHex(x.digest)));
    }
    for (const f of readdirSync(join(this.root, 'leases'))) {
      const path = join(this.root, 'leases', f);
      if (!alive(pidOf(f))) rmSync(path, { force: true });
      else for (const d of JSON.parse(readFileSync(path, 'utf8')) as string[]) live.add(digestHex(d));
    }
    for (const hex of readdirSync(join(this.root, 'blobs', 'sha256'))) {
      if (!live.has(hex)) rmSync(join(this.root, 'blobs', 'sha256', hex));
    }
  }
}
