// Images for the registry tests, written as OCI layouts on disk for skopeo to
// push: the busybox base image as it is, and variants of it for other
// platforms (its config with another architecture, the same layer), under
// one multi-platform index.

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE_DIR } from '../../../src/containers/store/image-store.ts';

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayoutImage {
  platform: Platform;
  /** The manifest's digest. */
  digest: string;
  configDigest: string;
}

/**
 * An OCI layout holding, under the tag `tag`, an index of one image per
 * platform: linux/386 is the base image unchanged, any other platform is the
 * base config with its architecture (and variant) replaced.
 */
export function multiPlatformLayout(platforms: Platform[], tag: string): { dir: string; index: string; images: LayoutImage[] } {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-multi-'));
  cpSync(BASE_IMAGE_DIR, dir, { recursive: true });
  const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice(7)));
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), b);
    return d;
  };
  const base = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0];
  const baseManifest = JSON.parse(blob(base.digest).toString());
  const baseConfig = JSON.parse(blob(baseManifest.config.digest).toString());
  const images = platforms.map((p): LayoutImage & { size: number } => {
    if (p.os === 'linux' && p.architecture === '386') return { platform: p, digest: base.digest, configDigest: baseManifest.config.digest, size: base.size };
    const config = Buffer.from(JSON.stringify({ ...baseConfig, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) }));
    const manifest = Buffer.from(JSON.stringify({ ...baseManifest, config: { ...baseManifest.config, digest: put(config), size: config.length } }));
    return { platform: p, digest: put(manifest), configDigest: sha(config), size: manifest.length };
  });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map((i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.digest, size: i.size, platform: i.platform })),
    }),
  );
  const indexDigest = put(index);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return { dir, index: indexDigest, images };
}
