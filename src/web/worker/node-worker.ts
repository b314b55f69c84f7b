// Entry point of the same service in a Node worker_thread, for Node programs
// and the tests: comlink over the thread's parent port.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MachineService } from './machine-service.ts';

if (!parentPort) throw new Error('node-worker.ts runs as a worker_thread (new Worker(...)), not as a main program');
expose(new MachineService(), nodeEndpoint(parentPort));
