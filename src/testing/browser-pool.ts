// Many kernel runs at once in a browser tab: the job pool (job-pool.ts) on
// Web Workers, each running browser-kernel-worker.ts, as `--jobs` does with
// worker threads in Node. Kernel and initrd are URLs (relative to `base`)
// or bytes; the default guest's files are the page's guest/ directory.

import type { KernelRunOptions, KernelRunResult } from './watched-run.ts';
import { runJobs, type JobAnswer, type JobWorker } from './job-pool.ts';

/** A job as a browser worker takes it: the run's options (no boot cache, no console callback) and where core.wasm is served. */
export type BrowserKernelJob = Omit<KernelRunOptions, 'onConsole' | 'bootCache'> & { base: string };

export interface BrowserPoolOptions {
  /** Machines at once (default: the browser's hardwareConcurrency). */
  parallel?: number;
  /** The URL serving core.wasm and guest/ (default: the page's directory). */
  base?: string | URL;
  /** The worker script (default: browser-kernel-worker.mjs beside this module). */
  workerUrl?: string | URL;
  onDone?(index: number, r: KernelRunResult | Error): void;
}

function webWorker(url: string | URL, base: string): JobWorker {
  const worker = new Worker(url, { type: 'module' });
  return {
    run: (job) =>
      new Promise((resolve) => {
        worker.onerror = (e) => resolve({ error: `the worker failed: ${e.message}`, broken: true });
        worker.onmessage = (e: MessageEvent<JobAnswer>) => resolve(e.data);
        const { bootCache: _, ...rest } = job;
        worker.postMessage({ ...rest, base } satisfies BrowserKernelJob);
      }),
    terminate: () => worker.terminate(),
  };
}

/** Runs `jobs` on up to `o.parallel` Web Workers at once, a machine each; results in the order of the jobs. */
export function runKernelPoolInBrowser(jobs: readonly KernelRunOptions[], o: BrowserPoolOptions = {}): Promise<(KernelRunResult | Error)[]> {
  const base = new URL(o.base ?? './', location.href).href;
  const url = o.workerUrl ?? new URL('./browser-kernel-worker.mjs', import.meta.url);
  return runJobs(() => webWorker(url, base), jobs, o.parallel ?? navigator.hardwareConcurrency, o.onDone);
}
