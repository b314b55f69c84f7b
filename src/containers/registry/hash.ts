// Streaming sha256 for blobs as they arrive. Web Crypto hashes only whole
// buffers, so the portable hasher is @noble/hashes (audited, no
// dependencies); Node passes its native one (node-transport.ts), which is
// several times faster on large layers.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export interface Hasher {
  update(data: Uint8Array): void;
  /** "sha256:" and the hex digest of everything given to update. */
  digest(): string;
}

export type HasherFactory = () => Hasher;

export const webHasher: HasherFactory = () => {
  const h = sha256.create();
  return { update: (d) => void h.update(d), digest: () => 'sha256:' + bytesToHex(h.digest()) };
};
