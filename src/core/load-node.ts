// Loading the compiled core in Node.

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

export function createCore(ramBytes: number, host: Partial<CoreHost> = {}): Core {
  return Core.create(coreModule(), ramBytes, host);
}
