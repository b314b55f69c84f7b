// The worker's machine service from Node: a worker_thread running
// node-worker.ts (through tsx, so it runs from the sources), and a comlink
// proxy to it, the same proxy type the browser page holds.

import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { MachineService } from './worker/machine-service.ts';

export interface NodeMachine {
  machine: Remote<MachineService>;
  /** Ends the worker thread (and the guest in it). */
  close(): Promise<number>;
}

const ENTRY = new URL('./worker/node-worker.ts', import.meta.url).href;
// Worker threads do not take --import, so the thread registers tsx itself before loading the entry.
const BOOTSTRAP = `import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(ENTRY)}))`;

export function startNodeMachine(): NodeMachine {
  const worker = new Worker(BOOTSTRAP, { eval: true });
  return { machine: wrap<MachineService>(nodeEndpoint(worker)), close: () => worker.terminate() };
}
