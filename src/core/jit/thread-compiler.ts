// Region compilation in a Node worker thread (compile-thread.ts): one thread
// per process, shared by every machine in it, started at the first job and
// keeping the process up only while a job waits on it. In the sources it
// runs through tsx (worker threads do not take --import); a bundle would need
// compile-thread.mjs beside it, and without one compiles in the machine's thread.

import { Worker } from 'node:worker_threads';
import { inThreadCompiler, type RegionCompiler, type RegionJob, type RegionResult } from './compile-job.ts';

// A job the thread has not answered by then is given up (its code stays
// interpreted): the translator never waits on a thread that died or hangs.
const JOB_DEADLINE_MS = 30_000;

interface Waiting {
  resolve(r: RegionResult): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

let worker: Worker | undefined;
// The thread could not start (no compile-thread.mjs where a bundle put this
// module): compile in the machine's thread from then on rather than not at all.
let unavailable = false;
let answered = false;
const waiting = new Map<number, Waiting>();
let nextId = 1;

function start(): Worker {
  const here = import.meta.url;
  const w = here.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(new URL('./compile-thread.ts', here).href)}))`, { eval: true })
    : new Worker(new URL('./compile-thread.mjs', here));
  w.on('message', ({ id, result, error }: { id: number; result?: RegionResult; error?: string }) => {
    answered = true;
    const job = waiting.get(id);
    if (!job) return;
    finished(id);
    clearTimeout(job.timer);
    if (error !== undefined) job.reject(new Error(error));
    else job.resolve(result!);
  });
  const fail = (why: string) => {
    // Every job waiting fails; the next one starts a new thread.
    if (worker === w) worker = undefined;
    if (!answered) unavailable = true;
    for (const [id, job] of waiting) {
      clearTimeout(job.timer);
      job.reject(new Error(`the translator's compile thread ${why}`));
      finished(id);
    }
  };
  w.on('error', (e: Error) => fail(`failed: ${e.message}`));
  w.on('exit', (code) => fail(`exited (${code})`));
  // After the listeners: adding a 'message' listener refs the worker's port
  // again, which kept a process up after its last machine had stopped.
  w.unref();
  return w;
}

/** Job `id` is answered or given up: with none left waiting, the thread no longer keeps the process up. */
function finished(id: number): void {
  waiting.delete(id);
  if (waiting.size === 0) worker?.unref();
}

export const threadCompiler: RegionCompiler = {
  compile(job: RegionJob): Promise<RegionResult> {
    if (unavailable) return inThreadCompiler.compile(job);
    worker ??= start();
    const id = nextId++;
    const w = worker;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        finished(id);
        reject(new Error(`the translator's compile thread did not answer a job within ${JOB_DEADLINE_MS / 1000} s`));
      }, JOB_DEADLINE_MS);
      timer.unref?.();
      // A job waiting keeps the process up until it is answered (or given up).
      if (waiting.size === 0) w.ref();
      waiting.set(id, { resolve, reject, timer });
      w.postMessage({ id, job });
    });
  },
};
