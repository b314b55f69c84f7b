// The compile thread (Node worker_threads): runs region jobs off the main
// thread, so the guest's thread spends nothing on translating, and sends the
// compiled modules back (a WebAssembly.Module crosses threads without being
// compiled again). Started by thread-compiler.ts.

import { parentPort } from 'node:worker_threads';
import { inThreadCompiler, type RegionJob } from './compile-job.ts';

if (!parentPort) throw new Error("compile-thread.ts runs only as the translator's worker thread (thread-compiler.ts)");
const port = parentPort;
port.on('message', ({ id, job }: { id: number; job: RegionJob }) => {
  inThreadCompiler.compile(job).then(
    (result) => port.postMessage({ id, result }),
    (e: unknown) => port.postMessage({ id, error: String(e) }),
  );
});
