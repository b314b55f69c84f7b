// virtio-9p (virtio 1.x section 5.11 of the 1.2 draft; Linux's
// net/9p/trans_virtio.c is the driver): one request queue carrying 9P
// messages, and a mount tag in the configuration space that the guest names
// in `mount -t 9p -o trans=virtio TAG DIR`.
//
// Each chain is one T-message in its readable buffers (Linux puts a large
// write's data in buffers after the header, the size field counting both)
// and room for the R-message in its writable ones (a large read's data
// after an 11-byte header buffer), so both are plain byte streams here. The
// file server behind the device is synchronous (node:fs in Node), so a
// request completes while the notify write is handled, nothing is in flight
// between two guest instructions, and the device's state record is empty.
// The server's open files are host state, not in a snapshot.

import type { StateRecord } from '../../state/records.ts';
import { serveAll, type VirtioContext, type VirtioDevice } from './mmio-transport.ts';
import { total } from './virtqueue.ts';

/** Answers 9P messages. Never throws for anything the guest sent. */
export interface NinePServer {
  /** The R-message for T-message `request`, at most `room` bytes long. */
  handle(request: Uint8Array, room: number): Uint8Array;
}

/** VIRTIO_9P_MOUNT_TAG: the configuration space holds the tag. */
const F_MOUNT_TAG = 1n << 0n;
/** Linux's trans_virtio uses 128 descriptors per request at most. */
const QUEUE_SIZE = 128;
/** The tag's length field is 16 bits, but Linux reads it into a page at most; keep it short. */
const MAX_TAG = 64;

export class Virtio9p implements VirtioDevice {
  readonly deviceId = 9;
  readonly stateVersion = 1;
  readonly queueSizes = [QUEUE_SIZE];
  readonly features = F_MOUNT_TAG;
  /** Requests answered, for the inspector. */
  readonly stats = { requests: 0 };
  private ctx!: VirtioContext;
  private readonly config: Uint8Array;

  constructor(
    readonly tag: string,
    private readonly server: NinePServer,
  ) {
    const bytes = new TextEncoder().encode(tag);
    if (!bytes.length || bytes.length > MAX_TAG) throw new Error(`virtio-9p: a mount tag is 1 to ${MAX_TAG} bytes, not "${tag}"`);
    this.config = new Uint8Array(2 + bytes.length);
    new DataView(this.config.buffer).setUint16(0, bytes.length, true);
    this.config.set(bytes, 2);
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  configRead(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | (this.config[offset + i] ?? 0);
    return v >>> 0;
  }

  configWrite(): void {
    // Read-only.
  }

  reset(): void {}

  notify(index: number): void {
    const q = this.ctx.queue(index);
    serveAll(this.ctx, index, (chain) => {
      const reply = this.server.handle(q.read(chain, 0, total(chain.readable)), total(chain.writable));
      let at = 0;
      this.stats.requests++;
      return q.writeInto(chain, 0, reply.length, (to) => {
        to.set(reply.subarray(at, at + to.length));
        at += to.length;
      });
    });
  }

  saveState(): StateRecord {
    return {};
  }

  loadState(): void {}
}
