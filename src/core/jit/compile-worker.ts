// The compile Web Worker (worker-compiler.ts): runs region jobs off the
// machine's worker and posts the compiled modules back (a WebAssembly.Module
// crosses workers without being compiled again). Bundled by scripts/web.ts
// as compile-worker.js next to the page's worker (src/web/worker/browser-worker.ts).

import { inThreadCompiler, type RegionJob } from './compile-job.ts';

const scope = self as unknown as { onmessage: ((e: MessageEvent<{ id: number; job: RegionJob }>) => void) | null; postMessage(msg: unknown): void };

scope.onmessage = ({ data: { id, job } }) => {
  inThreadCompiler.compile(job).then(
    (result) => scope.postMessage({ id, result }),
    (e: unknown) => scope.postMessage({ id, error: String(e) }),
  );
};
