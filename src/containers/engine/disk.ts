// The engine's disk: an ext4 filesystem in $GLASSBOX_HOME/disk.img (sparse),
// the guest's /dev/vda, mounted on /var/lib/glassbox, where the unpacked
// image layers and the containers' writable layers live. So layers are
// unpacked once, images larger than the guest's RAM fit, and a container's
// files outlast the engine. Made on first use (mkfs.ext4 in the guest); its
// journal keeps the filesystem whole when the engine is killed mid-write.
// Node only (the browser's engine keeps everything in RAM for now).

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DiskError } from '../../storage/disk-error.ts';
import { DISK_HEAD_BYTES, diskContents, ext4MountScript } from '../../api/ext4-disk.ts';
import type { GuestShell, ShellResult } from './guest-shell.ts';
import { ENGINE_DISK_MOUNT } from './guest-scripts.ts';
import { script, sh, type Script } from '../../api/shell-script.ts';

/** What the disk can hold (a sparse file: it takes host space only as it fills). */
export const ENGINE_DISK_BYTES = 4 * 2 ** 30;

export function engineDiskPath(home: string): string {
  return join(home, 'disk.img');
}

/**
 * What the image at `path` holds: nothing yet (missing, or zeros where a
 * superblock would be: a disk to make), or an ext4 filesystem. Anything
 * else is refused by name before the guest sees it.
 */
export function inspectEngineDisk(path: string): 'new' | 'ext4' {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'new';
    throw new DiskError(`engine disk ${path}: ${(e as Error).message}`);
  }
  const head = new Uint8Array(DISK_HEAD_BYTES);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return diskContents(head, size, ENGINE_DISK_BYTES, `engine disk ${path}`, 'move it away and the engine makes a new one');
}

/** How long mountScript may take: making the filesystem on a new disk included. */
export const MOUNT_MS = 600_000;

/** Throws, naming why, unless mountScript's run `r` mounted the disk. */
export function checkMounted(state: 'new' | 'ext4', r: ShellResult): void {
  if (r.exitCode !== 0) throw new DiskError(`engine disk: the guest cannot ${state === 'new' ? 'make and ' : ''}mount it: ${(r.stderr || r.stdout).trim()}`);
}

/** Mounts the disk in the guest, making its filesystem first if it is new (checkMounted says whether it did). */
export function mountScript(state: 'new' | 'ext4'): Script {
  return ext4MountScript(state, ENGINE_DISK_MOUNT, 'glassbox');
}

/**
 * Ends the containers, writes everything out and unmounts the disk (engine
 * stop), so nothing waits on the journal at the next start. If something
 * still holds it, the disk is made read-only instead: as clean once synced.
 */
export async function unmountEngineDisk(shell: GuestShell): Promise<void> {
  const r = await shell.run(unmountScript(), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new DiskError(`engine disk: cannot unmount or write-protect it: ${r.stderr.trim()}`);
}

/** unmountEngineDisk's guest side. */
export function unmountScript(): Script {
  return script(
    sh`for c in $(crun list -q 2>/dev/null); do crun kill "$c" KILL 2>/dev/null; done`,
    // Each container's shell writes its exit status to the disk once crun has ended: up to 10 s for that.
    sh`i=0; while pidof crun >/dev/null && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done`,
    sh`sleep 0.2`,
    sh`for m in $(awk '$2 ~ "^/run/glassbox/" {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done`,
    sh`sync`,
    sh`umount ${ENGINE_DISK_MOUNT} 2>/dev/null || mount -o remount,ro ${ENGINE_DISK_MOUNT}`,
  );
}
