// A machine resumed from a snapshot on a platform where the guest files are
// a download (the page) reads the kernel and initrd only when its guest
// reboots, and checks them then against the digests the snapshot recorded.

import { describe, expect, it } from 'vitest';
import { nodePlatform } from '../../src/api/index.ts';
import { Machine } from '../../src/api/machine.ts';
import type { Platform } from '../../src/api/types.ts';
import { defaultGuestSnapshot, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { readHeader } from '../../src/snapshot/format.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';

/** Node's platform as a browser's behaves, logging what it reads; `alter` changes the kernel's bytes as they arrive. */
function downloading(reads: string[], alter?: (kernel: Uint8Array) => void): Platform {
  return {
    ...nodePlatform,
    guestFilesOnReboot: true,
    async read(ref, what) {
      reads.push(what);
      const bytes = await nodePlatform.read(ref, what);
      if (what === 'kernel') alter?.(bytes);
      return bytes;
    },
  };
}

/** The snapshot Node caches and the page ships: self-contained, its pages from the initrd stored in it. */
const snapshot = () => defaultGuestSnapshot(snapshotCacheDir(), { memoryMiB: 256 });

describe('guest files read on reboot', () => {
  it('resumes to a guest that answers without reading them, and reads them when the guest reboots', async () => {
    const reads: string[] = [];
    const m = await Machine.create({ snapshot: await snapshot() }, downloading(reads));
    m.start();
    try {
      expect((await m.exec('echo resumed')).stdout).toBe('resumed\n');
      expect(reads).toEqual([]);
      await expect(m.exec('reboot -f')).rejects.toThrow('the guest rebooted');
      await m.agentReady();
      expect(reads.sort()).toEqual(['initrd', 'kernel']);
      expect((await m.exec('cat /proc/cmdline')).stdout).toMatch(/^console=ttyS0/);
    } finally {
      m.stop();
    }
  }, 600_000);

  it('reads the initrd at most, never the kernel, at once when the snapshot names pages in it (machine.snapshot() by default)', async () => {
    const resumed = await Machine.create({ snapshot: await snapshot() }, downloading([]));
    const named = await resumed.snapshot();
    expect((await readHeader(named, nodeCodec)).header.initrdPages.length).toBeGreaterThan(0);
    expect((await readHeader(await snapshot(), nodeCodec)).header.initrdPages).toEqual([]);
    const reads: string[] = [];
    const m = await Machine.create({ snapshot: named }, downloading(reads));
    // The initrd at most (this process may hold its archive already, from making `named`), never the kernel.
    expect(reads.filter((r) => r !== 'initrd')).toEqual([]);
    m.start();
    try {
      expect((await m.exec('echo resumed')).stdout).toBe('resumed\n');
    } finally {
      m.stop();
    }
  }, 600_000);

  it('powers the machine off, saying why, when the kernel that arrives is not the one the snapshot was made with', async () => {
    const reads: string[] = [];
    const m = await Machine.create(
      { snapshot: await snapshot() },
      downloading(reads, (k) => (k[k.length - 1]! ^= 1)),
    );
    const off = new Promise<void>((resolve) => m.on('power', (s) => s === 'off' && resolve()));
    m.start();
    try {
      await m.agentReady();
      await expect(m.exec('reboot -f')).rejects.toThrow('the guest rebooted');
      await expect(m.agentReady()).rejects.toThrow(
        /the guest rebooted, and its kernel cannot be loaded: it was made with kernel \S+ \(sha256 [0-9a-f]{12}\), and this machine has kernel \(sha256 [0-9a-f]{12}\)/,
      );
      await off;
      expect(m.pc.power).toBe('off');
    } finally {
      m.stop();
    }
  }, 600_000);
});
