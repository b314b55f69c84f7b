// The generators' way to write a committed file: only when its text changes,
// so a build that regenerates the same text leaves the file (and its mtime,
// which later build steps compare) alone.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `text` to `path` (making its directory) unless the file already holds it; says so when it writes. */
export function writeIfChanged(path: string, text: string): void {
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* first build */
  }
  if (old === text) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
