// A worker thread that runs one kernel test run at a time for the pool
// (pool.ts): it receives KernelRunOptions, answers with the result. The
// console is not streamed from a worker; the result carries it whole.

import { parentPort } from 'node:worker_threads';
import { runKernel, type KernelRunOptions } from './kernel-run.ts';

if (!parentPort) throw new Error('kernel-worker.ts runs only as a worker thread of the kernel run pool');
const port = parentPort;
port.on('message', (job: KernelRunOptions) => {
  runKernel(job).then(
    (result) => port.postMessage({ result }),
    (e: Error) => port.postMessage({ error: e.message }),
  );
});
