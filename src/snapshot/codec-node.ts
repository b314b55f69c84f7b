// Node's snapshot codec: synchronous zlib and hashing from node:crypto, the
// same format as webCodec (codec.ts), many times faster.

import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateSync, gunzip, inflateSync } from 'node:zlib';
import type { SnapshotCodec } from './codec.ts';

const gunzipAsync = promisify(gunzip);

export const nodeCodec: SnapshotCodec = {
  compress: async (data) => new Uint8Array(deflateSync(data)),
  decompress: async (data) => new Uint8Array(inflateSync(data)),
  decompressSync: (data) => new Uint8Array(inflateSync(data)),
  // On the thread pool: a restore inflates the initrd while it does the rest.
  gunzip: async (data) => new Uint8Array(await gunzipAsync(data)),
  sha256: async (data) => createHash('sha256').update(data).digest('hex'),
};
