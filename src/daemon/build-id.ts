// Which glassbox a process runs: the sha256 of the file holding this code
// (the CLI bundle, once installed). An engine started before an upgrade keeps
// running the old code; a client and an engine whose builds differ would
// speak different protocols and views, so they notice and say so.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let id: string | undefined;

export function buildId(): string {
  id ??= createHash('sha256')
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex')
    .slice(0, 12);
  return id;
}
