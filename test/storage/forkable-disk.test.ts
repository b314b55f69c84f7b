// Forked disks: each fork reads its parent's disk as it was at the fork, and
// neither side sees the other's later writes, through forks of forks. The
// oracle is plain byte arrays: a copy of the parent's bytes taken at each
// fork, with each side's writes applied to its own copy.

import { describe, expect, it } from 'vitest';
import type { BlockBackend } from '../../src/devices/virtio/blk.ts';
import { ForkableDisk } from '../../src/storage/forkable-disk.ts';
import { memoryDisk } from '../support/memory-disk.ts';

/** A reproducible stream of numbers (xorshift). */
function numbers(seed: number): () => number {
  let x = seed;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
}

// 10 blocks and a half: writes cross block edges and reach the short last block.
const SIZE = 4096 * 10 + 2048;

interface Side {
  disk: BlockBackend;
  fork(): BlockBackend;
  oracle: Uint8Array;
}

describe('ForkableDisk', () => {
  it('keeps parent, forks and forks of forks apart under random sector writes', () => {
    const next = numbers(12345);
    const root = memoryDisk(SIZE);
    for (let i = 0; i < SIZE; i++) root.bytes[i] = next() & 0xff;
    const wrap = (disk: BlockBackend, oracle: Uint8Array): Side => {
      const f = new ForkableDisk(disk);
      return { disk: f, fork: () => f.fork(), oracle };
    };
    const sides: Side[] = [wrap(root, root.bytes.slice())];
    for (let step = 0; step < 400; step++) {
      const side = sides[next() % sides.length]!;
      if (step % 40 === 39 && sides.length < 8) {
        // A fork (of any side, so of forks too): its oracle is a copy of its parent's now.
        sides.push(wrap(side.fork(), side.oracle.slice()));
        continue;
      }
      const sectors = SIZE / 512;
      const first = next() % sectors;
      const count = 1 + (next() % Math.min(12, sectors - first));
      const data = Uint8Array.from({ length: count * 512 }, () => next() & 0xff);
      side.disk.write(first * 512, data);
      side.oracle.set(data, first * 512);
      // Every side reads what its oracle holds, at every step.
      for (const s of sides) {
        const got = new Uint8Array(SIZE);
        s.disk.read(0, got);
        expect(Buffer.from(got).equals(Buffer.from(s.oracle))).toBe(true);
      }
    }
    expect(sides.length).toBe(8);
  });

  it('writes the parent through to its own disk, and a fork in memory only', () => {
    const root = memoryDisk(SIZE);
    const parent = new ForkableDisk(root);
    const fork = parent.fork();
    fork.write(512, new Uint8Array(512).fill(7));
    expect(root.bytes[512]).toBe(0);
    parent.write(1024, new Uint8Array(512).fill(9));
    expect(root.bytes[1024]).toBe(9);
    const seen = new Uint8Array(1024);
    fork.read(512, seen);
    expect([seen[0], seen[512]]).toEqual([7, 0]);
  });
});
