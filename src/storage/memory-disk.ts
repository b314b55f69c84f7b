// A disk in memory, kept as the 4 KiB blocks written so far (the rest reads
// as zeros): the IndexedDB disk's working copy, and the tab's scratch disk
// when its own is held by another tab.

import type { BlockBackend } from '../devices/virtio/blk.ts';

export const DISK_BLOCK = 4096;

/** Calls `each(block, at, n, done)` for the pieces of [offset, offset + length) in each block: `at` where in the block, `done` how far along. */
export function eachBlock(offset: number, length: number, each: (b: number, at: number, n: number, done: number) => void): void {
  for (let done = 0; done < length; ) {
    const pos = offset + done;
    const b = Math.floor(pos / DISK_BLOCK);
    const at = pos % DISK_BLOCK;
    const n = Math.min(DISK_BLOCK - at, length - done);
    each(b, at, n, done);
    done += n;
  }
}

export class MemoryDisk implements BlockBackend {
  readonly readOnly = false;
  /** Every block written, by number. */
  readonly blocks = new Map<number, Uint8Array>();
  /** Called with each block a write changed. */
  onWrite?: (b: number) => void;

  constructor(readonly size: number) {}

  read(offset: number, into: Uint8Array): void {
    eachBlock(offset, into.length, (b, at, n, done) => {
      const held = this.blocks.get(b);
      if (held) into.set(held.subarray(at, at + n), done);
      else into.fill(0, done, done + n);
    });
  }

  write(offset: number, data: Uint8Array): void {
    eachBlock(offset, data.length, (b, at, n, done) => {
      let block = this.blocks.get(b);
      if (!block) this.blocks.set(b, (block = new Uint8Array(DISK_BLOCK)));
      block.set(data.subarray(done, done + n), at);
      this.onWrite?.(b);
    });
  }

  /** Nothing to make durable here: whoever keeps the blocks elsewhere (IndexedDbDisk) does that. */
  flush(): void {}
}
