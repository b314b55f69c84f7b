// The virtio devices in the glass walls: for each device (disk, network
// card) and each of its queues, the requests the driver has posted and the
// device not taken yet, those the device holds (in flight), the chains done,
// the bytes each way and the host's service time per request. virtio-blk
// completes a request while the driver's notify is handled, so its in-flight
// count is 0 between two guest instructions: a non-zero one is a device bug.

import type { Machine } from '../api/machine.ts';
import type { VirtioBlock } from '../devices/virtio/blk.ts';
import type { Virtio9p } from '../devices/virtio/9p.ts';

/** Virtio device IDs (virtio 1.x section 5) glassbox has. */
const KINDS: Record<number, string> = { 1: 'net', 2: 'blk', 9: '9p' };

export interface VirtqueueView {
  index: number;
  /** The ring's size as the driver set it (0: not set up). */
  size: number;
  ready: boolean;
  /** Posted by the driver, not taken by the device (for a receive queue: empty buffers ready for frames). */
  waiting: number;
  inFlight: number;
  requests: number;
  completed: number;
  /** Bytes the device read from the guest's buffers (requests, frames sent, disk writes). */
  bytesFromGuest: number;
  /** Bytes the device wrote into the guest's buffers (replies, frames received, disk reads). */
  bytesToGuest: number;
  /** Host time from taking a request to returning it: the mean and the longest, microseconds. */
  meanServiceUs: number;
  maxServiceUs: number;
}

export interface VirtioDeviceView {
  name: string;
  kind: string;
  queues: VirtqueueView[];
  /** The device's own counters (a disk's reads, writes, flushes, errors), where it keeps them. */
  device: Record<string, number>;
  /** Why the device last asked the driver for a reset, if it did. */
  lastError?: string;
}

export function virtioView(machine: Pick<Machine, 'pc' | 'network'>): VirtioDeviceView[] {
  const pc = machine.pc;
  return pc.virtio.map((t, i) => {
    const kind = KINDS[t.device.deviceId] ?? `device ${t.device.deviceId}`;
    const queues = t.allQueues.map(
      (q, index): VirtqueueView => ({
        index,
        size: q.size,
        ready: q.ready,
        waiting: q.waiting,
        inFlight: q.inFlight,
        requests: q.stats.chains,
        completed: q.stats.completed,
        bytesFromGuest: q.stats.bytesRead,
        bytesToGuest: q.stats.bytesWritten,
        meanServiceUs: q.stats.completed ? q.stats.serviceNs / q.stats.completed / 1000 : 0,
        maxServiceUs: q.stats.maxServiceNs / 1000,
      }),
    );
    const share = t.device as Virtio9p;
    const device = kind === 'blk' ? { ...(t.device as VirtioBlock).stats } : kind === 'net' ? { ...machine.network?.stats } : kind === '9p' ? { ...share.stats } : {};
    return { name: pc.virtioNames[i]!, kind, queues, device, ...(t.lastError ? { lastError: t.lastError } : {}) };
  });
}
