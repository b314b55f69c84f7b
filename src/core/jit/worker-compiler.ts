// Region compilation in a Web Worker (compile-worker.ts), the browser's
// counterpart of thread-compiler.ts: the machine's worker then spends nothing
// on translating, which in a tab (colder JavaScript than Node's, the page's
// own work beside it) took 13 % of its time on the shell loop (9.2 s of 70). The
// worker posts back the compiled WebAssembly.Module, which the machine
// instantiates without compiling again. Should the script at `url` not load,
// compiles stay in the machine's worker.

import type { RegionCompiler } from './compile-job.ts';
import { remoteCompiler, type CompileAnswer } from './remote-compiler.ts';

export function workerCompiler(url: URL): RegionCompiler {
  return remoteCompiler((answer, fail) => {
    const w = new Worker(url, { type: 'module' });
    w.onmessage = (e: MessageEvent<CompileAnswer>) => answer(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      fail(`failed: ${e.message || `${url} did not load`}`);
    };
    w.onmessageerror = () => fail('sent an answer that could not be read');
    return { post: (m) => w.postMessage(m) };
  });
}
