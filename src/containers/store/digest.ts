// Content addresses: "sha256:" and 64 lower-case hex digits. Nothing here
// needs Node, so the engine and the browser page can use it; the store's
// synchronous hashing is in sha256.ts.

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST.test(s);
}

/** The hex part, which names the blob file under blobs/sha256/. */
export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** The content address of `data` through Web Crypto, which Node and browsers both have. */
export async function digestOf(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return 'sha256:' + Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}
