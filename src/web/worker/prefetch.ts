// A Platform whose core and files start loading before the machine is made:
// the page's worker begins compiling the core and downloading the snapshot
// as soon as its script runs, while the page's own script still loads and
// the site's disk opens, so the machine is made the moment both are in. A
// file loaded early is handed to the first read of it (and then forgotten:
// a later read, a reboot's, loads it again); the progress of a download that
// began before anyone listened is told to the listener that comes later.

import type { FetchProgress } from '../../api/browser-platform.ts';
import type { Platform } from '../../api/types.ts';
import { InflateAhead } from './inflate-ahead.ts';
import { webCodec } from '../../snapshot/codec.ts';

/** Progress reports at most this often (each is a message to the page), and the last one always. */
const PROGRESS_EVERY_MS = 50;

export class Prefetching {
  readonly platform: Platform;
  private listener: FetchProgress = () => {};
  private readonly last = new Map<string, [number, number]>();
  private readonly early = new Map<string, Promise<Uint8Array>>();
  private core?: Promise<WebAssembly.Module>;
  private told = 0;
  /** The snapshot downloading early, and its first chunks inflated as they arrive. */
  private ahead?: { file: string; inflating: InflateAhead };
  private readonly inner: Platform;

  /** `make` gives the platform that does the loading, reporting its downloads' bytes to the FetchProgress it is given. */
  constructor(make: (onProgress: FetchProgress) => Platform) {
    const inner = make((file, loaded, total, received) => {
      if (received && file === this.ahead?.file) this.ahead.inflating.received(received);
      this.progress(file, loaded, total);
    });
    const codec = inner.codec ?? webCodec;
    const inflate = codec.decompressSync;
    this.platform = {
      ...inner,
      codec: inflate ? { ...codec, decompressSync: (z) => this.ahead?.inflating.take(z) ?? inflate(z) } : codec,
      coreModule: () => (this.core ??= inner.coreModule()),
      read: (ref, what) => {
        const early = this.early.get(ref);
        this.early.delete(ref);
        return early ?? inner.read(ref, what);
      },
    };
    this.inner = inner;
  }

  /** Starts compiling the core and, if given, downloading the snapshot `snapshot`, before the machine asks for them. */
  start(snapshot?: string): void {
    // Failures are the machine's to report when it asks; nobody may be asking yet.
    this.platform.coreModule().catch(() => {});
    if (snapshot && !this.early.has(snapshot)) {
      this.ahead = { file: snapshot, inflating: new InflateAhead() };
      const read = this.inner.read(snapshot, 'snapshot');
      read.catch(() => {});
      this.early.set(snapshot, read);
    }
  }

  /** Sends the downloads' progress to `onProgress` from now on, starting with where each stands. */
  listen(onProgress: FetchProgress): void {
    this.listener = onProgress;
    for (const [file, [loaded, total]] of this.last) onProgress(file, loaded, total);
  }

  private progress(file: string, loaded: number, total: number): void {
    this.last.set(file, [loaded, total]);
    const now = performance.now();
    if (loaded < total && now - this.told < PROGRESS_EVERY_MS) return;
    this.told = now;
    this.listener(file, loaded, total);
  }
}
