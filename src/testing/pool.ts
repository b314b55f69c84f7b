// Many kernel runs at once: a pool of worker threads, each running one
// machine at a time (a machine is single-threaded, so N workers keep N cores
// busy). Jobs start in order as workers come free; results come back in the
// order of the jobs.

import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KernelRunOptions, KernelRunResult } from './kernel-run.ts';

/**
 * Where the worker's code is: beside this module, as TypeScript when running
 * from the sources (the thread registers tsx itself: workers do not take
 * --import), or as the bundle `npm run build:cli` writes beside the CLI's.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./kernel-worker.ts', here).href);
    return new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${entry}))`, { eval: true });
  }
  return new Worker(new URL('./kernel-worker.mjs', here));
}

type Answer = { result: KernelRunResult } | { error: string };

/** Runs `jobs` on up to `parallel` machines at once; `onDone` hears of each as it finishes. */
export async function runKernelPool(jobs: readonly KernelRunOptions[], parallel = cpus().length, onDone?: (index: number, r: KernelRunResult | Error) => void): Promise<(KernelRunResult | Error)[]> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`jobs must be a whole number from 1 up, not ${parallel}`);
  const results: (KernelRunResult | Error)[] = new Array(jobs.length);
  let next = 0;
  const drive = async () => {
    let worker = startWorker();
    try {
      while (next < jobs.length) {
        const index = next++;
        const { onConsole: _, ...job } = jobs[index]; // functions cannot cross to a thread
        const answer = await new Promise<Answer & { broken?: boolean }>((resolve) => {
          const onError = (e: Error) => resolve({ error: `the worker thread failed: ${e.message}`, broken: true });
          worker.once('error', onError);
          worker.once('message', (a: Answer) => {
            worker.off('error', onError);
            resolve(a);
          });
          worker.postMessage(job);
        });
        if (answer.broken) {
          void worker.terminate();
          worker = startWorker();
        }
        results[index] = 'result' in answer ? answer.result : new Error(answer.error);
        onDone?.(index, results[index]);
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, drive));
  return results;
}
