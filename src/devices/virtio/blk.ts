// virtio-blk (virtio 1.x section 5.2): a disk of 512-byte sectors on one
// request queue. Each request is a 16-byte header (type, sector), data
// buffers, and a status byte the device writes last.
//
// Requests complete while the driver's notify write is being handled: the
// backend is synchronous (a file in Node, an OPFS sync access handle in a
// browser worker), so nothing is ever in flight between two guest
// instructions and the device's state record is empty. The disk's bytes are
// not machine state: a snapshot does not carry them.

import type { StateRecord } from '../../state/records.ts';
import { serveAll, type VirtioContext, type VirtioDevice } from './mmio-transport.ts';
import { type Chain, total, VirtqueueError } from './virtqueue.ts';

/** Where a disk's bytes live. Synchronous, so requests complete in guest-instruction order. */
export interface BlockBackend {
  /** Bytes, a multiple of 512. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Fills `into` from `offset`. Throws (with a message for the user) on a host error. */
  read(offset: number, into: Uint8Array): void;
  /** Throws on a host error: a full host disk is an I/O error in the guest, not a crash. */
  write(offset: number, data: Uint8Array): void;
  /** Makes every write so far durable. */
  flush(): void;
}

const SECTOR = 512;
const T_IN = 0,
  T_OUT = 1,
  T_FLUSH = 4,
  T_GET_ID = 8;
const S_OK = 0,
  S_IOERR = 1,
  S_UNSUPP = 2;
/** seg_max in the config: without it Linux sends one data buffer per request. */
const F_SEG_MAX = 1n << 2n;
const F_RO = 1n << 5n;
const F_FLUSH = 1n << 9n;
/** Requests per ring: enough for the guest's queue depth, small enough to validate quickly. */
const QUEUE_SIZE = 128;

/** What the device has done, for the inspector and `stats`. */
export interface BlockStats {
  reads: number;
  writes: number;
  flushes: number;
  bytesRead: number;
  bytesWritten: number;
  errors: number;
}

export class VirtioBlock implements VirtioDevice {
  readonly deviceId = 2;
  readonly stateVersion = 1;
  readonly queueSizes = [QUEUE_SIZE];
  readonly features: bigint;
  readonly stats: BlockStats = { reads: 0, writes: 0, flushes: 0, bytesRead: 0, bytesWritten: 0, errors: 0 };
  /** The last host error a request met (a full disk, say), for the host to report. */
  lastError?: string;
  private ctx!: VirtioContext;
  private readonly config = new DataView(new ArrayBuffer(24));

  /** `serial`: what the guest reads as the disk's ID (/sys/block/vda/serial), at most 20 bytes. */
  constructor(
    private readonly disk: BlockBackend,
    private readonly serial = 'glassbox',
    private readonly onError?: (message: string) => void,
  ) {
    if (disk.size % SECTOR) throw new Error(`virtio-blk: a disk is whole 512-byte sectors, and this one is ${disk.size} bytes`);
    this.features = F_FLUSH | F_SEG_MAX | (disk.readOnly ? F_RO : 0n);
    this.config.setBigUint64(0, BigInt(disk.size / SECTOR), true);
    this.config.setUint32(12, QUEUE_SIZE - 2, true); // a request's data buffers, leaving the header and status their descriptors
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  configRead(offset: number, size: number): number {
    if (offset + size > this.config.byteLength) return 0;
    return size === 1 ? this.config.getUint8(offset) : size === 2 ? this.config.getUint16(offset, true) : this.config.getUint32(offset, true);
  }

  configWrite(): void {
    // Writable only with VIRTIO_BLK_F_CONFIG_WCE, which is not offered.
  }

  reset(): void {}

  notify(index: number): void {
    serveAll(this.ctx, index, (chain) => this.serve(chain));
  }

  /** Carries out one request; returns the bytes written into the chain (data and status). */
  private serve(chain: Chain): number {
    const q = this.ctx.queue(0);
    if (total(chain.readable) < 16 || total(chain.writable) < 1) throw new VirtqueueError('a block request without its header or status byte');
    const header = new DataView(q.read(chain, 0, 16).buffer);
    const type = header.getUint32(0, true);
    const offset = Number(header.getBigUint64(8, true)) * SECTOR;
    const dataIn = total(chain.writable) - 1; // the last writable byte is the status
    const dataOut = total(chain.readable) - 16;
    let status = S_OK;
    let written = 0;
    try {
      switch (type) {
        case T_IN:
          if (!this.inside(offset, dataIn)) status = S_IOERR;
          else {
            let at = offset;
            written = q.writeInto(chain, 0, dataIn, (to) => {
              this.disk.read(at, to);
              at += to.length;
            });
            this.stats.reads++;
            this.stats.bytesRead += written;
          }
          break;
        case T_OUT:
          if (this.disk.readOnly) status = S_IOERR;
          else if (!this.inside(offset, dataOut)) status = S_IOERR;
          else {
            this.disk.write(offset, q.read(chain, 16, dataOut));
            this.stats.writes++;
            this.stats.bytesWritten += dataOut;
          }
          break;
        case T_FLUSH:
          this.disk.flush();
          this.stats.flushes++;
          break;
        case T_GET_ID: {
          const id = new TextEncoder().encode(this.serial).subarray(0, 20);
          const padded = new Uint8Array(Math.min(20, dataIn));
          padded.set(id.subarray(0, padded.length));
          written = q.writeInto(chain, 0, padded.length, (to) => to.set(padded.subarray(0, to.length)));
          break;
        }
        default:
          status = S_UNSUPP;
      }
    } catch (e) {
      // A host error (a full disk, a vanished file): the guest sees an I/O error; the host hears why.
      status = S_IOERR;
      this.lastError = (e as Error).message;
      this.onError?.(this.lastError);
    }
    if (status === S_IOERR) this.stats.errors++;
    q.writeInto(chain, dataIn, 1, (to) => (to[0] = status));
    return written + 1;
  }

  /** Whether [offset, offset + len) is on the disk, in whole sectors. */
  private inside(offset: number, len: number): boolean {
    return len % SECTOR === 0 && offset + len <= this.disk.size;
  }

  saveState(): StateRecord {
    return {};
  }

  loadState(): void {}
}
