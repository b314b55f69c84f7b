// SHA-256 of files on this host, remembered by the file's identity and age
// (device, inode, size, modification and change times, as make and rsync
// judge a file unchanged; the change time cannot be set back by hand, so a
// file rewritten in place gets a new one): a restore checks that the kernel
// and initrd are the ones its snapshot was made with without reading 9 MB
// each time. In this process, and, given a file to keep them in, across
// processes (the engine's start: snapshot-cache.ts). Node only.

import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';

const known = new Map<string, { stamp: string; sha256: Promise<string> }>();

/** What a file's digest is remembered by. */
async function stampOf(path: string): Promise<string> {
  const s = await stat(path, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** The digests kept in `file` (path to stamp and digest), empty when it is missing or unreadable. */
function keptDigests(file: string): Record<string, { stamp: string; sha256: string }> {
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return kept && typeof kept === 'object' ? (kept as Record<string, { stamp: string; sha256: string }>) : {};
  } catch {
    return {};
  }
}

/** Adds one digest to `file`, atomically; a write that fails costs only a read of the file next time. */
function keepDigest(file: string, path: string, stamp: string, sha256: string): void {
  try {
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ ...keptDigests(file), [path]: { stamp, sha256 } }));
    renameSync(tmp, file);
  } catch {
    // best-effort: the cache directory may be read-only or gone
  }
}

/**
 * The file's SHA-256 as lowercase hex, read through once per version of the
 * file; with `keptIn`, looked up in that file first and added to it.
 */
export async function fileSha256(path: string, keptIn?: string): Promise<string> {
  const stamp = await stampOf(path);
  const seen = known.get(path);
  if (seen?.stamp === stamp) return seen.sha256;
  const kept = keptIn === undefined ? undefined : keptDigests(keptIn)[path];
  const sha256 =
    kept?.stamp === stamp && typeof kept.sha256 === 'string'
      ? Promise.resolve(kept.sha256)
      : // Streamed: no buffer the size of the file, whose fresh pages would each cost a fault.
        new Promise<string>((resolve, reject) => {
          const h = createHash('sha256');
          createReadStream(path)
            .on('data', (b) => h.update(b))
            .on('error', reject)
            .on('end', () => resolve(h.digest('hex')));
        });
  known.set(path, { stamp, sha256 });
  sha256.catch(() => known.delete(path));
  if (keptIn !== undefined && kept?.stamp !== stamp) void sha256.then((d) => keepDigest(keptIn, path, stamp, d)).catch(() => {});
  return sha256;
}
