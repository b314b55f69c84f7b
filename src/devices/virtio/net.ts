// virtio-net (virtio 1.x section 5.1): an Ethernet NIC on two queues, receive
// (0) and transmit (1). Each buffer starts with the 12-byte virtio_net_hdr.
//
// Offloads, because the guest's per-packet work is what an emulated network
// spends its time on: the guest may hand over TCP segments of up to 64 KiB
// (HOST_TSO4) with their checksum left to the device (CSUM), and is told the
// frames it receives are already checked (GUEST_CSUM, DATA_VALID). The
// device completes a left checksum itself, before the backend or a capture
// sees the frame, so the backend only ever meets whole, checksummed frames;
// a TSO segment goes to the backend whole (the user-mode stack relays bytes,
// it has no wire to cut them for). No mergeable buffers and no receive
// segmentation: frames to the guest fit one MTU.
//
// The other end is a NetBackend (the user-mode network in Node, a relay in a
// browser). Frames the backend delivers wait in a bounded queue until the
// driver has posted receive buffers; what overflows it is dropped and
// counted, as a NIC's full ring drops, so a flood can never grow the host's
// memory. The queue is device state: a snapshot keeps the frames in it.

import { loadFields, saveFields, StateError, type StateRecord } from '../../state/records.ts';
import type { VirtioContext, VirtioDevice } from './mmio-transport.ts';
import { total, VirtqueueError } from './virtqueue.ts';
import { fold, sum16 } from '../inet-checksum.ts';

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
const RX = 0,
  TX = 1;
const F_CSUM = 1n << 0n;
const F_GUEST_CSUM = 1n << 1n;
const F_MAC = 1n << 5n;
const F_HOST_TSO4 = 1n << 11n;
const F_STATUS = 1n << 16n;
/** virtio_net_hdr.flags: the checksum from csum_start on is left to the device; the frame's checksums are known good. */
const NEEDS_CSUM = 1,
  DATA_VALID = 2;
/** virtio_net_hdr.gso_type: none, a TCPv4 segment to cut at gso_size (with the ECN bit). */
const GSO_NONE = 0,
  GSO_TCPV4 = 1,
  GSO_ECN = 0x80;
/** A UDP checksum field sits 6 bytes into its header; a computed 0 is sent as 0xffff (0 means none). */
const UDP_CSUM_OFFSET = 6;
const LINK_UP = 1;
const QUEUE_SIZE = 256;
/** Frames waiting for receive buffers before new ones are dropped. */
export const RX_BACKLOG = 512;
/** The largest frame handed to the guest: a 1500-byte MTU frame, with room for a VLAN tag. */
const MAX_FRAME = 1518;
/** The largest frame taken from the guest: a TSO segment's 64 KiB IPv4 datagram in an Ethernet frame with a VLAN tag. */
const MAX_TX_FRAME = 18 + 65535;

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
  readonly features = F_MAC | F_STATUS | F_CSUM | F_GUEST_CSUM | F_HOST_TSO4;
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
  constructor(
    readonly mac: Uint8Array,
    private readonly backend: NetBackend,
    private readonly activity: () => void = () => {},
  ) {
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
      const header = q.read(chain, 0, HEADER);
      const frame = q.read(chain, HEADER, Math.min(length - HEADER, MAX_TX_FRAME));
      q.push(chain, 0);
      done++;
      if (length - HEADER > MAX_TX_FRAME || !completeChecksum(header, frame)) {
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
        if (this.ctx.driverFeatures & F_GUEST_CSUM) header[0] = DATA_VALID; // every frame the backend builds carries good checksums
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

/**
 * Fills in the checksum a transmit header left to the device (the field
 * holds the pseudo-header's sum, so the sum from csum_start to the end,
 * complemented, is the checksum); false for a header this device did not
 * offer (a segmentation type other than TCPv4, a checksum outside the frame).
 */
function completeChecksum(header: Uint8Array, frame: Uint8Array): boolean {
  const gso = header[1]! & ~GSO_ECN;
  if (gso !== GSO_NONE && gso !== GSO_TCPV4) return false;
  if (!(header[0]! & NEEDS_CSUM)) return true;
  const start = header[6]! | (header[7]! << 8);
  const at = start + (header[8]! | (header[9]! << 8));
  if (at + 2 > frame.length) return false;
  let c = fold(sum16(frame, start, frame.length));
  if (c === 0 && at - start === UDP_CSUM_OFFSET) c = 0xffff;
  frame[at] = c >>> 8;
  frame[at + 1] = c & 255;
  return true;
}
