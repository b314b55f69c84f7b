// Many kernel runs at once in Node: the job pool (job-pool.ts) on
// worker_threads, each thread running kernel-worker.ts.

import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KernelRunOptions, KernelRunResult } from './kernel-run.ts';
import { runJobs, type JobAnswer, type JobWorker } from './job-pool.ts';

/**
 * Where the worker's code is: beside this module, as TypeScript when running
 * from the sources (the thread registers tsx itself: workers do not take
 * --import), or as the bundle `npm run build:cli` writes beside the CLI's.
 */
function startThread(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./kernel-worker.ts', here).href);
    return new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${entry}))`, { eval: true });
  }
  return new Worker(new URL('./kernel-worker.mjs', here));
}

function threadWorker(): JobWorker {
  const worker = startThread();
  return {
    run: (job) =>
      new Promise((resolve) => {
        const onError = (e: Error) => resolve({ error: `the worker thread failed: ${e.message}`, broken: true });
        worker.once('error', onError);
        worker.once('message', (a: JobAnswer) => {
          worker.off('error', onError);
          resolve(a);
        });
        worker.postMessage(job);
      }),
    terminate: () => worker.terminate(),
  };
}

/** Runs `jobs` on up to `parallel` machines at once, one worker thread each; `onDone` hears of each as it finishes. */
export function runKernelPool(
  jobs: readonly KernelRunOptions[],
  parallel = cpus().length,
  onDone?: (index: number, r: KernelRunResult | Error) => void,
): Promise<(KernelRunResult | Error)[]> {
  return runJobs(threadWorker, jobs, parallel, onDone);
}
