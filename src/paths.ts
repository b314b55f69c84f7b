// Where glassbox's own files are, whether it runs from its sources (tsx,
// vitest) or from the bundled CLI in build/.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding glassbox's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'glassbox') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the glassbox package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const projectPath = (...parts: string[]): string => join(packageRoot(), ...parts);
