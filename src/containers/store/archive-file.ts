// The regular files of an image archive as the importer sees them: size,
// digest and content on demand, whether they were held in memory (the base
// image's directory, a test's bytes) or streamed to a staging file on disk
// (`load` of an archive of any size, with bounded memory).

import { readFileSync } from 'node:fs';
import { ImageArchiveError, MAX_EXPANDED, gunzip, isGzip } from './archive.ts';
import { sha256 } from './sha256.ts';

/** A blob as the store takes it: bytes, or a file staged in the store's tmp/ that it may move into place. */
export type BlobData = Uint8Array | { staged: string; size: number };

/** The largest JSON document (index, manifest, config) the importer reads into memory. */
const MAX_JSON = 4 << 20;

export interface ArchiveFile {
  readonly size: number;
  /** sha256 of the content. */
  readonly digest: string;
  /** Whether the content starts as gzip does. */
  readonly gzip: boolean;
  readonly blob: BlobData;
  /** The content of a small file (a JSON document); `what` names it in the error for a large one. */
  json(what: string): Uint8Array;
  /** sha256 of the content, gunzip'd first if it is gzip (a layer's diff_id), refusing one that expands beyond MAX_EXPANDED. */
  diffId(what: string): string;
}

const bomb = (what: string) => new ImageArchiveError(`${what}: expands beyond ${MAX_EXPANDED >> 20} MiB, more than glassbox takes (a decompression bomb?)`);

export function memoryFile(data: Uint8Array): ArchiveFile {
  return {
    size: data.length,
    digest: sha256(data),
    gzip: isGzip(data),
    blob: data,
    json: () => data,
    diffId(what) {
      if (!isGzip(data)) {
        if (data.length > MAX_EXPANDED) throw bomb(what);
        return sha256(data);
      }
      return sha256(gunzip(data, what));
    },
  };
}

/** What staging learnt of a file's content unpacked: its digest, or why there is none (beyond the cap; not gzip after all). */
export type Unpacked = { diffId: string } | { tooBig: true } | { gzipError: string };

/** A file the archive's stream was written to, with what was learnt while writing it. */
export function stagedFile(path: string, size: number, digest: string, gzip: boolean, unpacked: Unpacked): ArchiveFile {
  return {
    size,
    digest,
    gzip,
    blob: { staged: path, size },
    json(what) {
      if (size > MAX_JSON) throw new ImageArchiveError(`${what} is ${size} bytes, more than the ${MAX_JSON >> 20} MiB a JSON document of an image may be`);
      return readFileSync(path);
    },
    diffId(what) {
      if ('tooBig' in unpacked) throw bomb(what);
      if ('gzipError' in unpacked) throw new ImageArchiveError(`${what}: not a valid gzip stream (${unpacked.gzipError})`);
      return unpacked.diffId;
    },
  };
}
