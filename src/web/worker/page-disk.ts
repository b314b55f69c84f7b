// The tab's own disk: the guest's /dev/vda, kept by the browser for the site
// (OPFS through a sync access handle, or IndexedDB where a worker has none),
// an ext4 filesystem mounted on /data once the agent is up. So what the
// guest writes under /data is there again after a reload. The snapshot the
// page resumes from is made with a scratch disk of the same size
// (scripts/web.ts), and the mount drops what the guest read of that one.

import type { BlockBackend } from '../../devices/virtio/blk.ts';
import type { GuestShell } from '../../containers/engine/guest-shell.ts';
import { DiskError, QUOTA_USED_UP } from '../../storage/disk-error.ts';
import { DISK_HEAD_BYTES, diskContents, ext4MountScript } from '../../api/ext4-disk.ts';
import { IndexedDbDisk } from '../../storage/indexeddb-disk.ts';
import { MemoryDisk } from '../../storage/memory-disk.ts';
import { OpfsDisk, opfsSyncAvailable } from '../../storage/opfs-disk.ts';

/** Room for files, not images: the browser's quota for a site is shared with everything it keeps. */
export const PAGE_DISK_BYTES = 256 * 2 ** 20;
export const PAGE_DISK_MOUNT = '/data';
const NAME = 'glassbox-tab-disk.img';
/** How long a reload waits for the page it replaces to let go of the OPFS file. */
const LOCK_WAIT_MS = 5_000;

/** Where the disk's bytes are: 'memory' when another tab holds the site's disk. */
export type PageDiskKind = 'opfs' | 'indexeddb' | 'memory';

export interface PageDisk {
  disk: BlockBackend;
  kind: PageDiskKind;
  /** Blocks written but not yet kept by the browser (IndexedDB's are written behind; OPFS keeps each as it is written). */
  unstored(): number;
  /** Why the disk is not what was asked for, for the page to say. */
  note?: string;
}

/** What the page sees of its disk once mounted. */
export interface PageDiskView {
  kind: PageDiskKind;
  mount: string;
  /** Whether the filesystem was made now (a first visit, or a memory disk). */
  made: boolean;
  note?: string;
}

/** Opens the site's disk: OPFS where the worker has sync access handles (unless `backend` asks for IndexedDB), else IndexedDB. */
export async function openPageDisk(backend?: 'indexeddb'): Promise<PageDisk> {
  if (backend === 'indexeddb' || !opfsSyncAvailable()) {
    const disk = await IndexedDbDisk.open(NAME, PAGE_DISK_BYTES);
    return { disk, kind: 'indexeddb', unstored: () => disk.unstored };
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return { disk: await OpfsDisk.open(NAME, PAGE_DISK_BYTES), kind: 'opfs', unstored: () => 0 };
    } catch (e) {
      // Another tab (or the page this one reloads, still closing) has the file open.
      if ((e as Error).name !== 'NoModificationAllowedError') throw e;
      if (Date.now() > deadline) {
        const note = `the site's disk is open in another tab (still after ${LOCK_WAIT_MS / 1000} s): this tab's ${PAGE_DISK_MOUNT} is in memory, gone when it closes`;
        return { disk: new MemoryDisk(PAGE_DISK_BYTES), kind: 'memory', note, unstored: () => 0 };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * The disk with a storage quota that runs out after `bytes` more are written
 * (the page's ?disk-quota-left=BYTES): what the guest and the page see when
 * the browser refuses a write, which a test cannot make the browser do on
 * cue. The refusal is the one OpfsDisk gives for QuotaExceededError.
 */
export function withQuotaLeft(opened: PageDisk, bytes: number): PageDisk {
  const inner = opened.disk;
  let left = bytes;
  const disk: BlockBackend = {
    size: inner.size,
    readOnly: inner.readOnly,
    read: (offset, into) => inner.read(offset, into),
    write(offset, data) {
      if (data.length > left) throw new DiskError(`browser disk ${NAME}: writing: ${QUOTA_USED_UP} (?disk-quota-left=${bytes})`);
      left -= data.length;
      inner.write(offset, data);
    },
    flush: () => inner.flush(),
  };
  return { ...opened, disk };
}

/** Mounts the disk on /data in the guest, making its filesystem first when it is new; refuses one that holds something else. */
export async function mountPageDisk(opened: PageDisk, shell: GuestShell): Promise<PageDiskView> {
  const head = new Uint8Array(DISK_HEAD_BYTES);
  opened.disk.read(0, head);
  const state = diskContents(head, opened.disk.size, PAGE_DISK_BYTES, `the tab's disk (${opened.kind})`, "clear this site's data in the browser for a new one");
  const r = await shell.run(ext4MountScript(state, PAGE_DISK_MOUNT, 'glassbox-tab'), { timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new DiskError(`the tab's disk (${opened.kind}): the guest cannot ${state === 'new' ? 'make and ' : ''}mount it: ${(r.stderr || r.stdout).trim()}`);
  return { kind: opened.kind, mount: PAGE_DISK_MOUNT, made: state === 'new', ...(opened.note ? { note: opened.note } : {}) };
}
