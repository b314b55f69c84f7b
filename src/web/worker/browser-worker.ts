// Entry point of the page's Web Worker: the machine service, with the guest
// files and the busybox image fetched from where the page is served, the
// site's lasting disk (OPFS or IndexedDB), and no way out of the page for the
// guest's network (a page has no sockets).

import { expose } from 'comlink';
import { browserPlatform, type FetchProgress } from '../../api/browser-platform.ts';
import type { Platform } from '../../api/types.ts';
import { fetchWithProgress } from '../../api/fetch-progress.ts';
import { LayoutSource } from '../../containers/store/layout-source.ts';
import { browserOutside } from '../../net/browser-outside.ts';
import { MachineService } from './machine-service.ts';
import { openPageDisk } from './page-disk.ts';
import { mark } from '../timeline.ts';
import { BOOT_PARAM, SHIPPED_SNAPSHOT } from '../shipped.ts';

mark('worker script');

/** The page's directory: the worker script sits next to index.html. */
const base = new URL('./', self.location.href);
const IMAGE_DIR = 'guest/oci/busybox/';
const images = new LayoutSource((path) => fetchWithProgress(new URL(IMAGE_DIR + path, base).href, () => {}), `the page's ${IMAGE_DIR}`);

/** The browser's platform, marking when the core is compiled and each file is in (the page's timeline). */
function timedPlatform(onProgress: FetchProgress): Platform {
  const p = browserPlatform(base, onProgress);
  return {
    ...p,
    coreModule: () => p.coreModule().finally(() => mark('core compiled')),
    read: (ref, what) => p.read(ref, what).finally(() => mark(`${ref} read`)),
  };
}

const service = new MachineService({ platform: timedPlatform, images, outside: browserOutside(), disk: openPageDisk });
// The core compiles and the booted guest downloads while the page's own script still loads (unless the page boots instead).
service.prefetch(new URLSearchParams(self.location.search).has(BOOT_PARAM) ? undefined : SHIPPED_SNAPSHOT);
expose(service);
