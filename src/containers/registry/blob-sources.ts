// Where blobs are known to be, per registry: the repositories they were
// pulled from or pushed to ($GLASSBOX_HOME/blob-sources.json). A push asks
// the registry to mount a blob from one of these instead of uploading it, as
// Docker does with its distribution metadata. Only a hint: a stale entry
// costs one refused mount, after which the blob is uploaded.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

type Sources = Record<string, string[]>;

/** Repositories remembered per blob, newest first. */
const KEEP = 5;

export class BlobSources {
  private readonly path: string;

  constructor(home: string) {
    this.path = join(home, 'blob-sources.json');
  }

  private read(): Sources {
    try {
      return existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as Sources) : {};
    } catch {
      return {}; // a damaged hint file only costs uploads
    }
  }

  /** Repositories of `domain` that hold the blob. */
  repositories(domain: string, digest: string): string[] {
    return (this.read()[digest] ?? []).filter((r) => r.startsWith(domain + '/')).map((r) => r.slice(domain.length + 1));
  }

  /** Records that these blobs are in DOMAIN/REPOSITORY. */
  remember(domain: string, repository: string, digests: Iterable<string>): void {
    const sources = this.read();
    const where = `${domain}/${repository}`;
    for (const d of digests) sources[d] = [where, ...(sources[d] ?? []).filter((r) => r !== where)].slice(0, KEEP);
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(sources));
    renameSync(tmp, this.path);
  }
}
