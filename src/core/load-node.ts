// Loading the compiled core in Node.

import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Core, type CoreHost } from './core.ts';
import { projectPath } from '../paths.ts';
import { enableBranchHints } from './jit/branch-hints-node.ts';

const WASM = projectPath('build', 'core.wasm');

let cached: WebAssembly.Module | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

const missing = () => new Error(`${WASM} is missing: run "npm run build:asm" (npm install does it)`);

/** The compiled core module (built by `npm install` / `npm run build:asm`). */
export function coreModule(): WebAssembly.Module {
  enableBranchHints();
  if (!cached) {
    if (!existsSync(WASM)) throw missing();
    cached = new WebAssembly.Module(readFileSync(WASM));
  }
  return cached;
}

/**
 * The compiled core module, compiled off the main thread: a restore reads
 * and checks its snapshot meanwhile (coreModule() would hold the thread for
 * the whole compile first).
 */
export function coreModuleAsync(): Promise<WebAssembly.Module> {
  enableBranchHints();
  if (cached) return Promise.resolve(cached);
  compiling ??= readFile(WASM)
    .catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? missing() : e;
    })
    .then((bytes) => WebAssembly.compile(bytes))
    .then((m) => (cached ??= m));
  compiling.catch(() => (compiling = undefined));
  return compiling;
}

let build: string | undefined;

/** The SHA-256 of the compiled core (snapshots record which build made them). */
export function coreBuild(): string {
  build ??= createHash('sha256').update(readFileSync(WASM)).digest('hex');
  return build;
}

export function createCore(ramBytes: number, host: Partial<CoreHost> = {}): Core {
  return Core.create(coreModule(), ramBytes, host);
}
