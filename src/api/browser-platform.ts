// The Machine API's Platform in a browser page or its worker: the core
// compiled while it streams, the guest files fetched (reporting bytes as they
// arrive) from URLs relative to where the page is served. With it,
// `Machine.create(opts, browserPlatform(base))` is the call Node makes with
// its own platform.

import { KernelImageError } from '../boot/bzimage.ts';
import { loadCoreModule } from '../core/load-browser.ts';
import { fetchWithProgress } from './fetch-progress.ts';
import type { Platform } from './types.ts';

/** Bytes of `file` received so far, of `total` (0 when the server does not say), and a view of them (valid during the call only). */
export type FetchProgress = (file: string, loaded: number, total: number, received?: Uint8Array) => void;

export function browserPlatform(base: string | URL, onProgress: FetchProgress = () => {}): Platform {
  return {
    coreModule: () => loadCoreModule(new URL('core.wasm', base)),
    async read(ref, what) {
      try {
        return await fetchWithProgress(new URL(ref, base).href, (loaded, total, received) => onProgress(ref, loaded, total, received));
      } catch (e) {
        throw new KernelImageError(`${what} ${ref}: ${(e as Error).message}`);
      }
    },
    defaultKernel: 'guest/bzImage',
    defaultInitrd: 'guest/initramfs.cpio.gz',
    // A tab resuming the shipped snapshot reaches its prompt without the 9 MB of kernel and initrd.
    guestFilesOnReboot: true,
  };
}
