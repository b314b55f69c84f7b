// Image archives: what is wrong with one, the expansion cap, gzip, and
// writing files into a tarball (save, build). Reading one is streamed
// (stage-archive.ts).

import { gunzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** An archive that cannot be imported; the message says what is wrong with it. */
export class ImageArchiveError extends Error {
  override name = 'ImageArchiveError';
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(data: Uint8Array): boolean {
  return data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1];
}

/**
 * The most a layer (or anything gunzip'd in memory) may expand to: a layer
 * must fit the guest's RAM to be unpacked at all, and the cap keeps a
 * decompression bomb (a few MiB of gzip'd zeros) from taking the host's
 * memory or disk.
 */
export const MAX_EXPANDED = 512 << 20;

export function gunzip(data: Uint8Array, what: string): Uint8Array {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_EXPANDED });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ImageArchiveError(`${what}: expands beyond ${MAX_EXPANDED >> 20} MiB, more than glassbox takes (a decompression bomb?)`);
    throw new ImageArchiveError(`${what}: not a valid gzip stream (${(e as Error).message})`);
  }
}

/** A file for writeTar: data, a directory when data is undefined, or a symbolic link to `linkname`. */
export type TarEntry = [name: string, data: Uint8Array | undefined | { linkname: string }, mode?: number];

/** A tar archive holding the given entries, in the order given, with fixed times and owners so equal input gives equal bytes. */
export async function writeTar(files: Iterable<TarEntry>): Promise<Uint8Array> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const [name, data, mode] of files) {
    await new Promise<void>((res, rej) => {
      const done = (err?: Error | null) => (err ? rej(err) : res());
      if (data === undefined) p.entry({ name, type: 'directory', mode: mode ?? 0o755, mtime: new Date(0) }, done);
      else if ('linkname' in data) p.entry({ name, type: 'symlink', linkname: data.linkname, mode: 0o777, mtime: new Date(0) }, done);
      else p.entry({ name, size: data.length, mode: mode ?? 0o644, mtime: new Date(0) }, data, done);
    });
  }
  p.finalize();
  await collected;
  return Buffer.concat(chunks);
}
