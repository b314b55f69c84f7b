// A guest's ext4 disk on /dev/vda, for the engine's disk in Node
// (containers/engine/disk.ts) and the page's disk in the browser
// (web/worker/page-disk.ts): what a disk holds, judged by its first sectors
// before the guest sees it, and the guest's script that mounts it, making
// the filesystem first when the disk is new.

import { sh, type Script } from './shell-script.ts';
import { DiskError } from '../storage/disk-error.ts';

/** Bytes of the disk's head that say what it holds (the ext4 superblock is at 1024). */
export const DISK_HEAD_BYTES = 2048;
const EXT4_MAGIC_OFFSET = 1080;
const EXT4_MAGIC = 0xef53;

/**
 * What a disk of `size` bytes starting with `head` holds: nothing yet (zeros
 * where a superblock would be: a disk to make), or an ext4 filesystem made
 * for `bytes`. Anything else is refused, named `what`, with how to start
 * anew (`remedy`).
 */
export function diskContents(head: Uint8Array, size: number, bytes: number, what: string, remedy: string): 'new' | 'ext4' {
  if (head.every((b) => b === 0)) return 'new';
  if (size !== bytes || (head[EXT4_MAGIC_OFFSET]! | (head[EXT4_MAGIC_OFFSET + 1]! << 8)) !== EXT4_MAGIC) {
    throw new DiskError(`${what}: not a glassbox disk (an ext4 filesystem of ${bytes} bytes); ${remedy}`);
  }
  return 'ext4';
}

/**
 * The guest's script that mounts /dev/vda on `mountPoint`, making its
 * filesystem (labelled `label`) first if it is new. The block device's
 * cache is dropped first: the guest may come from a snapshot made with
 * another disk behind /dev/vda.
 */
export function ext4MountScript(state: 'new' | 'ext4', mountPoint: string, label: string): Script {
  // A fresh disk reads as zeros, so the inode tables and journal need no zeroing (which would fill a sparse file).
  const mkfs = state === 'new' ? sh`mkfs.ext4 -q -L ${label} -E lazy_itable_init=1,lazy_journal_init=1,nodiscard /dev/vda && ` : sh``;
  return sh`blockdev --flushbufs /dev/vda && ${mkfs}mkdir -p ${mountPoint} && mount -t ext4 -o noinit_itable /dev/vda ${mountPoint}`;
}
