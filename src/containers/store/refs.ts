// Image names as the CLI accepts them: NAME[:TAG], lower case, with Docker
// Hub's implicit "docker.io/library/" prefix dropped so that names read the
// same whichever tool wrote the archive.

const NAME = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$/;

export class ImageNameError extends Error {
  override name = 'ImageNameError';
}

/** NAME:TAG, with ":latest" added when no tag is given. */
export function normalizeName(ref: string): string {
  const short = ref.replace(/^docker\.io\/(library\/)?/, '');
  if (!NAME.test(short)) throw new ImageNameError(`"${ref}" is not a valid image name (lower-case NAME[:TAG])`);
  const lastSlash = short.lastIndexOf('/');
  return short.indexOf(':', lastSlash + 1) < 0 ? short + ':latest' : short;
}

/** The name the base image (guest-images/dist/oci/busybox, whose index names no repository) goes by. */
export const BASE_IMAGE_NAME = 'busybox:latest';
