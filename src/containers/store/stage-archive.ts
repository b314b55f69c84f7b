// Reads an image archive (a tarball, plain or gzip'd) as a stream, writing
// each regular file to a staging directory while hashing it, so an archive
// of any size is read with bounded memory and every digest can be checked
// before the store changes. The caller removes the directory afterwards.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { ImageArchiveError, MAX_EXPANDED, isGzip } from './archive.ts';
import { stagedFile, type ArchiveFile, type Unpacked } from './archive-file.ts';

/**
 * The most a whole archive may expand to as it is read: each layer is capped
 * at MAX_EXPANDED on top of this, and the staged copy takes as much disk.
 */
export const MAX_ARCHIVE = 4 * 1024 ** 3;

/** A path inside an archive, without "./", refusing ones that climb out of it. */
function entryPath(name: string): string {
  const p = posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/$/, '');
  if (p.startsWith('/') || p === '..' || p.startsWith('../')) throw new ImageArchiveError(`entry "${name}" points outside the archive`);
  return p;
}

/** Whether the file at `path` starts as gzip does. */
function fileIsGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && isGzip(head);
  } finally {
    closeSync(fd);
  }
}

/** Passes the tar stream on, failing once it passes `limit` bytes; `total()` is what went through. */
function counted(limit: number, what: string): Transform & { total(): number } {
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      if (n > limit) return done(new ImageArchiveError(`${what}: expands beyond ${limit / 1024 ** 3} GiB, more than glassbox loads (a decompression bomb?)`));
      done(null, chunk);
    },
  });
  return Object.assign(t, { total: () => n });
}

/** Hashes what a gzip stream unpacks to as its bytes come, up to MAX_EXPANDED (a layer's diff_id, learnt while staging it). */
class UnpackedDigest {
  private readonly gz = createGunzip();
  private readonly hash = createHash('sha256');
  private expanded = 0;
  private failed?: Unpacked;

  constructor() {
    this.gz.on('data', (c: Buffer) => {
      this.expanded += c.length;
      if (this.expanded <= MAX_EXPANDED) return void this.hash.update(c);
      // A bomb: stop unpacking it; the rest of its bytes are still staged, and the import refuses it by name.
      this.failed = { tooBig: true };
      this.gz.destroy();
    });
    this.gz.on('error', (e) => (this.failed ??= { gzipError: e.message }));
  }

  /** Feeds compressed bytes, waiting while zlib is behind. */
  async feed(chunk: Buffer): Promise<void> {
    if (this.failed || this.gz.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const go = () => (this.gz.off('drain', go).off('close', go), resolve());
      this.gz.on('drain', go).on('close', go);
    });
  }

  async end(): Promise<Unpacked> {
    if (!this.gz.destroyed) await new Promise<void>((resolve) => this.gz.once('close', resolve).end());
    return this.failed ?? { diffId: `sha256:${this.hash.digest('hex')}` };
  }
}

/** Writes one entry's content to `path`, learning its size, digest, whether it is gzip and what it unpacks to on the way. */
async function stage(entry: AsyncIterable<Buffer>, path: string): Promise<ArchiveFile> {
  const hash = createHash('sha256');
  let size = 0;
  /** The first bytes, until there are two to tell gzip by. */
  let head: Buffer | undefined = Buffer.alloc(0);
  let unpack: UnpackedDigest | undefined;
  async function* learn(): AsyncGenerator<Buffer> {
    for await (const chunk of entry) {
      hash.update(chunk);
      size += chunk.length;
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 2) {
          if (isGzip(head)) await (unpack = new UnpackedDigest()).feed(head);
          head = undefined;
        }
      } else {
        await unpack?.feed(chunk);
      }
      yield chunk;
    }
  }
  await pipeline(learn, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  const digest = `sha256:${hash.digest('hex')}`;
  return stagedFile(path, size, digest, unpack !== undefined, unpack ? await unpack.end() : { diffId: digest });
}

/** Writes the tar stream into the extractor, as fast as its entries are staged. */
function into(ex: Extract): (source: AsyncIterable<Buffer>) => Promise<void> {
  return async (source) => {
    for await (const chunk of source) {
      if (ex.write(chunk)) continue;
      await new Promise<void>((resolve) => {
        const go = (): void => {
          ex.off('drain', go);
          ex.off('close', go);
          resolve();
        };
        ex.on('drain', go);
        ex.on('close', go);
      });
    }
    ex.end(undefined);
  };
}

/**
 * The regular files of the archive at `source` (a path, or bytes) by path,
 * staged in `dir`; symlinks and hard links resolve to their targets.
 */
export async function stageArchive(source: string | Uint8Array, dir: string, what: string): Promise<Map<string, ArchiveFile>> {
  const gzip = typeof source === 'string' ? fileIsGzip(source) : isGzip(source);
  const input = typeof source === 'string' ? createReadStream(source) : Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const ex = extract();
  let staged = 0;
  const consumed = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const path = entryPath(h.name);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        files.set(path, await stage(entry as AsyncIterable<Buffer>, join(dir, String(staged++))));
        continue;
      }
      if (h.type === 'symlink') links.set(path, entryPath(posix.join(posix.dirname(path), h.linkname ?? '')));
      else if (h.type === 'link') links.set(path, entryPath(h.linkname ?? ''));
      entry.resume();
    }
  })().catch((e: Error) => {
    ex.destroy(e);
    throw e;
  });
  const tar = counted(MAX_ARCHIVE, what);
  try {
    const piped = gzip ? pipeline(input, createGunzip(), tar, into(ex)) : pipeline(input, tar, into(ex));
    await Promise.all([piped, consumed]);
  } catch (e) {
    if (e instanceof ImageArchiveError || (e as NodeJS.ErrnoException).syscall) throw e;
    if (/^Z_/.test((e as NodeJS.ErrnoException).code ?? '')) throw new ImageArchiveError(`${what}: not a valid gzip stream (${(e as Error).message})`);
    if (tar.total() < 512) throw new ImageArchiveError(`${what}: not a tar archive (${tar.total()} bytes)`);
    throw new ImageArchiveError(`${what}: damaged or truncated tar archive (${(e as Error).message})`);
  }
  if (tar.total() < 512) throw new ImageArchiveError(`${what}: not a tar archive (${tar.total()} bytes)`);
  for (const [path, target] of links) {
    const file = files.get(target);
    if (file) files.set(path, file);
  }
  return files;
}
