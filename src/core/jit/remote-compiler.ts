// Region jobs sent to a compiler in another thread (a Node worker thread:
// thread-compiler.ts; a Web Worker: worker-compiler.ts) and their answers
// matched back: one thread per process or page, started at the first job.
// A thread that cannot start makes the compiles run in the machine's thread
// from then on; one that fails later fails the jobs it holds, and the next
// job starts a new one.

import { inThreadCompiler, type RegionCompiler, type RegionJob, type RegionResult } from './compile-job.ts';

// A job the thread has not answered by then is given up (its code stays
// interpreted): the translator never waits on a thread that died or hangs.
const JOB_DEADLINE_MS = 30_000;

/** What the thread posts back for job `id`. */
export interface CompileAnswer {
  id: number;
  result?: RegionResult;
  error?: string;
}

/** A started thread: jobs go in with `post`. */
export interface CompileThread {
  post(message: { id: number; job: RegionJob }): void;
}

/** Starts a thread that calls `answer` with each answer and `fail` (once) if it fails or ends; throws if none can be made here. */
export type StartThread = (answer: (a: CompileAnswer) => void, fail: (why: string) => void) => CompileThread;

interface Waiting {
  resolve(r: RegionResult): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export function remoteCompiler(start: StartThread): RegionCompiler {
  let thread: CompileThread | undefined;
  // The thread could not start (no compiler script where a bundle put this module): compile here from then on rather than not at all.
  let unavailable = false;
  let answered = false;
  const waiting = new Map<number, Waiting>();
  let nextId = 1;

  const begin = (): CompileThread => {
    let t: CompileThread | undefined;
    const answer = ({ id, result, error }: CompileAnswer) => {
      answered = true;
      const job = waiting.get(id);
      if (!job) return;
      waiting.delete(id);
      clearTimeout(job.timer);
      if (error !== undefined) job.reject(new Error(error));
      else job.resolve(result!);
    };
    const fail = (why: string) => {
      // Every job waiting fails; the next one starts a new thread.
      if (thread === t) thread = undefined;
      if (!answered) unavailable = true;
      for (const [id, job] of waiting) {
        clearTimeout(job.timer);
        job.reject(new Error(`the translator's compile thread ${why}`));
        waiting.delete(id);
      }
    };
    t = start(answer, fail);
    return t;
  };

  return {
    compile(job: RegionJob): Promise<RegionResult> {
      if (!unavailable && !thread) {
        try {
          thread = begin();
        } catch {
          unavailable = true;
        }
      }
      if (unavailable || !thread) return inThreadCompiler.compile(job);
      const id = nextId++;
      const t = thread;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the translator's compile thread did not answer a job within ${JOB_DEADLINE_MS / 1000} s`));
        }, JOB_DEADLINE_MS);
        (timer as { unref?: () => void }).unref?.();
        waiting.set(id, { resolve, reject, timer });
        t.post({ id, job });
      });
    },
  };
}
