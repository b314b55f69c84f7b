// Image archives as whole files in memory: read a tarball (plain or gzip'd)
// into its regular files, and write files into a tarball. Images here are a
// few MiB; holding them lets every digest be checked before the store changes.

import { gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import { extract, pack } from 'tar-stream';

/** An archive that cannot be imported; the message says what is wrong with it. */
export class ImageArchiveError extends Error {
  override name = 'ImageArchiveError';
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(data: Uint8Array): boolean {
  return data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1];
}

/**
 * The most an archive or a layer may expand to. Archives are held in memory
 * whole, and a layer must fit the guest's RAM to be unpacked at all; the cap
 * keeps a decompression bomb (a few MiB of gzip'd zeros) from taking the
 * host's memory.
 */
export const MAX_EXPANDED = 512 << 20;

export function gunzip(data: Uint8Array, what: string): Uint8Array {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_EXPANDED });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ImageArchiveError(`${what}: expands beyond ${MAX_EXPANDED >> 20} MiB, more than glassbox takes (a decompression bomb?)`);
    throw new ImageArchiveError(`${what}: not a valid gzip stream (${(e as Error).message})`);
  }
}

/** A path inside an archive, without "./", refusing ones that climb out of it. */
function entryPath(name: string): string {
  const p = posix.normalize(name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
  if (p.startsWith('/') || p === '..' || p.startsWith('../')) throw new ImageArchiveError(`entry "${name}" points outside the archive`);
  return p;
}

/** The regular files of a tar archive by path; symlinks and hard links resolve to their targets. */
export async function readTar(data: Uint8Array, what: string): Promise<Map<string, Uint8Array>> {
  const tar = isGzip(data) ? gunzip(data, what) : data;
  if (tar.length < 512) throw new ImageArchiveError(`${what}: not a tar archive (${tar.length} bytes)`);
  const files = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const path = entryPath(h.name);
      if (h.type === 'file' || h.type === 'contiguous-file') files.set(path, Buffer.concat(chunks));
      else if (h.type === 'symlink') links.set(path, entryPath(posix.join(posix.dirname(path), h.linkname)));
      else if (h.type === 'link') links.set(path, entryPath(h.linkname));
    }
  })();
  ex.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  try {
    await done;
  } catch (e) {
    throw new ImageArchiveError(`${what}: damaged or truncated tar archive (${(e as Error).message})`);
  }
  for (const [path, target] of links) {
    const data = files.get(target);
    if (data) files.set(path, data);
  }
  return files;
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
