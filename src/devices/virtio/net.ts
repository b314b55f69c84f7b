// virtio-net (virtio 1.x section 5.1): an Ethernet NIC on two queues, receive
// (0) and transmit (1). Each buffer starts with the 12-byte virtio_net_hdr;
// no offloads are offered (no checksum, no segmentation, no mergeable
// buffers), so the header is all zeros but num_buffers = 1, and every frame
// the guest sends is whole and checksummed.
//
// The other end is a NetBackend (the user-mode network in Node, a relay in a
// browser). Frames the backend delivers wait in a bounded queue until the
// driver has posted receive buffers; what overflows it is dropped and
// counted, as a NIC's full ring drops, so a flood can never grow the host's
// memory. The queue is device state: a snapshot keeps the frames in it.

import { loadFields, saveFields, StateError, type StateRecord } from '../../state/records.ts';
import type { VirtioContext, VirtioDevice } from './mmio-transport.ts';
import { total, VirtqueueError } from './virtqueue.ts';

/** The host end of the link: it takes the guest's frames and hands frames back through `attach`'s callback. */
export interface NetBackend {
  /** A frame the guest sent (Ethernet, no FCS). */
  receive(frame: Uint8Array): void;
  /** Where the backend delivers frames for the guest. */
  deliver: (frame: Uint8Array) => void;
  /** Whether the guest may be waiting on the backend (a lookup, a connection): the machine's idle time follows the wall clock meanwhile. */
  hostWaiting?(): boolean;
  /** The backend's own counters (flows, drops), for the inspector. */
  stats?(): Record<string, number>;
}

const HEADER = 12;
const RX = 0, TX = 1;
const F_MAC = 1n << 5n;
const F_STATUS = 1n << 16n;
const LINK_UP = 1;
const QUEUE_SIZE = 256;
/** Frames waiting for receive buffers before new ones are dropped. */
export const RX_BACKLOG = 512;
/** The largest frame taken from the guest: a 1500-byte MTU frame, with room for a VLAN tag. */
const MAX_FRAME = 1518;

/** Frames and bytes each way, and frames dropped (receive backlog full, a frame the guest's buffer could not hold). */
export interface NetStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
}

const STATS = ['rxFrames', 'rxBytes', 'txFrames', 'txBytes', 'rxDropped', 'txDropped'] as const;

export class VirtioNet implements VirtioDevice {
  readonly deviceId = 1;
  readonly stateVersion = 1;
  readonly queueSizes = [QUEUE_SIZE, QUEUE_SIZE];
  readonly features = F_MAC | F_STATUS;
  readonly stats: NetStats = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, txDropped: 0 };
  /** Sees every frame the card sends and every frame it hands the guest (a packet capture); not state. */
  tap: ((frame: Uint8Array) => void) | null = null;
  private ctx!: VirtioContext;
  private backlog: Uint8Array[] = [];

  /**
   * `mac`: the NIC's address; `activity`: called when a frame reached the
   * guest from outside a guest access (the host's event loop), so a machine
   * idling for input wakes up.
   */
  constructor(readonly mac: Uint8Array, private readonly backend: NetBackend, private readonly activity: () => void = () => {}) {
    if (mac.length !== 6) throw new Error('virtio-net: a MAC address is 6 bytes');
    backend.deliver = (frame) => this.fromBackend(frame);
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  configRead(offset: number, size: number): number {
    const config = [...this.mac, LINK_UP, 0];
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (config[offset + i] ?? 0);
    return v;
  }

  configWrite(): void {
    // The MAC is writable only with VIRTIO_NET_F_CTRL_MAC_ADDR, which is not offered.
  }

  reset(): void {
    this.backlog = [];
  }

  notify(index: number): void {
    if (index === TX) this.transmit();
    else if (index === RX) this.flush();
  }

  /** Frames waiting for receive buffers. */
  get waiting(): number {
    return this.backlog.length;
  }

  private transmit(): void {
    const q = this.ctx.queue(TX);
    let done = 0;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const length = total(chain.readable);
      if (length < HEADER) throw new VirtqueueError('a transmit buffer shorter than its virtio_net_hdr');
      const frame = q.read(chain, HEADER, Math.min(length - HEADER, MAX_FRAME));
      q.push(chain, 0);
      done++;
      if (length - HEADER > MAX_FRAME) {
        this.stats.txDropped++;
        continue;
      }
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
      this.tap?.(frame);
      this.backend.receive(frame);
    }
    if (done) this.ctx.usedBuffers();
  }

  private fromBackend(frame: Uint8Array): void {
    if (this.backlog.length >= RX_BACKLOG) {
      this.stats.rxDropped++;
      return;
    }
    this.backlog.push(frame);
    if (this.flush()) this.activity();
  }

  /** Moves waiting frames into posted receive buffers; true when any went in. */
  private flush(): boolean {
    if (!this.ctx || !this.backlog.length) return false;
    const q = this.ctx.queue(RX);
    let done = 0;
    try {
      while (this.backlog.length) {
        const chain = q.pop();
        if (!chain) break;
        const frame = this.backlog.shift()!;
        done++;
        if (total(chain.writable) < HEADER + frame.length) {
          this.stats.rxDropped++;
          q.push(chain, 0);
          continue;
        }
        const header = new Uint8Array(HEADER);
        header[10] = 1; // num_buffers
        q.writeInto(chain, 0, HEADER, (to) => to.set(header.subarray(0, to.length)));
        let at = 0;
        q.writeInto(chain, HEADER, frame.length, (to) => {
          to.set(frame.subarray(at, at + to.length));
          at += to.length;
        });
        q.push(chain, HEADER + frame.length);
        this.tap?.(frame);
        this.stats.rxFrames++;
        this.stats.rxBytes += frame.length;
      }
    } catch (e) {
      // A broken ring met outside a guest access: drop what waits; the guest finds out on its next notify.
      if (!(e instanceof VirtqueueError)) throw e;
      this.backlog = [];
    }
    if (done) this.ctx.usedBuffers();
    return done > 0;
  }

  saveState(): StateRecord {
    return { ...saveFields(this.stats, STATS), backlog: this.backlog.map((f) => f.slice()) };
  }

  loadState(r: StateRecord): void {
    loadFields(this.stats, r, STATS);
    const backlog = r.backlog;
    if (!Array.isArray(backlog) || backlog.length > RX_BACKLOG || !backlog.every((f) => f instanceof Uint8Array && f.length <= MAX_FRAME)) {
      throw new StateError(`field backlog should be at most ${RX_BACKLOG} frames of at most ${MAX_FRAME} bytes`);
    }
    this.backlog = backlog.map((f) => (f as Uint8Array).slice());
  }
}
