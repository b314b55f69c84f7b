// A disk in memory behind the virtio-blk backend interface: a test sees
// exactly the bytes a device or a fork wrote.

import type { BlockBackend } from '../../src/devices/virtio/blk.ts';

export function memoryDisk(size: number): BlockBackend & { bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  return {
    bytes,
    size,
    readOnly: false,
    read: (offset, into) => into.set(bytes.subarray(offset, offset + into.length)),
    write: (offset, data) => bytes.set(data, offset),
    flush: () => {},
  };
}
