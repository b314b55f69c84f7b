// The image store against skopeo (Debian's, from containers/image), a real
// producer and consumer of both archive formats: what it writes as a
// `docker save` archive glassbox loads as the same image, and what glassbox
// saves skopeo reads, checking every blob's digest as it copies.

import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, BASE_IMAGE_DIR } from '../../../src/containers/store/image-store.ts';

const skopeo = (...args: string[]) => execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
const work = () => mkdtempSync(join(tmpdir(), 'glassbox-interop-'));

describe('image archives with skopeo', () => {
  it('loads the docker-archive skopeo writes (layers as symlinked tars) as the same image', async () => {
    const dir = work();
    const archive = join(dir, 'docker.tar');
    skopeo('copy', `oci:${BASE_IMAGE_DIR}:latest`, `docker-archive:${archive}:busybox:from-skopeo`);
    const store = ImageStore.open(join(dir, 'home'));
    const [loaded] = await store.load(readFileSync(archive));
    expect(loaded!.name).toBe('busybox:from-skopeo');
    const base = store.image('busybox:latest');
    const copy = store.image('busybox:from-skopeo');
    // the same config, so the same image ID and the same layer contents (diff IDs)
    expect(copy.id).toBe(base.id);
    expect(copy.diffIds).toEqual(base.diffIds);
    expect(copy.config).toEqual(base.config);
  });

  it('saves an archive skopeo reads and copies with every digest checked, to an OCI layout and to a docker-archive glassbox loads back', async () => {
    const dir = work();
    const store = ImageStore.open(join(dir, 'home'));
    const saved = join(dir, 'saved.tar');
    writeFileSync(saved, await store.save(['busybox:latest']));
    const base = store.image('busybox:latest');
    const manifest = JSON.parse(skopeo('inspect', '--raw', `oci-archive:${saved}`));
    expect(manifest.config.digest).toBe(base.id);
    expect(manifest.layers.map((l: { digest: string }) => l.digest)).toEqual(base.layers.map((l) => l.digest));
    skopeo('copy', `oci-archive:${saved}`, `oci:${join(dir, 'layout')}:copied`);
    const config = JSON.parse(skopeo('inspect', '--config', '--raw', `oci:${join(dir, 'layout')}:copied`));
    expect(config.rootfs.diff_ids).toEqual(base.diffIds);

    const again = join(dir, 'again.tar');
    skopeo('copy', `oci-archive:${saved}`, `docker-archive:${again}:roundtrip:1`);
    const other = ImageStore.open(join(dir, 'other-home'));
    await other.load(readFileSync(again));
    expect(other.image('roundtrip:1').id).toBe(base.id);
  });
});
