// Image names as the store keeps them: NAME:TAG (or NAME@DIGEST for an image
// pulled by digest), in Docker's familiar form, with ":latest" added when no
// tag is given and Docker Hub's implicit "docker.io/library/" dropped, so that
// names read the same whichever tool wrote the archive. The grammar is
// Docker's (registry/reference.ts): "127.0.0.1:5000/app:1" is a name too.

import { familiarString, parseReference, ImageReferenceError } from '../registry/reference.ts';

export class ImageNameError extends Error {
  override name = 'ImageNameError';
}

/** NAME:TAG (or NAME@DIGEST), with ":latest" added when neither is given. */
export function normalizeName(ref: string): string {
  try {
    return familiarString(parseReference(ref));
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new ImageNameError(`"${ref}" is not a valid image name (${e.reason})`);
    throw e;
  }
}

/** A stored name split for display: repository, and the tag ("<none>" for a name by digest). */
export function splitName(name: string): [repository: string, tag: string] {
  const at = name.indexOf('@');
  if (at >= 0) return [name.slice(0, at), '<none>'];
  const colon = name.lastIndexOf(':');
  return [name.slice(0, colon), name.slice(colon + 1)];
}

/** The name the base image (guest-images/dist/oci/busybox, whose index names no repository) goes by. */
export const BASE_IMAGE_NAME = 'busybox:latest';
