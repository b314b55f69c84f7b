// Region compilation in a Node worker thread (compile-thread.ts): one thread
// per process, shared by every machine in it, started at the first job and
// not keeping the process alive. In the sources it runs through tsx (worker
// threads do not take --import); a bundle would need compile-thread.mjs
// beside it, and without one compiles in the machine's thread.

import { Worker } from 'node:worker_threads';
import type { RegionCompiler } from './compile-job.ts';
import { remoteCompiler, type CompileAnswer } from './remote-compiler.ts';

export const threadCompiler: RegionCompiler = remoteCompiler((answer, fail) => {
  const here = import.meta.url;
  const w = here.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(new URL('./compile-thread.ts', here).href)}))`, { eval: true })
    : new Worker(new URL('./compile-thread.mjs', here));
  w.unref();
  w.on('message', (a: CompileAnswer) => answer(a));
  w.on('error', (e: Error) => fail(`failed: ${e.message}`));
  w.on('exit', (code) => fail(`exited (${code})`));
  return { post: (m) => w.postMessage(m) };
});
