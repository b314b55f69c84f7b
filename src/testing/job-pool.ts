// Many kernel runs at once, whatever the threads are: worker_threads in Node
// (pool.ts), Web Workers in a browser (browser-pool.ts). Each worker runs one
// machine at a time (a machine is single-threaded, so N workers keep N cores
// busy). Jobs start in order as workers come free; results come back in the
// order of the jobs. A worker that breaks is replaced and its job fails alone.

import type { KernelRunOptions, KernelRunResult } from './watched-run.ts';

/** What a worker answers for one job. */
export type JobAnswer = { result: KernelRunResult } | { error: string };

/** One thread as the pool drives it. */
export interface JobWorker {
  /** Sends a job and resolves with the answer, or with an error that breaks the worker. */
  run(job: Omit<KernelRunOptions, 'onConsole'>): Promise<JobAnswer & { broken?: boolean }>;
  terminate(): unknown;
}

/** Runs `jobs` on up to `parallel` workers made by `start`; `onDone` hears of each as it finishes. */
export async function runJobs(
  start: () => JobWorker,
  jobs: readonly KernelRunOptions[],
  parallel: number,
  onDone?: (index: number, r: KernelRunResult | Error) => void,
): Promise<(KernelRunResult | Error)[]> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`jobs must be a whole number from 1 up, not ${parallel}`);
  const results: (KernelRunResult | Error)[] = new Array(jobs.length);
  let next = 0;
  const drive = async () => {
    let worker = start();
    try {
      while (next < jobs.length) {
        const index = next++;
        const { onConsole: _, ...job } = jobs[index]!; // functions cannot cross to a thread
        const answer = await worker.run(job);
        if (answer.broken) {
          void worker.terminate();
          worker = start();
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
