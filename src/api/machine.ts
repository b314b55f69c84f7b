// The Machine: glassbox's one entry point. A PC with a Linux guest, its
// console on COM1 and the guest agent on COM2, run in slices on the event
// loop so the host stays responsive. Everything here works in Node and in a
// browser worker alike; where the core and the guest files come from is a
// Platform's business (index.ts for Node).

import { AgentClient, Feature, MAX_PAYLOAD, type Hello } from '../agent/protocol.ts';
import { AgentSession } from '../agent/session.ts';
import { parseBzImage } from '../boot/bzimage.ts';
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../boot/guest-defaults.ts';
import { loadLinux } from '../boot/load-linux.ts';
import { Core } from '../core/core.ts';
import { NS_PER_INSTRUCTION, PcMachine, type PowerState } from '../machine/machine.ts';
import { SerialLink } from '../machine/serial-link.ts';
import { Emitter } from './emitter.ts';
import { ExecSession } from './exec-session.ts';
import { SerialConsole } from './serial-console.ts';
import {
  MachineError,
  type ClockMode,
  type ExecOptions,
  type ExecResult,
  type MachineEvents,
  type MachineOptions,
  type NetworkOptions,
  type Platform,
  type ServedShare,
  type SpawnOptions,
  type WaitOptions,
} from './types.ts';
import { sleep, yieldToEvents } from './yield.ts';
import { webCodec, type SnapshotCodec } from '../snapshot/codec.ts';
import { encodeSnapshot, openSnapshot, SnapshotError, type GuestFile, type SnapshotInfo } from '../snapshot/format.ts';
import { captureRam, coreLayout, restore, type Resume } from '../snapshot/machine-state.ts';
import { LazyRam } from '../snapshot/lazy-ram.ts';
import { archiveOf, indexOf, InitrdPages, splitInitrdPages, type InitrdIndex } from '../snapshot/initrd-pages.ts';
import { copyRecords } from '../snapshot/records.ts';
import { StateError } from '../state/records.ts';
import { MachineNetwork } from './network.ts';
import { otherDigests, otherFiles, type BootFiles, type DeferredFiles, type RecordedFiles } from './guest-files.ts';
import { VirtioBlock, type BlockBackend } from '../devices/virtio/blk.ts';
import { Virtio9p } from '../devices/virtio/9p.ts';
import { ForkableDisk } from '../storage/forkable-disk.ts';
import { InputRecorder, InputReplay, ReplayDiverged, type InputEvent } from '../machine/input-log.ts';
import type { MouseMotion } from '../devices/ps2-mouse.ts';
import type { RegionCompiler } from '../core/jit/compile-job.ts';
import { WallClock } from '../machine/wall-clock.ts';

/** Instructions per run slice: 10-30 ms of host time, so the event loop turns often. */
const SLICE = 1_000_000;
/** Guest time the guest gets to start its agent (a boot takes 10-20 s of it). */
const AGENT_HELLO_TIMEOUT_MS = 120_000;
const EXEC_TIMEOUT_MS = 60_000;
/** How long past its own timeout the agent gets to report a killed command. */
const EXEC_GRACE_MS = 10_000;
const WAIT_TIMEOUT_MS = 60_000;
/**
 * Under the virtual clock, how long a guest may only keep time (PcMachine.quietNs)
 * while everything the host waits on waits without a deadline, before the
 * machine stops running it until the host wakes it: past that, its ticking
 * would spin the host for nothing. Ten minutes of guest time: far beyond any
 * pause between the bursts of a guest at work (a few seconds), and a command
 * meant to sleep longer than that is given a timeout.
 */
export const QUIET_LIMIT_MS = 600_000;
/** An EXEC payload's fixed fields before the command and stdin (PROTOCOL.md). */
const EXEC_HEADER = 12;

export type RunState = 'stopped' | 'running' | 'paused';

interface Waiter {
  deadlineNs: number;
  fail(reason: string): void;
  timeout(): void;
}

interface TextWaiter {
  pattern: RegExp;
  resolve(text: string): void;
  done: boolean;
}

/** Guest RAM in MiB, checked: an integer from 16 to 2048. */
export function checkMemoryMiB(n: number): number {
  if (!Number.isInteger(n) || n < 16 || n > 2048) throw new MachineError(`memoryMiB must be an integer from 16 to 2048, not ${n}`);
  return n;
}

function checkWindowSize(size: { rows: number; cols: number }, what: string): void {
  for (const n of [size.rows, size.cols]) {
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new MachineError(`${what}: a window size is whole rows and columns from 1 to 65535, not ${size.rows}x${size.cols}`);
  }
}

/** What a machine is made from: a reboot, a snapshot and a fork need it again. */
interface Making {
  /** Absent for a machine resumed with `onReboot`: read when the guest first reboots. */
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  onReboot?: DeferredFiles;
  kernelName?: string;
  initrdName?: string;
  codec?: SnapshotCodec;
  coreBuild?: () => Promise<string>;
  /** The disks, opened. */
  disks?: BlockBackend[];
  /** The shared host directories, served. */
  shares?: ServedShare[];
  /** Compiles hot code off this thread, where the platform can (Platform.regionCompiler). */
  regionCompiler?: RegionCompiler;
}

/** The disks `opts` names, opened through `platform` where given as files. */
function openDisks(opts: MachineOptions, platform: Platform): BlockBackend[] {
  return (opts.disks ?? []).map((d) => {
    if (!('path' in d)) return d;
    if (!platform.openDisk) throw new MachineError(`disk ${d.path}: this platform opens no disk files; give a BlockBackend`);
    return platform.openDisk(d);
  });
}

/** The shares `opts` names, served through `platform` where given as directories. */
function openShares(opts: MachineOptions, platform: Platform): ServedShare[] {
  return (opts.shares ?? []).map((s) => {
    if ('server' in s) return s;
    if (!platform.openShare) throw new MachineError(`share ${s.path}: this platform serves no host directories; give a 9P server`);
    return { tag: s.tag, server: platform.openShare(s) };
  });
}

/** The kernel and initrd `opts` names (bytes or references), and their names for messages. */
function fileRefs(opts: MachineOptions, platform: Platform) {
  const kernel = opts.kernel ?? platform.defaultKernel;
  const initrd = opts.initrd ?? (opts.kernel === undefined ? platform.defaultInitrd : undefined);
  return {
    kernel,
    initrd,
    names: { kernel: typeof kernel === 'string' ? `kernel ${kernel}` : 'kernel', initrd: typeof initrd === 'string' ? `initrd ${initrd}` : 'initrd' },
  };
}

/** The kernel and initrd `opts` names, read through `platform` where not given as bytes. */
async function guestFiles(opts: MachineOptions, platform: Platform): Promise<Making & { kernelName: string; initrdName: string }> {
  const refs = fileRefs(opts, platform);
  const bytes = (ref: Uint8Array | string | undefined, what: string) => (typeof ref === 'string' ? platform.read(ref, what) : Promise.resolve(ref));
  const [kernel, initrd] = await Promise.all([bytes(refs.kernel, 'kernel'), bytes(refs.initrd, 'initrd')]);
  return { kernel: kernel!, initrd, kernelName: refs.names.kernel, initrdName: refs.names.initrd, codec: platform.codec, coreBuild: platform.coreBuild };
}

/**
 * Why the files `opts` names by reference are not the ones a snapshot
 * recorded, from their digests alone (Platform.fileSha256).
 */
async function otherNamedFiles(opts: MachineOptions, platform: Platform, recorded: RecordedFiles): Promise<string | undefined> {
  const refs = fileRefs(opts, platform);
  const [kernel, initrd] = await Promise.all([
    platform.fileSha256!(refs.kernel as string, 'kernel'),
    refs.initrd === undefined ? undefined : platform.fileSha256!(refs.initrd as string, 'initrd'),
  ]);
  return otherDigests({ kernel, initrd }, recorded, refs.names);
}

export class Machine extends Emitter<MachineEvents> {
  /** The PC underneath (core, chips, clock): for the inspector, not for ordinary use. */
  readonly pc: PcMachine;
  /** The guest's console on COM1. */
  readonly serial: SerialConsole;
  readonly clock: ClockMode;
  private readonly agent: AgentClient;
  private readonly agentLink: SerialLink;
  private readonly consoleLink: SerialLink;
  private consoleOut: number[] = [];
  private agentIn: number[] = [];
  private runState: RunState = 'stopped';
  private looping = false;
  private power: PowerState = 'running';
  private readonly waiters = new Set<Waiter>();
  private textWaiters: TextWaiter[] = [];
  private wakeUp?: () => void;
  /** Under the realtime clock: guest time against the wall, and the rate fitted to it. */
  private readonly wall: WallClock;
  private recorder?: InputRecorder;
  private replay?: InputReplay;
  /** Why a replay stopped before its log was spent, if it did. */
  replayError?: ReplayDiverged;
  /** The network card and its link, when the machine has one. */
  readonly network?: MachineNetwork;
  /** The kernel and initrd, once read (Making.onReboot). */
  private files?: BootFiles;
  /** A reboot waits for the kernel and initrd to be read (Making.onReboot). */
  private rebootWaits = false;
  /** Loads the kernel and initrd into RAM and sets the CPU at the kernel's entry. */
  private readonly bootLinux: () => void;
  private readonly disks: ForkableDisk[];

  /**
   * A machine from the guest's bytes and an already compiled core, powered
   * on at the kernel's entry point but not yet running (call start()).
   */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly opts: Omit<MachineOptions, 'snapshot' | 'disks' | 'shares'> & Making,
    resume?: Resume,
  ) {
    super();
    if (!opts.kernel && !opts.onReboot) throw new MachineError('a machine needs a kernel');
    this.files = opts.kernel && { kernel: opts.kernel, initrd: opts.initrd };
    let kernel = opts.kernel && parseBzImage(opts.kernel, opts.kernelName ?? 'kernel');
    const bytes = checkMemoryMiB(opts.memoryMiB ?? DEFAULT_MEMORY_MIB) * 1048576;
    this.clock = opts.clock ?? 'virtual';
    if (this.clock !== 'virtual' && this.clock !== 'realtime') throw new MachineError(`clock must be "virtual" or "realtime", not "${this.clock}"`);
    // The hooks run inside the core's run loop: only collect bytes there, and hand them on
    // after the run (at the end of a slice, or in a microtask when the inspector drives `pc` itself).
    this.pc = new PcMachine((h) => Core.create(module, bytes, h, { jit: opts.jit, compiler: opts.regionCompiler }), bytes, {
      serial: (port, byte) => {
        if (!this.consoleOut.length && !this.agentIn.length) queueMicrotask(() => this.deliver());
        (port === 0 ? this.consoleOut : this.agentIn).push(byte);
      },
      pumpInput: () => (this.replaying ? this.replay!.pump() : this.consoleLink.pump() + this.agentLink.pump() > 0),
      // A guest reboot (reboot(2), a keyboard-controller or port 0x92 reset, a triple fault)
      // boots the same kernel and initrd again, as QEMU's firmware does with -kernel
      // (once they are read, when the machine resumed without them: loop()).
      reset: () => (this.files ? this.bootLinux() : (this.rebootWaits = true)),
    });
    this.wall = new WallClock(this.pc);
    this.consoleLink = new SerialLink(this.pc.com[0]);
    this.agentLink = new SerialLink(this.pc.com[1]);
    this.serial = new SerialConsole(this.consoleLink, () => this.wake());
    this.agent = new AgentClient((b) => {
      this.agentLink.send(b);
      this.wake();
    });
    // Disks go in before the guest boots (or the snapshot loads), in the same order: the kernel finds them by slot.
    // Each behind a ForkableDisk, so that a fork gets the disk as it is then (fork()).
    this.disks = (opts.disks ?? []).map((d) => new ForkableDisk(d));
    this.disks.forEach((disk, i) => this.pc.addVirtio(`virtio-blk${i}`, new VirtioBlock(disk, `glassbox-disk${i}`, (why) => queueMicrotask(() => this.emit('diskError', why)))));
    if (opts.network) {
      if (this.clock === 'virtual' && resume?.replay) throw new MachineError('replay: a machine with a network card cannot replay (its link is live)');
      this.network = new MachineNetwork(this.pc, opts.network, () => this.wake());
    }
    (opts.shares ?? []).forEach((s, i) => this.pc.addVirtio(`virtio-9p${i}`, new Virtio9p(s.tag, s.server)));
    // The kernel finds the virtio devices on its command line (a snapshot records the command line without them).
    const cmdline = [opts.cmdline ?? DEFAULT_CMDLINE, this.pc.virtioCmdline()].filter(Boolean).join(' ');
    this.bootLinux = () => {
      kernel ??= parseBzImage(this.files!.kernel, opts.kernelName ?? 'kernel');
      loadLinux(this.pc.core, kernel, { cmdline, initrd: this.files!.initrd });
    };
    this.pc.state.add('agent', this.agent);
    this.pc.state.add('console-input', this.consoleLink);
    this.pc.state.add('agent-input', this.agentLink);
    if (resume) {
      restore(this.pc, resume);
      // A guest saved under the realtime clock may have had its instructions' time changed; the virtual clock's is fixed.
      if (this.clock === 'virtual') this.pc.nsPerInstruction = NS_PER_INSTRUCTION;
      this.power = this.pc.power;
      if (resume.replay) {
        if (this.clock !== 'virtual') throw new MachineError('replay: only under the virtual clock');
        this.replay = new InputReplay(this.pc, resume.replay);
      }
    } else {
      this.bootLinux();
    }
  }

  private get codec(): SnapshotCodec {
    return this.opts.codec ?? webCodec;
  }

  /** The state records now, or a MachineError saying why they cannot be taken. */
  private saveState(what: string): Resume['records'] {
    try {
      return this.pc.state.save();
    } catch (e) {
      if (e instanceof StateError) throw new MachineError(`${what}: ${e.message}`);
      throw e;
    }
  }

  /**
   * The machine's whole state as a snapshot (src/snapshot/format.ts): CPU,
   * devices, clock, agent session and RAM, as of this call (the machine may
   * run on while the bytes are made). Refused while an exec or spawn is in
   * flight: its caller is waiting on this host, which no snapshot can carry.
   * Pages that equal a block of a file in the initrd are named, not stored,
   * unless `selfContained`: resuming from such a snapshot reads and inflates
   * the initrd first (about 0.3 s of CPU for the default guest's).
   */
  async snapshot(opts: { selfContained?: boolean } = {}): Promise<Uint8Array> {
    const records = this.saveState('snapshot');
    const chunks = captureRam(this.pc);
    const instructions = this.pc.core.instructions.toString();
    if (this.rebootWaits) throw new MachineError('snapshot: the guest is rebooting, its kernel not read yet');
    const file = async (bytes: Uint8Array, name: string): Promise<GuestFile> => ({ name, sha256: await this.codec.sha256(bytes) });
    const recorded = this.files ? undefined : this.opts.onReboot!.recorded;
    const info: SnapshotInfo = {
      core: { layout: coreLayout(this.pc.core), ...(this.opts.coreBuild ? { build: await this.opts.coreBuild() } : {}) },
      devices: this.pc.state.manifest,
      ramBytes: this.pc.memoryBytes,
      kernel: recorded?.kernel ?? (await file(this.files!.kernel, this.opts.kernelName ?? 'kernel')),
      initrd: recorded ? recorded.initrd : this.files!.initrd ? await file(this.files!.initrd, this.opts.initrdName ?? 'initrd') : null,
      cmdline: this.opts.cmdline ?? DEFAULT_CMDLINE,
      clock: this.clock,
      instructions,
    };
    const index = !opts.selfContained && info.initrd && (await this.initrdIndex(info.initrd.sha256));
    const ram = index ? splitInitrdPages(chunks, index) : { chunks, initrdPages: [] };
    return encodeSnapshot(info, records, ram.chunks, this.codec, ram.initrdPages);
  }

  /**
   * The index of the initrd's file blocks, whose pages a snapshot names
   * instead of storing (src/snapshot/initrd-pages.ts); undefined when the
   * initrd is no archive, or (a machine resumed without reading it) the
   * file read now is not the one it was booted with.
   */
  private async initrdIndex(sha256: string): Promise<InitrdIndex | undefined> {
    const read = async () => {
      const initrd = this.files?.initrd ?? (await this.opts.onReboot!.read()).initrd;
      if (!initrd || (!this.files && (await this.codec.sha256(initrd)) !== sha256)) throw new MachineError('snapshot: the initrd changed since the machine booted');
      return initrd;
    };
    return indexOf(sha256, read, this.codec.gunzip).catch((e: unknown) => {
      if (e instanceof MachineError) return undefined;
      throw e;
    });
  }

  /**
   * Starts logging what comes in from outside (console and agent bytes, and
   * guest time the host lets pass while the guest waits on it), virtual clock
   * only. Take a snapshot at the same moment: `Machine.create({ snapshot,
   * replay: m.recordedInput() })` then runs the same run.
   */
  startRecording(): void {
    if (this.clock !== 'virtual') throw new MachineError('startRecording: only under the virtual clock, where a run is a function of its inputs');
    const recorder = (this.recorder = new InputRecorder(this.pc));
    this.consoleLink.onMoved = (b) => recorder.input('console', b);
    this.agentLink.onMoved = (b) => recorder.input('agent', b);
  }

  /**
   * Moves the PS/2 mouse and sets its buttons (bit 0 left, 1 right, 2
   * middle, 3 and 4 the side buttons; dy positive is up): one packet to the
   * guest's driver if it has turned reporting on. Returns whether the mouse
   * took the motion (false while the guest has its auxiliary port disabled
   * or has not read the last packets yet). Mouse input is not in the input
   * log, so it is refused while recording.
   */
  moveMouse(motion: MouseMotion): boolean {
    if (this.recorder) throw new MachineError('moveMouse: mouse input is not in the input log, so it cannot be given while recording');
    return this.pc.i8042.moveMouse(motion);
  }

  /** The inputs logged since startRecording(), ending with where the machine is now. */
  recordedInput(): InputEvent[] {
    if (!this.recorder) throw new MachineError('recordedInput: nothing is being recorded; call startRecording() first');
    return this.recorder.log();
  }

  /** Inputs come from the replay, not the host. */
  private get replaying(): boolean {
    return this.replay !== undefined && !this.replay.done;
  }

  /**
   * An independent machine in this process, in the state this one is in now
   * (RAM, CPU, devices, clock, agent session): not started, and sharing
   * nothing with this one that either can change. Its RAM is this one's as
   * it is now, copied by page as the fork reaches each page, or as this one
   * is about to write it (src/snapshot/lazy-ram.ts); its disks likewise by
   * block, the fork's writes kept in memory (src/storage/forkable-disk.ts).
   * A machine with a network card forks only given the fork's own host end
   * of its link (`network`): one link cannot carry two guests' frames. The
   * fork's card starts where this one's is, on the new link; connections
   * open in the guest at the fork have no host end there, and fail.
   */
  fork(opts: { network?: NetworkOptions } = {}): Machine {
    if (this.network && !opts.network) {
      throw new MachineError(
        'fork: this machine has a network card, and its link (the host end) cannot be shared with a fork: give the fork its own, fork({ network: { backend } })',
      );
    }
    if (!this.network && opts.network) throw new MachineError("fork: this machine has no network card, so its fork cannot have one (the device set is the parent's)");
    // Two guests on one 9P server would share its open files (fids), and neither expects the other's writes.
    if (this.opts.shares?.length) throw new MachineError('fork: this machine shares host directories (virtio-9p), which a fork cannot share with it');
    const records = copyRecords(this.saveState('fork'));
    const disks = this.disks.map((d) => d.fork());
    const network = opts.network && { mac: this.network!.options.mac, ...opts.network };
    return new (this.constructor as typeof Machine)(this.module, { ...this.opts, ...this.files, disks, network }, { records, ram: LazyRam.fork(this.pc.core) });
  }

  /** A machine from `opts`, reading what is not given as bytes through `platform`. */
  static async create(opts: MachineOptions, platform: Platform): Promise<Machine> {
    if (opts.snapshot !== undefined) return this.resume(opts, opts.snapshot, platform);
    if (opts.replay) throw new MachineError('replay: give the snapshot the recording started from as well');
    const [core, making] = await Promise.all([platform.coreModule(), guestFiles(opts, platform)]);
    return new this(core, {
      cmdline: opts.cmdline,
      memoryMiB: opts.memoryMiB,
      clock: opts.clock,
      jit: opts.jit,
      network: opts.network,
      ...making,
      disks: openDisks(opts, platform),
      shares: openShares(opts, platform),
      regionCompiler: platform.regionCompiler,
    });
  }

  /** A machine resumed from a snapshot, checked against the guest files and this build before anything runs. */
  private static async resume(opts: MachineOptions, ref: Uint8Array | string, platform: Platform): Promise<Machine> {
    const codec = platform.codec ?? webCodec;
    const name = typeof ref === 'string' ? `snapshot ${ref}` : 'snapshot';
    const refuse = (why: string) => new SnapshotError(`${name}: ${why}`);
    // Files named by reference wait for a reboot where reading them is a download (the page's first prompt does not need them),
    // or where the platform knows their digests without reading them (Node: a restore does not read or digest 9 MB).
    const byName = typeof opts.kernel !== 'object' && typeof opts.initrd !== 'object';
    const later = byName && (platform.guestFilesOnReboot === true || platform.fileSha256 !== undefined);
    const [core, making, bytes] = await Promise.all([
      platform.coreModule(),
      later ? undefined : guestFiles(opts, platform),
      typeof ref === 'string' ? platform.read(ref, 'snapshot') : ref,
    ]);
    const snap = await openSnapshot(bytes, codec).catch((e: Error) => {
      throw e instanceof SnapshotError ? refuse(e.message) : e;
    });
    const h = snap.header;
    if (opts.memoryMiB !== undefined && opts.memoryMiB * 1048576 !== h.ramBytes) throw refuse(`it is of a machine with ${h.ramBytes / 1048576} MiB of RAM, not ${opts.memoryMiB}`);
    if (opts.cmdline !== undefined && opts.cmdline !== h.cmdline)
      throw refuse(`it was booted with the command line ${JSON.stringify(h.cmdline)}, not ${JSON.stringify(opts.cmdline)}`);
    const recorded = { kernel: h.kernel, initrd: h.initrd };
    let files: Making;
    if (making) {
      const why = await otherFiles({ kernel: making.kernel!, initrd: making.initrd }, recorded, { kernel: making.kernelName, initrd: making.initrdName }, codec);
      if (why) throw refuse(why);
      files = making;
    } else {
      const why = platform.fileSha256 && (await otherNamedFiles(opts, platform, recorded));
      if (why) throw refuse(why);
      files = { codec, coreBuild: platform.coreBuild, onReboot: { recorded, read: () => guestFiles(opts, platform) as Promise<BootFiles> } };
    }
    let ram = snap.ram;
    if (h.initrdPages.length) {
      // Pages named in the initrd's archive: the initrd is read (already checked by digest) and inflated now.
      const refs = fileRefs(opts, platform);
      const initrd = making?.initrd ?? refs.initrd;
      const read = async () => {
        const bytes = typeof initrd === 'string' ? await platform.read(initrd, 'initrd') : initrd!;
        // Checked already, unless the platform reads files only on a reboot (the page), when it is checked here.
        const why = !making && !platform.fileSha256 && otherDigests({ kernel: h.kernel.sha256, initrd: await codec.sha256(bytes) }, recorded, refs.names);
        if (why) throw refuse(why);
        return bytes;
      };
      const archive = await archiveOf(h.initrd!.sha256, read, codec.gunzip);
      if (!archive) throw refuse('it names pages in its initrd, which is neither a gzip nor a cpio archive');
      try {
        ram = new InitrdPages(ram, h.initrdPages, archive);
      } catch (e) {
        throw e instanceof SnapshotError ? refuse(e.message) : e;
      }
    }
    const resume: Resume = { records: snap.records, ram, info: h, replay: opts.replay };
    try {
      return new this(
        core,
        {
          clock: opts.clock,
          jit: opts.jit,
          network: opts.network,
          memoryMiB: h.ramBytes / 1048576,
          cmdline: h.cmdline,
          ...files,
          disks: openDisks(opts, platform),
          shares: openShares(opts, platform),
          regionCompiler: platform.regionCompiler,
        },
        resume,
      );
    } catch (e) {
      throw e instanceof SnapshotError ? refuse(e.message) : e;
    }
  }

  /** Whether the machine is running, paused (by the host) or stopped. */
  get state(): RunState {
    return this.runState;
  }

  /** Instructions the CPU has retired since power-on. */
  get instructions(): bigint {
    return this.pc.core.instructions;
  }

  /** Runs the machine on the event loop until stop(), pause() or power off. */
  start(): void {
    if (this.power === 'off') throw new MachineError('start: the machine is off');
    this.runState = 'running';
    this.wall.start();
    void this.loop();
  }

  /** Stops running; whatever waits on the machine (waitFor, exec) fails. start() continues. */
  stop(): void {
    this.runState = 'stopped';
    this.failAll('the machine was stopped');
    this.wake();
  }

  /** Freezes the machine (and guest time, so pending timeouts do not run out) until resume(). */
  pause(): void {
    if (this.runState !== 'running') return;
    this.runState = 'paused';
    this.wake();
  }

  resume(): void {
    if (this.runState === 'paused') this.start();
  }

  /**
   * Waits until the console prints something matching `pattern`, looking at
   * the output after the previous waitFor's match, and returns that output
   * up to the end of the match.
   */
  waitFor(pattern: string | RegExp, opts: WaitOptions = {}): Promise<string> {
    const what = `waitFor ${pattern}`;
    this.mustRun(what);
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : new RegExp(pattern.source, pattern.flags.replace('g', ''));
    const ms = opts.timeoutMs ?? WAIT_TIMEOUT_MS;
    let waiter: TextWaiter;
    const seen = new Promise<string>((resolve) => this.textWaiters.push((waiter = { pattern: re, resolve, done: false })));
    this.matchText();
    return this.within(seen, ms, what, () => {
      waiter.done = true;
      return `not seen on the console within ${ms / 1000} s of guest time; it printed since: ${JSON.stringify(this.serial.unread.slice(-300))}`;
    });
  }

  /** Resolves with the agent's greeting once the guest agent on COM2 is up. */
  agentReady(opts: WaitOptions = {}): Promise<Hello> {
    this.mustRun('agentReady');
    return this.hello('agentReady', opts.timeoutMs ?? AGENT_HELLO_TIMEOUT_MS);
  }

  /** Runs a shell command line in the guest through its agent. */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const what = `exec ${JSON.stringify(command.length > 60 ? command.slice(0, 57) + '...' : command)}`;
    this.mustRun(what);
    const stdin = typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin;
    const room = MAX_PAYLOAD - EXEC_HEADER - new TextEncoder().encode(command).length;
    if (room < 0) throw new MachineError(`${what}: the command is longer than one agent request holds (${MAX_PAYLOAD - EXEC_HEADER} bytes)`);
    if (stdin && stdin.length > room) throw new MachineError(`${what}: ${stdin.length} bytes of stdin do not fit in one agent request (at most ${room} with this command)`);
    await this.hello(what, AGENT_HELLO_TIMEOUT_MS);
    const timeoutMs = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
    const limit = timeoutMs === 0 ? Infinity : timeoutMs + EXEC_GRACE_MS;
    const r = await this.within(this.agent.exec(command, { stdin, timeoutMs }), limit, what, () => `the guest agent did not answer within ${limit / 1000} s of guest time`);
    const text = new TextDecoder();
    return { exitCode: r.exitCode, stdout: text.decode(r.stdout), stderr: text.decode(r.stderr), timedOut: r.timedOut, ...(r.signal ? { signal: r.signal } : {}) };
  }

  /**
   * Starts a command in the guest that the host talks to while it runs:
   * output as it comes, stdin streamed, optionally a pty (see ExecSession).
   */
  async spawn(command: string, opts: SpawnOptions = {}): Promise<ExecSession> {
    const what = `spawn ${JSON.stringify(command.length > 60 ? command.slice(0, 57) + '...' : command)}`;
    this.mustRun(what);
    const hello = await this.hello(what, AGENT_HELLO_TIMEOUT_MS);
    const need = opts.tty ? Feature.PTY : Feature.STREAM_STDIN;
    if ((hello.features & need) === 0)
      throw new MachineError(`${what}: this guest's agent cannot ${opts.tty ? 'give a command a terminal' : 'stream stdin'} (it predates that; rebuild the guest image)`);
    if (opts.tty) checkWindowSize(opts.tty, what);
    const timeoutMs = opts.timeoutMs ?? 0;
    const limit = timeoutMs === 0 ? Infinity : timeoutMs + EXEC_GRACE_MS;
    return new ExecSession(
      (output) => new AgentSession(this.agent, command, { ...opts, timeoutMs }, output),
      (end) => this.within(end, limit, what, () => `the guest agent did not report the end within ${limit / 1000} s of guest time`),
    );
  }

  private hello(what: string, ms: number): Promise<Hello> {
    return this.within(
      this.agent.ready(false),
      ms,
      what,
      () => `the guest agent never said HELLO on COM2 within ${ms / 1000} s of guest time (does this guest start glassbox-agent?)`,
    );
  }

  private mustRun(what: string): void {
    if (this.power === 'off') throw new MachineError(`${what}: the machine is off`);
    if (this.runState === 'stopped') throw new MachineError(`${what}: the machine is not running; call start() first`);
  }

  /** `work`, failing with a MachineError naming `what` if guest time passes `ms` first, or the machine stops or powers off. */
  private within<T>(work: Promise<T>, ms: number, what: string, timedOut: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        deadlineNs: this.pc.nowNs() + ms * 1e6,
        fail: (reason) => {
          this.waiters.delete(w);
          reject(new MachineError(`${what}: ${reason}`));
        },
        timeout: () => w.fail(timedOut()),
      };
      this.waiters.add(w);
      work.then(
        (v) => (this.waiters.delete(w), resolve(v)),
        (e: Error) => w.fail(e.message),
      );
      this.wake();
    });
  }

  private failAll(reason: string): void {
    for (const w of [...this.waiters]) w.fail(reason);
    this.textWaiters = [];
    this.agent.fail(new Error(reason));
  }

  private wake(): void {
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.keepRunning()) {
        if (this.rebootWaits) {
          await this.readFilesAndBoot();
          continue;
        }
        this.runSlice(SLICE);
        if (!this.keepRunning()) break;
        if (this.pc.power === 'halted') await this.idle();
        else await this.pace();
      }
    } finally {
      this.looping = false;
    }
  }

  /** A reboot of a machine resumed without its kernel and initrd: they are read and checked, then booted; the machine powers off if they cannot be. */
  private async readFilesAndBoot(): Promise<void> {
    const deferred = this.opts.onReboot!;
    const names = { kernel: this.opts.kernelName ?? 'kernel', initrd: this.opts.initrdName ?? 'initrd' };
    let why: string | undefined;
    try {
      const files = await deferred.read();
      why = await otherFiles(files, deferred.recorded, names, this.codec);
      if (!why) this.files = files;
    } catch (e) {
      why = (e as Error).message;
    }
    this.rebootWaits = false;
    if (why) {
      this.pc.power = 'off';
      this.failAll(`the guest rebooted, and its kernel cannot be loaded: ${why}`);
      this.setPower('off');
      return;
    }
    this.bootLinux();
  }

  private keepRunning(): boolean {
    return this.runState === 'running' && this.power !== 'off';
  }

  /**
   * Runs `count` instructions while the machine is paused or stopped: the inspector's single step.
   * Time the CPU spends halted counts too (10 ns per instruction), so a halted guest retires fewer.
   */
  step(count = 1): void {
    if (this.runState === 'running') throw new MachineError('step: pause the machine before stepping it');
    if (this.power !== 'off') this.runSlice(count);
  }

  /** Up to `count` instructions' worth of guest time, then everything it caused: console and agent bytes, power changes, timeouts. */
  private runSlice(count: number): void {
    this.expire();
    const resets = this.pc.resets;
    if (this.clock === 'realtime') this.pc.idleSkipLimitNs = this.wall.wallNs();
    else if (this.network) this.pc.idleSkipLimitNs = this.network.idleSkipLimit(this.pc.nowNs());
    this.pc.quietLimitNs = this.mayPark() ? QUIET_LIMIT_MS * 1e6 : Infinity;
    try {
      if (this.replay?.ended()) {
        this.replay = undefined;
        this.pause();
        this.emit('replayed');
        return;
      }
      // A replayed input must enter exactly where it was recorded: the slice ends there.
      if (this.clock === 'realtime') this.wall.run(() => this.pc.run(count));
      else this.pc.run(this.replay ? Math.min(count, this.replay.budget()) : count);
    } catch (e) {
      if (!(e instanceof ReplayDiverged)) throw e;
      this.abandonReplay(e);
    }
    this.deliver();
    if (this.pc.resets !== resets) {
      this.agent.rebooted(new Error('the guest rebooted'));
      this.setPower('reset');
    }
    this.setPower(this.pc.power);
    if (this.power === 'off') this.failAll('the machine powered off');
  }

  /**
   * Whether a guest that only keeps time may be parked (see idle()): under the
   * virtual clock, when the host waits on it and every such wait is without a
   * deadline, so no tick of the guest's timer can bring what is waited for
   * nearer. A replay never parks: it meets the recorded input where the
   * recording parked, and goes on where the recording did. Nor does a guest
   * whose network card has a connection, a flow or a lookup open: the answer
   * it waits for may come over the wire at any tick. With none open it may
   * park: a frame that comes later wakes it, as console input does.
   */
  private mayPark(): boolean {
    return this.clock === 'virtual' && !this.replay && !this.network?.hostWaiting && this.waiters.size > 0 && [...this.waiters].every((w) => w.deadlineNs === Infinity);
  }

  /** Hands what the guest wrote on COM1 to the console, and on COM2 to the agent client. */
  private deliver(): void {
    if (this.consoleOut.length) {
      this.serial.deliver(Uint8Array.from(this.consoleOut));
      this.consoleOut = [];
      this.matchText();
    }
    if (this.agentIn.length) {
      const bytes = Uint8Array.from(this.agentIn);
      this.agentIn = [];
      try {
        this.agent.feed(bytes);
      } catch (e) {
        this.agent.fail(new Error(`protocol error from the guest agent: ${(e as Error).message}`));
      }
    }
  }

  /** Fails what waited past its deadline; run before a slice, once what the last one answered has settled. */
  private expire(): void {
    const now = this.pc.nowNs();
    for (const w of [...this.waiters]) if (w.deadlineNs <= now) w.timeout();
  }

  private setPower(state: PowerState): void {
    if (state === this.power && state !== 'reset') return;
    this.power = state === 'reset' ? 'running' : state;
    this.emit('power', state);
    if (state === 'reset') this.emit('power', 'running');
  }

  private matchText(): void {
    for (const w of this.textWaiters) {
      if (w.done) continue;
      const m = w.pattern.exec(this.serial.unread);
      if (!m) continue;
      const end = m.index + m[0].length;
      w.done = true;
      w.resolve(this.serial.unread.slice(0, end));
      this.serial.unread = this.serial.unread.slice(end);
    }
    this.textWaiters = this.textWaiters.filter((w) => !w.done);
  }

  /**
   * The CPU halted. Under the virtual clock either no timer is armed, or the
   * guest has only kept time for QUIET_LIMIT_MS while the host waits without
   * a deadline (it is parked): only the host can wake it (input, a timeout, a
   * request), and with nothing coming the event loop runs empty, which the
   * CLI reports. Under the realtime clock guest time has caught up with the
   * wall, and follows it until a timer is due or the host wakes the guest.
   */
  private async idle(): Promise<void> {
    if (this.replay) {
      try {
        if (this.replay!.idle()) return;
      } catch (e) {
        if (!(e instanceof ReplayDiverged)) throw e;
        this.abandonReplay(e);
        return;
      }
    }
    const woken = new Promise<void>((r) => (this.wakeUp = r));
    if (this.clock === 'virtual' && this.network?.hostWaiting) {
      // Waiting on the host: let the wall clock's time pass, as far as the host's answer or a few ms.
      await Promise.race([woken, sleep(2)]);
      const limit = this.network.idleSkipLimit(this.pc.nowNs());
      if (Number.isFinite(limit) && limit > this.pc.nowNs()) this.pc.skipIdle(limit - this.pc.nowNs());
    } else if (this.clock === 'realtime') {
      await Promise.race([woken, sleep(10)]);
      this.pc.skipIdle(this.wall.wallNs() - this.pc.nowNs());
    } else {
      // Virtual time: nothing happens until the next deadline, so go there at once.
      const next = Math.min(...[...this.waiters].map((w) => w.deadlineNs));
      if (Number.isFinite(next)) {
        this.recorder?.skip(next - this.pc.nowNs());
        this.pc.skipIdle(next - this.pc.nowNs());
      } else {
        await woken;
      }
    }
    this.wakeUp = undefined;
  }

  /** A replay that left the recorded run stops the machine, saying where. */
  private abandonReplay(e: ReplayDiverged): void {
    this.replayError = e;
    this.replay = undefined;
    this.runState = 'stopped';
    this.failAll(e.message);
    this.emit('replayed');
  }

  /** Between slices: let the event loop turn, and in realtime mode keep guest time from running ahead of the wall. */
  private async pace(): Promise<void> {
    if (this.clock === 'realtime') {
      const ahead = this.wall.aheadMs();
      if (ahead > 1) return sleep(Math.min(ahead, 20));
    }
    return yieldToEvents();
  }
}
