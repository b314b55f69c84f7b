// Entry point of the same service in a Node worker_thread, for Node programs
// and the tests: comlink over the thread's parent port, the guest files from
// Node's platform and the busybox image read from guest-images/dist as the
// page fetches it, and the guest's network out through the host's sockets.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { nodePlatform } from '../../api/index.ts';
import { BASE_IMAGE_DIR } from '../../containers/store/image-store.ts';
import { LayoutSource } from '../../containers/store/layout-source.ts';
import { nodeOutside } from '../../net/node-outside.ts';
import { MachineService } from './machine-service.ts';

if (!parentPort) throw new Error('node-worker.ts runs as a worker_thread (new Worker(...)), not as a main program');
const images = new LayoutSource(async (path) => new Uint8Array(await readFile(join(BASE_IMAGE_DIR, path))), BASE_IMAGE_DIR);
expose(new MachineService({ platform: () => nodePlatform, images, outside: nodeOutside() }), nodeEndpoint(parentPort));
