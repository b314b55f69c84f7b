// Disks for machines that fork: a fork's disk is its parent's as it was at
// the fork, copied by block only where either side writes.
//
// Every disk a Machine has is wrapped in a ForkableDisk, a pass-through until
// the machine first forks. A fork gets a DiskOverlay: its writes go to blocks
// of its own, its reads of other blocks go to the parent's disk. The parent
// goes on writing its disk (a file the user keeps); before it first writes a
// block a fork still reads from it, the block as it was is kept for that fork
// (as LazyRam does for RAM pages). So neither sees the other's writes, and a
// fork costs nothing until one of them writes.

import type { BlockBackend } from '../devices/virtio/blk.ts';
import { DISK_BLOCK as BLOCK, eachBlock as blocks } from './memory-disk.ts';

/** A parent disk's blocks as they were at a fork: those the parent has written since, kept; the rest read from it. */
class DiskView {
  readonly kept = new Map<number, Uint8Array>();
  /** Blocks the fork has written: the parent's later writes there concern it no more. */
  readonly own = new Map<number, Uint8Array>();

  constructor(readonly parent: BlockBackend) {}

  /** Block `b` as the fork sees it, into `into` (BLOCK bytes, or fewer at the disk's end). */
  read(b: number, into: Uint8Array): void {
    const held = this.own.get(b) ?? this.kept.get(b);
    if (held) into.set(held.subarray(0, into.length));
    else this.parent.read(b * BLOCK, into);
  }
}

/** A machine's disk that can be forked: writes keep, first, the blocks its forks still read from it. */
export class ForkableDisk implements BlockBackend {
  private views: WeakRef<DiskView>[] = [];

  constructor(private readonly inner: BlockBackend) {}

  get size(): number {
    return this.inner.size;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  read(offset: number, into: Uint8Array): void {
    this.inner.read(offset, into);
  }

  write(offset: number, data: Uint8Array): void {
    this.views = this.views.filter((v) => v.deref());
    if (this.views.length) {
      blocks(offset, data.length, (b) => {
        let old: Uint8Array | undefined;
        for (const ref of this.views) {
          const v = ref.deref();
          if (!v || v.own.has(b) || v.kept.has(b)) continue;
          old ??= this.block(b);
          v.kept.set(b, old);
        }
      });
    }
    this.inner.write(offset, data);
  }

  flush(): void {
    this.inner.flush();
  }

  /** The disk as it is now, for a fork: its own writes stay its own, this one's later writes do not reach it. */
  fork(): DiskOverlay {
    const view = new DiskView(this.inner);
    this.views.push(new WeakRef(view));
    return new DiskOverlay(view, this.size, this.readOnly);
  }

  private block(b: number): Uint8Array {
    const out = new Uint8Array(Math.min(BLOCK, this.size - b * BLOCK));
    this.inner.read(b * BLOCK, out);
    return out;
  }
}

/** A fork's disk: its parent's at the fork, with its own writes over it, in memory. */
export class DiskOverlay implements BlockBackend {
  constructor(
    private readonly view: DiskView,
    readonly size: number,
    readonly readOnly: boolean,
  ) {}

  read(offset: number, into: Uint8Array): void {
    blocks(offset, into.length, (b, at, n, done) => {
      const held = this.view.own.get(b) ?? this.view.kept.get(b);
      if (held) into.set(held.subarray(at, at + n), done);
      else this.view.parent.read(b * BLOCK + at, into.subarray(done, done + n));
    });
  }

  write(offset: number, data: Uint8Array): void {
    blocks(offset, data.length, (b, at, n, done) => {
      let mine = this.view.own.get(b);
      if (!mine) {
        mine = new Uint8Array(Math.min(BLOCK, this.size - b * BLOCK));
        if (at !== 0 || n !== mine.length) this.view.read(b, mine);
        this.view.own.set(b, mine);
      }
      mine.set(data.subarray(done, done + n), at);
    });
  }

  /** In memory only: nothing to make durable. */
  flush(): void {}
}
