// Content addresses: "sha256:" and 64 lower-case hex digits.

import { createHash } from 'node:crypto';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function sha256(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST.test(s);
}

/** The hex part, which names the blob file under blobs/sha256/. */
export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}
