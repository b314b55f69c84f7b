// A Web Worker that runs one kernel test run at a time for the browser's
// pool (browser-pool.ts): it receives a job (KernelRunOptions, with kernel
// and initrd as URLs or bytes, and the base URL serving core.wasm), boots the
// machine on the browser platform and answers with the watched run's result.

import { browserPlatform } from '../api/browser-platform.ts';
import { Machine } from '../api/machine.ts';
import { DEFAULT_CMDLINE } from '../boot/guest-defaults.ts';
import { watchedRun } from './watched-run.ts';
import type { BrowserKernelJob } from './browser-pool.ts';

const scope = self as unknown as { onmessage: ((e: MessageEvent<BrowserKernelJob>) => void) | null; postMessage(msg: unknown): void };

scope.onmessage = (e) => {
  const { base, ...job } = e.data;
  const options = {
    kernel: job.kernel,
    initrd: job.initrd,
    cmdline: job.append ? `${DEFAULT_CMDLINE} ${job.append}` : DEFAULT_CMDLINE,
    memoryMiB: job.memoryMiB,
    clock: 'virtual' as const,
  };
  Machine.create(options, browserPlatform(base))
    .then((m) => watchedRun(m, job, false))
    .then(
      (result) => scope.postMessage({ result }),
      (err: Error) => scope.postMessage({ error: err.message }),
    );
};
