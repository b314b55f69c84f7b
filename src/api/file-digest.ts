// SHA-256 of files on this host, remembered in this process by the file's
// identity and age (device, inode, size, modification time, as make and
// rsync judge a file unchanged): a restore checks that the kernel and initrd
// are the ones its snapshot was made with without reading 9 MB each time.
// Node only.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const known = new Map<string, { stamp: string; sha256: Promise<string> }>();

/** The file's SHA-256 as lowercase hex, read through once per version of the file. */
export async function fileSha256(path: string): Promise<string> {
  const s = await stat(path);
  const stamp = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  const seen = known.get(path);
  if (seen?.stamp === stamp) return seen.sha256;
  // Streamed: no buffer the size of the file, whose fresh pages would each cost a fault.
  const sha256 = new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
  known.set(path, { stamp, sha256 });
  sha256.catch(() => known.delete(path));
  return sha256;
}
