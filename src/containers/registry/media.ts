// The media types a registry serves images in: OCI's and Docker's schema 2
// (image-spec v1.1; Docker's "Image Manifest V2, Schema 2"), and which of
// them glassbox can store and run.

import { MEDIA_DOCKER_LAYER_GZIP, MEDIA_DOCKER_MANIFEST, MEDIA_INDEX, MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, MEDIA_MANIFEST } from '../store/oci.ts';

export const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** What a pull accepts, so the registry serves schema 2 or OCI (never the old schema 1). */
export const MANIFEST_ACCEPT = [MEDIA_INDEX, MEDIA_DOCKER_LIST, MEDIA_MANIFEST, MEDIA_DOCKER_MANIFEST].join(', ');

export const isIndex = (mediaType: string) => mediaType === MEDIA_INDEX || mediaType === MEDIA_DOCKER_LIST;
export const isImageManifest = (mediaType: string) => mediaType === MEDIA_MANIFEST || mediaType === MEDIA_DOCKER_MANIFEST;

/** Layers the guest can unpack: tar and gzip'd tar (not zstd, not Docker's foreign layers fetched from elsewhere). */
export const isRunnableLayer = (mediaType: string) => [MEDIA_LAYER_TAR, MEDIA_LAYER_GZIP, MEDIA_DOCKER_LAYER_GZIP].includes(mediaType);
