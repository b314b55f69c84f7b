// A booted guest (the default one, or a kernel under test with glassbox's
// userland) kept as a snapshot on the host so that starting one costs a
// restore instead of a boot: made on first use, and made again whenever the
// core build, the kernel, the initrd, the command line, the RAM size, the
// devices or the preparing script change (they make up the file's name).
// Node only.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Machine, SnapshotError, type ClockMode, type NetworkOptions, type ServedShare } from './index.ts';
import { NinePFileServer } from '../storage/ninep/server.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD, DEFAULT_KERNEL, FREED_PAGES_ZEROED } from '../boot/default-guest.ts';
import { coreBuild } from '../core/load-node.ts';
import { FORMAT_VERSION } from '../snapshot/format.ts';
import { glassboxHome } from '../home.ts';
import { fileSha256 } from './file-digest.ts';

/** Where the snapshots live: $GLASSBOX_SNAPSHOT_CACHE, else $GLASSBOX_HOME/snapshots. */
export function snapshotCacheDir(): string {
  return process.env.GLASSBOX_SNAPSHOT_CACHE ?? join(glassboxHome(), 'snapshots');
}

const PREFIX = 'default-guest-';
const KERNEL_PREFIX = 'kernel-';

/** What a booted guest depends on: its files' contents (by SHA-256, hex), its command line, RAM and devices. */
export interface BootedGuest {
  kernelSha256: string;
  initrdSha256: string;
  cmdline: string;
  memoryMiB: number;
  /** The size of its disk, when it has one (its contents are not in the snapshot). */
  diskBytes?: number;
  /** Whether it has a network card. */
  network?: boolean;
  /** The mount tags of its 9p shares (their files are not in the snapshot). */
  shareTags?: string[];
  /** The script run in it once booted, before the snapshot (GuestSetup.prepare). */
  prepared?: string;
}

/** The cache file's name: what the snapshot depends on, digested. */
function cacheName(prefix: string, g: BootedGuest): string {
  const h = createHash('sha256');
  const devices = {
    ...(g.diskBytes ? { diskBytes: g.diskBytes } : {}),
    ...(g.network ? { network: true } : {}),
    ...(g.shareTags?.length ? { shares: g.shareTags } : {}),
    ...(g.prepared ? { prepared: g.prepared } : {}),
  };
  // selfContained: the form kept (keep()); a cache of the same format kept in another form is remade.
  h.update(
    JSON.stringify({
      format: FORMAT_VERSION,
      selfContained: true,
      core: coreBuild(),
      cmdline: g.cmdline,
      memoryMiB: g.memoryMiB,
      ...devices,
      kernel: g.kernelSha256,
      initrd: g.initrdSha256,
    }),
  );
  return `${prefix}${g.memoryMiB}m-${h.digest('hex').slice(0, 16)}.snap`;
}

/** The default guest's command line when it is cached: freed pages zeroed, so they stay out of the file. */
const CACHED_CMDLINE = `${DEFAULT_CMDLINE} ${FREED_PAGES_ZEROED}`;

/** The default guest to cache: its RAM, devices, and what is done in it before the snapshot. */
export interface GuestSetup {
  memoryMiB: number;
  disk?: CachedDisk;
  network?: NetworkOptions;
  /**
   * 9p shares (after the network card). The snapshot is made with a server
   * that exports nothing (no mount is made before it), so no open file is
   * lost when the machine resumes on these.
   */
  shares?: ServedShare[];
  /**
   * A shell script the agent runs once the guest is booted, before the
   * snapshot, so that every start from it finds that work done (the
   * engine's network link: engine/boot.ts). Its exit status is not checked:
   * whoever starts from the snapshot checks what it needs.
   */
  prepare?: string;
}

/** The guest setup a snapshot depends on: of a disk, only its size (the snapshot is made with a scratch disk; the page resumes on its own). */
export type SnapshotSetup = Omit<GuestSetup, 'disk'> & { disk?: { bytes: number } };

async function defaultGuest(g: SnapshotSetup): Promise<BootedGuest> {
  // Digests remembered by the files' identity (file-digest.ts): neither this nor the restore after it reads 9 MB again.
  const [kernelSha256, initrdSha256] = await Promise.all([fileSha256(DEFAULT_KERNEL), fileSha256(DEFAULT_INITRD)]);
  return {
    kernelSha256,
    initrdSha256,
    cmdline: CACHED_CMDLINE,
    memoryMiB: g.memoryMiB,
    diskBytes: g.disk?.bytes,
    network: g.network !== undefined,
    shareTags: g.shares?.map((s) => s.tag),
    prepared: g.prepare,
  };
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

/** Writes a booted machine's snapshot to `dir`, atomically, and keeps only a few others of the same kind. */
async function keep(dir: string, prefix: string, g: BootedGuest, m: Machine): Promise<Uint8Array> {
  const file = cacheName(prefix, g);
  // Self-contained: every engine start and kernel run resumes from it, and a
  // snapshot naming the initrd's pages would have each of them inflate the
  // initrd first; the page ships it too, and resumes without the initrd.
  const bytes = await m.snapshot({ selfContained: true });
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${file}.${process.pid}`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(dir, file));
  // Snapshots made for older builds or other images: the newest few stay, the rest go.
  const others = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f !== file)
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of others.slice(KEEP_OTHERS)) rmSync(join(dir, f), { force: true });
  return bytes;
}

/** How long the preparing script may take before the snapshot is made without waiting on it further. */
const PREPARE_MS = 120_000;

/** Boots the default guest to its agent (virtual clock), runs its preparing script, and keeps its snapshot in `dir`. */
async function make(dir: string, g: SnapshotSetup): Promise<Uint8Array> {
  mkdirSync(dir, { recursive: true });
  const scratch = join(dir, `.scratch-${process.pid}.img`);
  const m = await Machine.create({
    memoryMiB: g.memoryMiB,
    cmdline: CACHED_CMDLINE,
    disks: g.disk ? [{ path: scratch, createBytes: g.disk.bytes }] : undefined,
    network: g.network,
    shares: g.shares?.map((s) => ({ tag: s.tag, server: new NinePFileServer(new Map()) })),
  });
  if (g.disk) rmSync(scratch); // open still: gone from the directory, whatever happens next
  m.start();
  try {
    await m.agentReady();
    if (g.prepare !== undefined) await m.exec(g.prepare, { timeoutMs: PREPARE_MS });
    return await keep(dir, PREFIX, await defaultGuest(g), m);
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
 * The booted default guest's snapshot cached in `dir`, made first if
 * missing (the page ships it too: scripts/web.ts).
 */
export async function defaultGuestSnapshot(dir: string, g: SnapshotSetup): Promise<Uint8Array> {
  return (await cached(join(dir, cacheName(PREFIX, await defaultGuest(g))))) ?? make(dir, g);
}

/**
 * The cached snapshot of a kernel under test booted to its agent
 * (glassbox kernel run), or undefined when there is none yet; `keepKernel`
 * makes it from a machine that just got there.
 */
export async function kernelSnapshot(dir: string, g: BootedGuest): Promise<Uint8Array | undefined> {
  return cached(join(dir, cacheName(KERNEL_PREFIX, g)));
}

export async function keepKernel(dir: string, g: BootedGuest, m: Machine): Promise<void> {
  await keep(dir, KERNEL_PREFIX, g, m);
}

/**
 * The default guest booted with its agent ready, not started, resumed from
 * the snapshot cached in `dir` (made first if missing, unreadable or stale).
 * The machine is the same one a boot gives (test/snapshot proves it), on
 * the clock asked for.
 */
export async function cachedDefaultGuest(dir: string, g: GuestSetup, clock: ClockMode): Promise<Machine> {
  const opts = { memoryMiB: g.memoryMiB, clock, disks: g.disk ? [{ path: g.disk.path, createBytes: g.disk.bytes }] : undefined, network: g.network, shares: g.shares };
  try {
    return await Machine.create({ snapshot: await defaultGuestSnapshot(dir, g), ...opts });
  } catch (e) {
    // Refused (damaged, say): make it anew.
    if (!(e instanceof SnapshotError)) throw e;
  }
  // The booting machine stops before the resumed one starts, so they can share the link (the card is in the snapshot, never the link).
  return Machine.create({ snapshot: await make(dir, g), ...opts });
}
