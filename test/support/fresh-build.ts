// Before any tier runs: the built core and the bundled CLI match the sources.
// Tests load build/core.wasm and run the CLI as users do, through
// build/glassbox.mjs, so after an edit in asm/ or src/ a stale build would
// test yesterday's code and pass or fail for the wrong reason. Whatever is
// older than a source it is built from is rebuilt here, once per run.

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time of a file under `dir` (0 when there is none). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

function builtAt(file: string): number {
  try {
    return statSync(join(ROOT, file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Rebuilds with `npm run SCRIPT` when `output` is older than any file under `inputs`. */
function refresh(script: string, output: string, inputs: string[]): void {
  const source = Math.max(...inputs.map(newest));
  if (builtAt(output) >= source) return;
  process.stderr.write(`test setup: ${output} is older than its sources; npm run ${script}\n`);
  execFileSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export default function setup(): void {
  // The core's opcode tables are generated from src/isa, so it depends on both.
  refresh('build:asm', 'build/core.wasm', ['asm', 'src/isa']);
  refresh('build:cli', 'build/glassbox.mjs', ['src']);
}
