// The virtio-MMIO transport, version 2 ("modern", virtio 1.x section 4.2):
// the register window a driver finds a virtio device through, whatever the
// device is. It holds the feature negotiation, the device status, the queue
// registers and the interrupt status, and hands queue notifications to the
// device. The kernel learns of the window from its command line
// (virtio_mmio.device=4K@ADDR:IRQ, see PcMachine.addVirtio).
//
// The interrupt line is level-style: high while InterruptStatus is non-zero.
// A guest that breaks a ring gets DEVICE_NEEDS_RESET, never a host error.

import type { MmioDevice } from '../mmio-bus.ts';
import { loadFields, numbersField, ownFields, recordField, recordsField, saveFields, StateError, type StateRecord, type Stateful } from '../../state/records.ts';
import { type Chain, type GuestMemory, Virtqueue, VirtqueueError } from './virtqueue.ts';

const MAGIC = 0x74726976; // "virt"
const VENDOR = 0x47425831; // "GBX1": ours
/** VIRTIO_F_VERSION_1: a modern device; the only transport feature offered. */
export const F_VERSION_1 = 1n << 32n;

/** Device status bits (virtio 1.x 2.1). */
export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 0x40, FAILED: 0x80 } as const;
/** InterruptStatus bits. */
const INT_USED = 1,
  INT_CONFIG = 2;

/** Register offsets in the window. */
const R = {
  MAGIC: 0x00,
  VERSION: 0x04,
  DEVICE_ID: 0x08,
  VENDOR_ID: 0x0c,
  DEVICE_FEATURES: 0x10,
  DEVICE_FEATURES_SEL: 0x14,
  DRIVER_FEATURES: 0x20,
  DRIVER_FEATURES_SEL: 0x24,
  QUEUE_SEL: 0x30,
  QUEUE_NUM_MAX: 0x34,
  QUEUE_NUM: 0x38,
  QUEUE_READY: 0x44,
  QUEUE_NOTIFY: 0x50,
  INTERRUPT_STATUS: 0x60,
  INTERRUPT_ACK: 0x64,
  STATUS: 0x70,
  QUEUE_DESC_LOW: 0x80,
  QUEUE_DESC_HIGH: 0x84,
  QUEUE_DRIVER_LOW: 0x90,
  QUEUE_DRIVER_HIGH: 0x94,
  QUEUE_DEVICE_LOW: 0xa0,
  QUEUE_DEVICE_HIGH: 0xa4,
  SHM_LEN_LOW: 0xb0,
  SHM_LEN_HIGH: 0xb4,
  CONFIG_GENERATION: 0xfc,
  CONFIG: 0x100,
} as const;

/** The size of a device's register window. */
export const VIRTIO_MMIO_WINDOW = 0x1000;

/** What a transport gives the device behind it. */
export interface VirtioContext {
  readonly memory: GuestMemory;
  queue(index: number): Virtqueue;
  /** The features the driver accepted. */
  readonly driverFeatures: bigint;
  /** Tells the driver the device put buffers on a used ring. */
  usedBuffers(): void;
  /** Tells the driver the configuration space changed. */
  configChanged(): void;
}

/** A virtio device (block, net, 9p...) behind a transport. */
export interface VirtioDevice extends Stateful {
  /** The virtio device ID (2: block, 1: network, 9: 9p). */
  readonly deviceId: number;
  /** Device feature bits (the transport adds VIRTIO_F_VERSION_1). */
  readonly features: bigint;
  /** Each queue's largest size. */
  readonly queueSizes: readonly number[];
  /** Called once, before the guest runs. */
  attach(ctx: VirtioContext): void;
  configRead(offset: number, size: number): number;
  configWrite(offset: number, size: number, value: number): void;
  /** The driver made buffers available on queue `index`. May throw VirtqueueError. */
  notify(index: number): void;
  /** The driver reset the device (status 0): forget every request in flight. */
  reset(): void;
}

/**
 * Serves every chain the driver made available on queue `index` with a
 * synchronous `serve` (which returns the bytes it wrote into the chain), and
 * tells the driver once if any went back.
 */
export function serveAll(ctx: VirtioContext, index: number, serve: (chain: Chain) => number): void {
  const q = ctx.queue(index);
  let done = 0;
  for (let chain = q.pop(); chain; chain = q.pop()) {
    q.push(chain, serve(chain));
    done++;
  }
  if (done) ctx.usedBuffers();
}

const SCALARS = ['status', 'deviceFeaturesSel', 'driverFeaturesSel', 'queueSel', 'interruptStatus', 'configGeneration'] as const;
const QUEUE_FIELDS = ['size', 'ready', 'desc', 'driver', 'device', 'nextAvail', 'nextUsed'] as const;

export class VirtioMmio implements MmioDevice, Stateful, VirtioContext {
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  /** The driver's feature words, low then high. */
  private driverWords = [0, 0];
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private readonly queues: Virtqueue[];
  /** Why the device last needed a reset, for the inspector. */
  lastError?: string;

  constructor(
    readonly device: VirtioDevice,
    readonly memory: GuestMemory,
    private readonly setIrq: (high: boolean) => void,
  ) {
    this.queues = device.queueSizes.map((max) => new Virtqueue(max, memory));
    device.attach(this);
  }

  get stateVersion(): number {
    return 1000 + this.device.stateVersion;
  }

  get offered(): bigint {
    return this.device.features | F_VERSION_1;
  }

  get driverFeatures(): bigint {
    return BigInt(this.driverWords[0]!) | (BigInt(this.driverWords[1]!) << 32n);
  }

  /** Every queue, in index order (the inspector reads their counters). */
  get allQueues(): readonly Virtqueue[] {
    return this.queues;
  }

  queue(index: number): Virtqueue {
    return this.queues[index]!;
  }

  /** The device status byte the driver last wrote (with NEEDS_RESET if the device set it). */
  get deviceStatus(): number {
    return this.status;
  }

  usedBuffers(): void {
    this.raise(INT_USED);
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    this.raise(INT_CONFIG);
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.setIrq(true);
  }

  private get selected(): Virtqueue | undefined {
    return this.queues[this.queueSel];
  }

  mmioRead(offset: number, size: number): number {
    if (offset >= R.CONFIG) return this.device.configRead(offset - R.CONFIG, size);
    if (size !== 4 || offset % 4) return 0; // registers are 32-bit (4.2.2)
    const q = this.selected;
    switch (offset) {
      case R.MAGIC:
        return MAGIC;
      case R.VERSION:
        return 2;
      case R.DEVICE_ID:
        return this.device.deviceId;
      case R.VENDOR_ID:
        return VENDOR;
      case R.DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case R.QUEUE_NUM_MAX:
        return q?.maxSize ?? 0;
      case R.QUEUE_READY:
        return q?.ready ? 1 : 0;
      case R.INTERRUPT_STATUS:
        return this.interruptStatus;
      case R.STATUS:
        return this.status;
      case R.SHM_LEN_LOW:
      case R.SHM_LEN_HIGH:
        return 0xffffffff; // no shared memory regions
      case R.CONFIG_GENERATION:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (offset >= R.CONFIG) {
      this.device.configWrite(offset - R.CONFIG, size, value);
      return;
    }
    if (size !== 4 || offset % 4) return;
    const q = this.selected;
    switch (offset) {
      case R.DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = value;
        break;
      case R.DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = value;
        break;
      case R.DRIVER_FEATURES:
        if (this.driverFeaturesSel <= 1 && !(this.status & STATUS.FEATURES_OK)) this.driverWords[this.driverFeaturesSel] = value;
        break;
      case R.QUEUE_SEL:
        this.queueSel = value;
        break;
      case R.QUEUE_NUM:
        if (q && !q.ready) q.size = value;
        break;
      case R.QUEUE_DESC_LOW:
        if (q && !q.ready) q.desc = value;
        break;
      case R.QUEUE_DRIVER_LOW:
        if (q && !q.ready) q.driver = value;
        break;
      case R.QUEUE_DEVICE_LOW:
        if (q && !q.ready) q.device = value;
        break;
      case R.QUEUE_DESC_HIGH:
      case R.QUEUE_DRIVER_HIGH:
      case R.QUEUE_DEVICE_HIGH:
        if (value !== 0) this.fail(`queue ${this.queueSel}: a ring above 4 GiB`);
        break;
      case R.QUEUE_READY:
        if (q) this.setReady(q, value === 1);
        break;
      case R.QUEUE_NOTIFY:
        this.notify(value);
        break;
      case R.INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        if (!this.interruptStatus) this.setIrq(false);
        break;
      case R.STATUS:
        this.writeStatus(value & 0xff);
        break;
    }
  }

  private setReady(q: Virtqueue, ready: boolean): void {
    if (!ready) {
      q.ready = false;
      return;
    }
    try {
      q.validate();
      q.ready = true;
    } catch (e) {
      this.guard(e);
    }
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.resetAll();
      return;
    }
    // FEATURES_OK sticks only if the driver asked for no more than was offered and took VERSION_1.
    if (value & STATUS.FEATURES_OK && !(this.status & STATUS.FEATURES_OK)) {
      const f = this.driverFeatures;
      if ((f & ~this.offered) !== 0n || !(f & F_VERSION_1)) value &= ~STATUS.FEATURES_OK;
    }
    this.status = value | (this.status & STATUS.NEEDS_RESET);
  }

  private resetAll(): void {
    this.status = 0;
    this.driverWords = [0, 0];
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    for (const q of this.queues) q.reset();
    this.device.reset();
    this.interruptStatus = 0;
    this.setIrq(false);
  }

  private notify(index: number): void {
    if (!(this.status & STATUS.DRIVER_OK) || this.status & STATUS.NEEDS_RESET || !this.queues[index]?.ready) return;
    try {
      this.device.notify(index);
    } catch (e) {
      this.guard(e);
    }
  }

  /** A guest error in a ring: the device stops and asks for a reset, as the spec has it. */
  private guard(e: unknown): void {
    if (!(e instanceof VirtqueueError)) throw e;
    this.fail(e.message);
  }

  private fail(why: string): void {
    this.lastError = why;
    this.status |= STATUS.NEEDS_RESET;
    if (this.status & STATUS.DRIVER_OK) this.configChanged();
  }

  saveState(): StateRecord {
    return {
      ...saveFields(ownFields(this), SCALARS),
      driverWords: [...this.driverWords],
      queues: this.queues.map((q) => saveFields(q, QUEUE_FIELDS)),
      device: this.device.saveState(),
    };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, SCALARS);
    this.driverWords = numbersField(r, 'driverWords', { length: 2, below: 2 ** 32 });
    recordsField(r, 'queues', this.queues.length).forEach((rec, i) => {
      const q = this.queues[i]!;
      loadFields(q, rec, QUEUE_FIELDS);
      if (q.ready) {
        try {
          q.validate();
        } catch (e) {
          throw new StateError(`queue ${i}: ${(e as Error).message}`);
        }
      }
    });
    // The line's level is the PIC's state, restored with it.
    this.device.loadState(recordField(r, 'device'));
  }
}
