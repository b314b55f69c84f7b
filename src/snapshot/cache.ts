// The booted default guest, kept as a snapshot on the host so that starting
// one costs a restore instead of a boot: made on first use, and made again
// whenever the core build, the guest images, the command line or the RAM size
// change (they make up the file's name). Node only.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Machine, SnapshotError, type ClockMode, type NetworkOptions } from '../api/index.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD, DEFAULT_KERNEL } from '../boot/default-guest.ts';
import { coreBuild } from '../core/load-node.ts';
import { FORMAT_VERSION } from './format.ts';

const PREFIX = 'default-guest-';

/** The cache file's name: what the snapshot depends on, digested. */
async function cacheName(memoryMiB: number, diskBytes?: number, network = false): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ format: FORMAT_VERSION, core: coreBuild(), cmdline: DEFAULT_CMDLINE, memoryMiB, ...(diskBytes ? { diskBytes } : {}), ...(network ? { network } : {}) }));
  for (const f of [DEFAULT_KERNEL, DEFAULT_INITRD]) h.update(await readFile(f));
  return `${PREFIX}${memoryMiB}m-${h.digest('hex').slice(0, 16)}.snap`;
}

/** Snapshots of other builds or images kept besides the current one (worktrees of different builds share a home). */
const KEEP_OTHERS = 3;

/**
 * A disk the guest has: the snapshot is made with a scratch disk of its size
 * (the guest reads only its capacity and first sectors while booting, and
 * drops those before it mounts the real one: containers/engine/disk.ts).
 */
export interface CachedDisk {
  path: string;
  bytes: number;
}

/** Boots the default guest to its agent (virtual clock) and writes its snapshot to `file`, atomically. */
async function make(dir: string, file: string, memoryMiB: number, disk?: CachedDisk, network?: NetworkOptions): Promise<Uint8Array> {
  mkdirSync(dir, { recursive: true });
  const scratch = join(dir, `.scratch-${process.pid}.img`);
  const m = await Machine.create({ memoryMiB, disks: disk ? [{ path: scratch, createBytes: disk.bytes }] : undefined, network });
  if (disk) rmSync(scratch); // open still: gone from the directory, whatever happens next
  m.start();
  try {
    await m.agentReady();
    const bytes = await m.snapshot();
    const tmp = join(dir, `.${file}.${process.pid}`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(dir, file));
    // Snapshots made for older builds or other images: the newest few stay, the rest go.
    const others = readdirSync(dir).filter((f) => f.startsWith(PREFIX) && f !== file)
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of others.slice(KEEP_OTHERS)) rmSync(join(dir, f), { force: true });
    return bytes;
  } finally {
    m.stop();
  }
}

/** The cached file's bytes, or undefined when there is none (or another process just removed it). */
async function cached(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The default guest booted with its agent ready, not started, resumed from
 * the snapshot cached in `dir` (made first if missing, unreadable or stale).
 * The machine is the same one a boot gives (test/snapshot proves it), on
 * the clock asked for.
 */
export async function cachedDefaultGuest(dir: string, memoryMiB: number, clock: ClockMode, disk?: CachedDisk, network?: NetworkOptions): Promise<Machine> {
  const file = await cacheName(memoryMiB, disk?.bytes, network !== undefined);
  const disks = disk ? [{ path: disk.path, createBytes: disk.bytes }] : undefined;
  const path = join(dir, file);
  const bytes = await cached(path);
  if (bytes) {
    try {
      return await Machine.create({ snapshot: bytes, memoryMiB, clock, disks, network });
    } catch (e) {
      // Refused (damaged, say): make it anew.
      if (!(e instanceof SnapshotError)) throw e;
    }
  }
  // The booting machine stops before the resumed one starts, so they can share the link (the card is in the snapshot, never the link).
  return Machine.create({ snapshot: await make(dir, file, memoryMiB, disk, network), memoryMiB, clock, disks, network });
}
