// The host image store against archives made by GNU tar, gzip and sha256sum
// (independent of glassbox's own tar code), including damaged ones.

import { describe, it, expect, beforeEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, BASE_IMAGE_DIR } from '../../../src/containers/store/image-store.ts';
import { ImageArchiveError } from '../../../src/containers/store/archive.ts';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `glassbox-${prefix}-`));
const sh = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, maxBuffer: 1 << 26 });

const baseIndex = JSON.parse(readFileSync(join(BASE_IMAGE_DIR, 'index.json'), 'utf8'));
const BASE_MANIFEST: string = baseIndex.manifests[0].digest;
const baseManifest = JSON.parse(readFileSync(join(BASE_IMAGE_DIR, 'blobs/sha256', BASE_MANIFEST.slice(7)), 'utf8'));
const BASE_CONFIG: string = baseManifest.config.digest;
const BASE_LAYER: string = baseManifest.layers[0].digest;

/** GNU tar of a directory's contents. */
function gnuTar(dir: string, out: string): Buffer {
  sh('tar', ['-C', dir, '-cf', out, '.']);
  return readFileSync(out);
}

/** What the store holds on disk: the index and the blob names. */
function snapshot(store: ImageStore) {
  return { index: readFileSync(join(store.root, 'index.json'), 'utf8'), blobs: readdirSync(join(store.root, 'blobs/sha256')).sort() };
}

/** A `docker save` (pre-OCI) archive of the base image, laid out with GNU tar: config by hex name, an uncompressed layer.tar per layer. */
function dockerSaveArchive(work: string, repoTag: string): Buffer {
  const dir = join(work, 'docker');
  mkdirSync(join(dir, 'layer0'), { recursive: true });
  const hex = BASE_CONFIG.slice(7);
  cpSync(join(BASE_IMAGE_DIR, 'blobs/sha256', hex), join(dir, `${hex}.json`));
  writeFileSync(join(dir, 'layer0', 'layer.tar'), sh('gzip', ['-dc', join(BASE_IMAGE_DIR, 'blobs/sha256', BASE_LAYER.slice(7))]));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${hex}.json`, RepoTags: [repoTag], Layers: ['layer0/layer.tar'] }]));
  return gnuTar(dir, join(work, 'docker.tar'));
}

describe('image store', () => {
  let home: string;
  let store: ImageStore;
  beforeEach(() => {
    home = tmp('home');
    store = ImageStore.open(home);
  });

  it('starts with the busybox base image, blobs named by their sha256sum', () => {
    const [img, ...rest] = store.list();
    expect(rest).toEqual([]);
    expect(img!.name).toBe('busybox:latest');
    expect(img!.manifest.digest).toBe(BASE_MANIFEST);
    expect(img!.id).toBe(BASE_CONFIG);
    const sums = sh('sha256sum', readdirSync(join(store.root, 'blobs/sha256')), join(store.root, 'blobs/sha256')).toString();
    for (const line of sums.trim().split('\n')) {
      const [sum, file] = line.split(/\s+/);
      expect(sum).toBe(file);
    }
  });

  it('saves an OCI layout that GNU tar unpacks to verifiable blobs, and loads it back with identical digests', async () => {
    const work = tmp('save');
    const archive = await store.save(['busybox']);
    writeFileSync(join(work, 'out.tar'), archive);
    mkdirSync(join(work, 'x'));
    sh('tar', ['-C', join(work, 'x'), '-xf', join(work, 'out.tar')]);
    const layout = JSON.parse(readFileSync(join(work, 'x/oci-layout'), 'utf8'));
    expect(layout.imageLayoutVersion).toBe('1.0.0');
    const blobs = readdirSync(join(work, 'x/blobs/sha256'));
    expect(blobs.sort()).toEqual([BASE_MANIFEST, BASE_CONFIG, BASE_LAYER].map((d) => d.slice(7)).sort());
    const sums = sh('sha256sum', blobs, join(work, 'x/blobs/sha256')).toString();
    for (const line of sums.trim().split('\n')) expect(line.split(/\s+/)[0]).toBe(line.split(/\s+/)[1]);
    const docker = JSON.parse(readFileSync(join(work, 'x/manifest.json'), 'utf8'));
    expect(docker[0].RepoTags).toEqual(['busybox:latest']);

    const other = ImageStore.open(tmp('home2'));
    other.rmi('busybox');
    expect(other.list()).toEqual([]);
    const loaded = await other.load(archive);
    expect(loaded.map((i) => [i.name, i.manifest.digest])).toEqual([['busybox:latest', BASE_MANIFEST]]);
    expect(other.list()).toEqual(store.list());
  });

  it("loads an OCI layout tarred by GNU tar, plain and gzip'd; a bare tag leaves the image unnamed", async () => {
    const work = tmp('oci');
    const plain = gnuTar(BASE_IMAGE_DIR, join(work, 'layout.tar'));
    const gz = sh('gzip', ['-c', join(work, 'layout.tar')]);
    for (const archive of [plain, gz]) {
      const s = ImageStore.open(tmp('home3'));
      s.rmi('busybox');
      const [img] = await s.load(archive);
      expect(img!.name).toBeUndefined();
      expect(s.resolve(BASE_CONFIG.slice(7, 19)).manifest.digest).toBe(BASE_MANIFEST);
    }
  });

  it('keeps every name of a manifest: an unnamed load of it, or a second name, takes none away', async () => {
    // The base layout unnamed, the same manifest busybox:latest names.
    const [unnamed] = await store.load(gnuTar(BASE_IMAGE_DIR, join(tmp('same'), 'layout.tar')));
    expect(unnamed!.manifest.digest).toBe(BASE_MANIFEST);
    expect(store.list().map((i) => i.name)).toEqual(['busybox:latest']);
    const [img] = store.list();
    store.add({ blobs: new Map(), images: [{ name: 'copy:1', manifest: img!.manifest }] });
    expect(
      store
        .list()
        .map((i) => [i.name, i.manifest.digest])
        .sort(),
    ).toEqual([
      ['busybox:latest', BASE_MANIFEST],
      ['copy:1', BASE_MANIFEST],
    ]);
    await store.load(gnuTar(BASE_IMAGE_DIR, join(tmp('same2'), 'layout.tar')));
    expect(
      store
        .list()
        .map((i) => i.name)
        .sort(),
    ).toEqual(['busybox:latest', 'copy:1']);
  });

  it('prune keeps an unnamed image a container uses, and removes it once none does', async () => {
    store.rmi('busybox');
    const [img] = await store.load(gnuTar(BASE_IMAGE_DIR, join(tmp('unnamed'), 'layout.tar')));
    expect(store.prune(new Set([BASE_CONFIG])).removed).toEqual([]);
    expect(store.list().map((i) => i.manifest.digest)).toEqual([img!.manifest.digest]);
    expect(store.prune().removed.map((i) => i.manifest.digest)).toEqual([BASE_MANIFEST]);
    expect(readdirSync(join(store.root, 'blobs/sha256'))).toEqual([]);
  });

  it('loads a docker save archive, converting it to an OCI manifest over the same config', async () => {
    const [img] = await store.load(dockerSaveArchive(tmp('docker'), 'docker.io/library/mybox:1'));
    expect(img!.name).toBe('mybox:1');
    const mybox = store.resolve('mybox:1');
    expect(mybox.id).toBe(BASE_CONFIG);
    const layer = store.manifestOf(mybox.manifest).layers[0]!;
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    // The uncompressed layer shares nothing with the gzip'd base layer but its diff_id.
    expect(layer.digest).toBe(store.configOf(mybox.manifest).rootfs.diff_ids[0]);

    // Removing one name keeps the blobs the other image still uses.
    store.rmi('busybox');
    expect(store.configOf(store.resolve('mybox:1').manifest).rootfs.diff_ids).toHaveLength(1);
    store.rmi('mybox:1');
    expect(readdirSync(join(store.root, 'blobs/sha256'))).toEqual([]);
  });

  describe('refuses damaged archives and leaves the store as it was', () => {
    async function refused(archive: Uint8Array, message: RegExp) {
      const before = snapshot(store);
      const err = await store.load(archive).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImageArchiveError);
      expect((err as Error).message).toMatch(message);
      expect(snapshot(store)).toEqual(before);
      expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
    }

    it('a layer blob with one byte changed', async () => {
      const work = tmp('corrupt');
      cpSync(BASE_IMAGE_DIR, join(work, 'layout'), { recursive: true });
      const layerFile = join(work, 'layout/blobs/sha256', BASE_LAYER.slice(7));
      const bytes = readFileSync(layerFile);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(layerFile, bytes);
      store.rmi('busybox');
      await refused(gnuTar(join(work, 'layout'), join(work, 'c.tar')), new RegExp(`${BASE_LAYER}.*corrupted`));
    });

    it('a docker save layer whose content does not match the config diff_id', async () => {
      const work = tmp('corrupt-docker');
      dockerSaveArchive(work, 'mybox:1');
      const layer = join(work, 'docker/layer0/layer.tar');
      const bytes = readFileSync(layer);
      bytes[1000] ^= 0x01;
      writeFileSync(layer, bytes);
      await refused(gnuTar(join(work, 'docker'), join(work, 'c.tar')), /layer 0 unpacks to .* config expects .*corrupted/);
    });

    it('a missing blob', async () => {
      const work = tmp('missing');
      cpSync(BASE_IMAGE_DIR, join(work, 'layout'), { recursive: true });
      execFileSync('rm', [join(work, 'layout/blobs/sha256', BASE_CONFIG.slice(7))]);
      await refused(gnuTar(join(work, 'layout'), join(work, 'm.tar')), new RegExp(`${BASE_CONFIG} is missing`));
    });

    it("archives truncated at several points, plain and gzip'd", async () => {
      const work = tmp('trunc');
      const plain = gnuTar(BASE_IMAGE_DIR, join(work, 'layout.tar'));
      const gz = sh('gzip', ['-c', join(work, 'layout.tar')]);
      for (const cut of [0.1, 0.5, 0.9]) {
        await refused(plain.subarray(0, Math.floor(plain.length * cut)), /truncated|missing/);
        await refused(gz.subarray(0, Math.floor(gz.length * cut)), /gzip/);
      }
    });

    it('a file that is no image archive', async () => {
      await refused(Buffer.from('hello'), /not a tar archive/);
      const work = tmp('notimage');
      writeFileSync(join(work, 'README'), 'just a file\n');
      await refused(gnuTar(work, join(tmp('notimage-out'), 'r.tar')), /neither an OCI image layout .* nor a docker save archive/);
    });
  });

  it('names what is wrong with an unknown or malformed image reference', () => {
    expect(() => store.resolve('nosuch')).toThrow(/no image nosuch:latest in the store/);
    expect(() => store.resolve('Bad Name')).toThrow(/neither an image name nor an image ID/);
  });
});
