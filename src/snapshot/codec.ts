// Compression and digests for snapshots. The format is zlib's (RFC 1950:
// deflate with an Adler-32 check) and SHA-256. Browsers compress with
// CompressionStream, inflate with fflate (synchronous, so a restored
// machine inflates a chunk when the guest first reaches it; a
// DecompressionStream per chunk costs a millisecond or more of setup) and
// hash with WebCrypto; Node's platform passes its own zlib (codec-node.ts).

import { gunzipSync, unzlibSync } from 'fflate';

export interface SnapshotCodec {
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Inflates `data`; throws if it is not one whole zlib stream. */
  decompress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * The same, synchronously, where the platform has it: a restored machine
   * then inflates a RAM chunk when the guest first reaches it, not all of
   * them before it starts.
   */
  decompressSync?(data: Uint8Array): Uint8Array;
  /** Inflates a gzip file (an initrd, whose files a snapshot names pages in: initrd-pages.ts). */
  gunzip(data: Uint8Array): Promise<Uint8Array>;
  /** SHA-256, as lowercase hex. */
  sha256(data: Uint8Array): Promise<string>;
}

async function pipe(data: Uint8Array, through: CompressionStream): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(through);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The codec every platform has: Web Streams compression and WebCrypto. */
export const webCodec: SnapshotCodec = {
  compress: (data) => pipe(data, new CompressionStream('deflate')),
  decompress: async (data) => unzlibSync(data),
  decompressSync: (data) => unzlibSync(data),
  gunzip: async (data) => gunzipSync(data),
  sha256: async (data) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))),
};
