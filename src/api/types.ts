// The public types of the Machine API: what a caller passes and gets back.

import type { PowerState } from '../machine/machine.ts';
import type { SnapshotCodec } from '../snapshot/codec.ts';
import type { InputEvent } from '../machine/input-log.ts';
import type { JitMode } from '../core/core.ts';
import type { NetBackend } from '../devices/virtio/net.ts';
import type { BlockBackend } from '../devices/virtio/blk.ts';
import type { NinePServer } from '../devices/virtio/9p.ts';
import type { RegionCompiler } from '../core/jit/compile-job.ts';

export type { BlockBackend, InputEvent, JitMode };

export type { PowerState };
export type ClockMode = 'virtual' | 'realtime';

export interface MachineOptions {
  /** The bzImage: its bytes, or where the platform finds it (a path in Node). Default: the project's guest. */
  kernel?: Uint8Array | string;
  /** The initramfs. Default: the project's, when `kernel` is not given either; none otherwise. */
  initrd?: Uint8Array | string;
  /** The kernel command line. Default: the console on COM1 (see src/boot/guest-defaults.ts). */
  cmdline?: string;
  /** Guest RAM in MiB, 16 to 2048. Default 256. */
  memoryMiB?: number;
  /**
   * 'virtual' (default): guest time comes from the instruction count and the
   * run is deterministic. 'realtime': guest time follows the wall clock (behind it
   * while the guest computes, catching up when it idles, never ahead of it).
   */
  clock?: ClockMode;
  /**
   * Resume from a snapshot (its bytes, or where the platform finds it: a path
   * in Node) instead of booting. The machine is as it was when the snapshot
   * was taken: RAM size and command line come from it, and the kernel and
   * initrd (the defaults, or given) must be the ones it was booted from,
   * since a guest reboot loads them again.
   */
  snapshot?: Uint8Array | string;
  /**
   * With `snapshot`, under the virtual clock: the inputs recorded on the
   * machine the snapshot was taken of (Machine.recordedInput()), fed to this
   * one instead of live input until they are spent, so it runs the same run.
   */
  replay?: readonly InputEvent[];
  /**
   * The CPU's translator to WebAssembly: 'on' compiles hot code, 'off'
   * interprets only, 'first' compiles everything on first execution (for
   * tests). Default: GLASSBOX_JIT in Node, else the core's default.
   */
  jit?: JitMode;
  /**
   * Disks, as virtio-blk devices in this order (the guest's /dev/vda, vdb...):
   * a BlockBackend, or a file the platform opens (Node only). A disk's bytes
   * are not part of a snapshot, and a machine with disks cannot be forked.
   */
  disks?: (BlockBackend | DiskSpec)[];
  /**
   * A network card (virtio-net, after the disks) and the host end of its link. In Node,
   * `{ backend: new UserNet(nodeOutside()) }` (src/net) gives the guest DHCP, DNS and
   * outbound TCP/UDP through the host's sockets (in a page, `browserOutside()`: inbound only). A snapshot of a machine
   * with one resumes only on a machine with one.
   */
  network?: NetworkOptions;
  /**
   * Host directories shared with the guest over virtio-9p, one device each
   * (after the disks and the network card), which the guest mounts with
   * `mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR`: a directory the
   * platform serves (Node), or a 9P server of the caller's. Their files are
   * not part of a snapshot, and a machine with shares cannot be forked.
   */
  shares?: (ShareSpec | ServedShare)[];
}

/** A host directory shared with the guest, read-only (EROFS, whatever the guest mounts) with `readOnly`. */
export interface ShareSpec {
  /** The mount tag the guest names. */
  tag: string;
  path: string;
  readOnly?: boolean;
}

/** A share whose 9P server the caller brings (the engine's, which exports directories as containers need them). */
export interface ServedShare {
  tag: string;
  server: NinePServer;
}

/** A disk image in a host file. */
export interface DiskSpec {
  path: string;
  readOnly?: boolean;
  /** Make the file, sparse, of this many bytes if it does not exist. */
  createBytes?: number;
}

/** The guest's network card. */
export interface NetworkOptions {
  /** The host end of the link. */
  backend: NetBackend;
  /** The card's MAC address (default 52:54:00:12:34:56). */
  mac?: string;
}

/** Where a platform finds the core and the guest files (Node: the file system; a browser: fetch). */
export interface Platform {
  coreModule(): Promise<WebAssembly.Module>;
  /** The bytes of a kernel or initrd named by `ref`; `what` names it in errors. */
  read(ref: string, what: string): Promise<Uint8Array>;
  defaultKernel: string;
  defaultInitrd: string;
  /** Compression and digests for snapshots (default: Web Streams and WebCrypto). */
  codec?: SnapshotCodec;
  /** Opens a disk image file (Node); a platform without files lacks it. */
  openDisk?(spec: DiskSpec): BlockBackend;
  /** Serves a host directory over 9P (Node); a platform without files lacks it. */
  openShare?(spec: ShareSpec): NinePServer;
  /** A digest of the compiled core, recorded in snapshots, if the platform knows it. */
  coreBuild?(): Promise<string>;
  /**
   * Reading a guest file is a download (a browser): a machine resuming from
   * a snapshot reads the kernel and initrd it names by reference only when
   * its guest reboots, and checks them against the snapshot's digests then.
   */
  guestFilesOnReboot?: boolean;
  /**
   * The SHA-256 (hex) of a guest file named by `ref`, without handing over
   * its bytes, where the platform can give it cheaply (Node: remembered by
   * the file's identity and age). A machine resuming from a snapshot then
   * checks the files at once but reads them only when its guest reboots.
   */
  fileSha256?(ref: string, what: string): Promise<string>;
  /** Compiles the translator's regions (e.g. thread-compiler.ts, on a Node worker thread); without it they are translated in the machine's thread. */
  regionCompiler?: RegionCompiler;
}

/** Timeouts count guest time: deterministic under the virtual clock, frozen while paused. */
export interface WaitOptions {
  timeoutMs?: number;
}

export interface ExecOptions {
  /** Bytes given to the command on its standard input (at most 64 KiB less the command). */
  stdin?: string | Uint8Array;
  /** Guest time the command may take before the agent kills it (default 60 s; 0: no limit). */
  timeoutMs?: number;
}

/** A terminal's size in character cells. */
export interface WindowSize {
  rows: number;
  cols: number;
}

export interface SpawnOptions {
  /** Guest time the command may take before the agent kills it (default: no limit). */
  timeoutMs?: number;
  /** Run it on a pty of this size, its controlling terminal (stdout and stderr arrive together as 'stdout'). */
  tty?: WindowSize;
  /**
   * With tty: the command passes the pty master to relay through the socket
   * in $GLASSBOX_CONSOLE_SOCKET, as an OCI runtime's --console-socket does.
   */
  consoleSocket?: boolean;
}

export interface SessionExit {
  /** The exit status; 128 + the signal's number when a signal killed it. */
  exitCode: number;
  signal?: number;
  timedOut: boolean;
}

export interface ExecSessionEvents extends Record<string, unknown[]> {
  stdout: [Uint8Array];
  stderr: [Uint8Array];
}

export interface ExecResult {
  /** The exit status; 128 + the signal's number when a signal killed it, as a shell reports. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The signal that killed the command, if one did. */
  signal?: number;
  /** The agent killed the command when its timeout ran out. */
  timedOut: boolean;
}

export interface MachineEvents extends Record<string, unknown[]> {
  /** The machine's power state changed; 'reset' is reported as it happens, then 'running'. */
  power: [PowerState];
  /**
   * A replay (MachineOptions.replay) reached the point where its recording
   * ended (the machine is paused there), or left the recorded run
   * (Machine.replayError says where; the machine is stopped).
   */
  replayed: [];
  /** A disk request met a host error (a full host disk, say): the guest got an I/O error; this says why. */
  diskError: [string];
}

export interface SerialEvents extends Record<string, unknown[]> {
  /** Bytes the guest wrote to its console (COM1), in order, batched per run slice. */
  data: [Uint8Array];
}

/** A request the machine cannot carry out; the message says why. */
export class MachineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MachineError';
  }
}
