// One region's compilation as a job with no shared state: the page's bytes
// in, a compiled module out. The translator runs it in its own thread when
// the platform gives it nothing better (region-compiler.ts), and a compile
// thread runs it off the main thread where there is one (compile-thread.ts).

import { buildModule } from './wasm.ts';
import { translate, GLOBALS, FUNCS, LOCALS, type CoreLayout } from './translate.ts';

export interface RegionJob {
  /** The page's 4096 bytes, copied when the job was made: a write after that drops the job's result. */
  page: Uint8Array;
  entry: number;
  layout: CoreLayout;
  /** CPL 3 (the TLB permission compiled accesses check). */
  user: boolean;
  /** Page offsets of blocks other regions of the page have: left out of this one. */
  compiled: number[];
}

export interface RegionResult {
  /** The compiled module, or null when there is nothing to translate at the entry. */
  module: WebAssembly.Module | null;
  /** Page offsets of the region's blocks, by index. */
  entries: number[];
  /** Bytes of wasm. */
  bytes: number;
}

/** Whatever compiles jobs: in this thread, or in another. Rejects when a module does not compile (a translator bug). */
export interface RegionCompiler {
  compile(job: RegionJob): Promise<RegionResult>;
}

/** The wasm of the job's region, or null when there is nothing to translate at its entry. */
export function regionWasm(job: RegionJob): { wasm: Uint8Array; entries: number[] } | null {
  const t = translate(job.page, job.entry, job.layout, job.user, new Set(job.compiled));
  return t && { wasm: buildModule(GLOBALS, FUNCS, LOCALS, t.body, t.hints), entries: t.entries };
}

/** Translates in this thread; the engine compiles in the background. */
export const inThreadCompiler: RegionCompiler = {
  async compile(job) {
    const r = regionWasm(job);
    if (!r) return { module: null, entries: [], bytes: 0 };
    return { module: await WebAssembly.compile(r.wasm as BufferSource), entries: r.entries, bytes: r.wasm.length };
  },
};
