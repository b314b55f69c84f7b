// Loading the compiled core in Node.

import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { Core, type CoreHost } from './core.ts';
import { projectPath } from '../paths.ts';

const WASM = projectPath('build', 'core.wasm');

let cached: WebAssembly.Module | undefined;

/** The compiled core module (built by `npm install` / `npm run build:asm`). */
export function coreModule(): WebAssembly.Module {
  if (!cached) {
    if (!existsSync(WASM)) throw new Error(`${WASM} is missing: run "npm run build:asm" (npm install does it)`);
    cached = new WebAssembly.Module(readFileSync(WASM));
  }
  return cached;
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
