// Entry point of the page's Web Worker: the machine service, with the guest
// files and the busybox image fetched from where the page is served, and no
// way out of the page for the guest's network (a page has no sockets).

import { expose } from 'comlink';
import { browserPlatform } from '../../api/browser-platform.ts';
import { fetchWithProgress } from '../../api/fetch-progress.ts';
import { LayoutSource } from '../../containers/store/layout-source.ts';
import { browserOutside } from '../../net/browser-outside.ts';
import { MachineService } from './machine-service.ts';

/** The page's directory: the worker script sits next to index.html. */
const base = new URL('./', self.location.href);
const IMAGE_DIR = 'guest/oci/busybox/';
const images = new LayoutSource((path) => fetchWithProgress(new URL(IMAGE_DIR + path, base).href, () => {}), `the page's ${IMAGE_DIR}`);

expose(new MachineService({ platform: (onProgress) => browserPlatform(base, onProgress), images, outside: browserOutside() }));
