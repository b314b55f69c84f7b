// A split virtqueue (virtio 1.x, section 2.7): the descriptor table, the
// driver's available ring and the device's used ring, all in guest RAM.
//
// The device side only: take the next chain the driver made available, read
// and write its buffers in place, and return it on the used ring. Every
// address and index the guest wrote is checked before use; a malformed ring
// throws VirtqueueError, which the transport turns into DEVICE_NEEDS_RESET.
// Indirect descriptors and event indices are not offered, so a chain is a
// plain linked list in the table.

/** Guest RAM as a device sees it (the core satisfies this). */
export interface GuestMemory {
  readonly ram: Uint8Array;
  /** The host wrote guest RAM: translated code there is dropped. */
  ramWritten(addr: number, len: number): void;
}

/** One guest buffer: a physical address and a length. */
export interface GuestBuffer {
  addr: number;
  len: number;
}

/** A descriptor chain the driver made available. */
export interface Chain {
  /** The head descriptor's index: what goes back on the used ring. */
  head: number;
  /** Buffers the device reads (the request), in order. */
  readable: GuestBuffer[];
  /** Buffers the device writes (the reply), in order. */
  writable: GuestBuffer[];
}

export class VirtqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtqueueError';
  }
}

const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const DESC_F_INDIRECT = 4;

/** The driver-visible settings and the device's ring positions: the queue's whole state. */
export interface QueueSettings {
  size: number;
  ready: boolean;
  desc: number;
  driver: number;
  device: number;
  /** The next available-ring index the device will take (free-running, mod 2^16). */
  nextAvail: number;
  /** The used-ring index the device will write next (free-running, mod 2^16). */
  nextUsed: number;
}

export class Virtqueue implements QueueSettings {
  size = 0;
  ready = false;
  desc = 0;
  driver = 0;
  device = 0;
  nextAvail = 0;
  nextUsed = 0;
  /**
   * For the inspector, since power-on: chains taken and returned, bytes moved
   * each way, and the host's time from taking a chain to returning it (a
   * device's service time; the guest's clock does not see it).
   */
  readonly stats = { chains: 0, bytesRead: 0, bytesWritten: 0, completed: 0, serviceNs: 0, maxServiceNs: 0 };
  /** When each chain the device holds was taken (performance.now(), ms), by head. */
  private readonly taken = new Map<number, number>();
  private view: DataView;

  constructor(
    readonly maxSize: number,
    private readonly memory: GuestMemory,
  ) {
    const ram = memory.ram;
    this.view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  }

  reset(): void {
    Object.assign(this, { size: 0, ready: false, desc: 0, driver: 0, device: 0, nextAvail: 0, nextUsed: 0 });
    this.taken.clear();
  }

  /** Chains the device has taken and not returned yet: requests in flight. */
  get inFlight(): number {
    return this.taken.size;
  }

  /** Chains the driver has made available that the device has not taken yet (for a receive queue: empty buffers ready). */
  get waiting(): number {
    if (!this.ready) return 0;
    return (this.view.getUint16(this.driver + 2, true) - this.nextAvail) & 0xffff;
  }

  /** Checks the rings the driver placed before it marks the queue ready. */
  validate(): void {
    const n = this.size;
    if (n < 1 || n > this.maxSize || (n & (n - 1)) !== 0) throw new VirtqueueError(`queue size ${n} is not a power of two from 1 to ${this.maxSize}`);
    this.check(this.desc, 16 * n, 'descriptor table');
    this.check(this.driver, 6 + 2 * n, 'available ring');
    this.check(this.device, 6 + 8 * n, 'used ring');
    if (this.desc % 16 || this.driver % 2 || this.device % 4) throw new VirtqueueError('a ring is misaligned');
  }

  private check(addr: number, len: number, what: string): void {
    if (!(addr >= 0 && len >= 0 && addr + len <= this.memory.ram.length)) {
      throw new VirtqueueError(`${what} at 0x${addr.toString(16)} (+${len}) is outside guest RAM`);
    }
  }

  /** The next available chain, or undefined when the driver has made none. */
  pop(): Chain | undefined {
    if (!this.ready) return undefined;
    const availIdx = this.view.getUint16(this.driver + 2, true);
    if (availIdx === this.nextAvail) return undefined;
    if (((availIdx - this.nextAvail) & 0xffff) > this.size) throw new VirtqueueError(`available index ${availIdx} is more than a ring ahead of ${this.nextAvail}`);
    const head = this.view.getUint16(this.driver + 4 + 2 * (this.nextAvail % this.size), true);
    this.nextAvail = (this.nextAvail + 1) & 0xffff;
    const chain: Chain = { head, readable: [], writable: [] };
    let i = head;
    for (let count = 0; ; count++) {
      if (i >= this.size) throw new VirtqueueError(`descriptor index ${i} is past the table of ${this.size}`);
      if (count >= this.size) throw new VirtqueueError(`the chain from descriptor ${head} loops`);
      const d = this.desc + 16 * i;
      const high = this.view.getUint32(d + 4, true);
      const addr = this.view.getUint32(d, true);
      const len = this.view.getUint32(d + 8, true);
      const flags = this.view.getUint16(d + 12, true);
      if (flags & DESC_F_INDIRECT) throw new VirtqueueError('an indirect descriptor, which was not offered');
      if (high !== 0) throw new VirtqueueError(`descriptor ${i} points above 4 GiB`);
      this.check(addr, len, `descriptor ${i}'s buffer`);
      if (flags & DESC_F_WRITE) chain.writable.push({ addr, len });
      else if (chain.writable.length) throw new VirtqueueError(`descriptor ${i}: a device-readable buffer after a writable one`);
      else chain.readable.push({ addr, len });
      if (!(flags & DESC_F_NEXT)) break;
      i = this.view.getUint16(d + 14, true);
    }
    this.stats.chains++;
    this.taken.set(head, performance.now());
    return chain;
  }

  /** Returns a chain to the driver, saying how many bytes the device wrote into it. */
  push(chain: Chain, written: number): void {
    const since = this.taken.get(chain.head);
    if (since !== undefined) {
      const ns = Math.round((performance.now() - since) * 1e6);
      this.taken.delete(chain.head);
      this.stats.completed++;
      this.stats.serviceNs += ns;
      this.stats.maxServiceNs = Math.max(this.stats.maxServiceNs, ns);
    }
    const slot = this.device + 4 + 8 * (this.nextUsed % this.size);
    this.view.setUint32(slot, chain.head, true);
    this.view.setUint32(slot + 4, written, true);
    this.nextUsed = (this.nextUsed + 1) & 0xffff;
    // The element before the index: the driver may read the element as soon as it sees the index.
    this.view.setUint16(this.device + 2, this.nextUsed, true);
    this.memory.ramWritten(this.device, 6 + 8 * this.size);
  }

  /** The chain's readable bytes from `offset` on, `len` of them at most, copied out of RAM. */
  read(chain: Chain, offset: number, len: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(len, total(chain.readable) - offset)));
    let at = 0;
    for (const b of chain.readable) {
      if (at >= out.length) break;
      if (offset >= b.len) {
        offset -= b.len;
        continue;
      }
      const n = Math.min(b.len - offset, out.length - at);
      out.set(this.memory.ram.subarray(b.addr + offset, b.addr + offset + n), at);
      at += n;
      offset = 0;
    }
    this.stats.bytesRead += out.length;
    return out;
  }

  /**
   * Visits the chain's writable bytes from `offset` on, `len` at most, as
   * views into guest RAM (zero copy): the device fills them in place.
   */
  writeInto(chain: Chain, offset: number, len: number, fill: (to: Uint8Array) => void): number {
    let done = 0;
    for (const b of chain.writable) {
      if (done >= len) break;
      if (offset >= b.len) {
        offset -= b.len;
        continue;
      }
      const n = Math.min(b.len - offset, len - done);
      fill(this.memory.ram.subarray(b.addr + offset, b.addr + offset + n));
      this.memory.ramWritten(b.addr + offset, n);
      done += n;
      offset = 0;
    }
    this.stats.bytesWritten += done;
    return done;
  }
}

/** The bytes a list of buffers holds. */
export function total(buffers: readonly GuestBuffer[]): number {
  return buffers.reduce((n, b) => n + b.len, 0);
}
