// The machine as a worker offers it: a Machine made by Machine.create on the
// host's Platform, the container engine on it, and the inspection views
// (src/inspect) the CLI prints, as plain data. The guest has a network card
// on the user-mode network (src/net) with the host's outside (a page's has
// none: only connections into the guest, its ports, which openPort gives the
// page's Service Worker). The browser page and Node
// (worker_threads) reach it through a comlink proxy; this file is only that
// surface.

import { Machine } from '../../api/machine.ts';
import type { ExecResult, MachineOptions, Platform, PowerState } from '../../api/types.ts';
import type { FetchProgress } from '../../api/browser-platform.ts';
import { DEFAULT_MAC } from '../../api/network.ts';
import { parseMac } from '../../net/addresses.ts';
import type { Outside } from '../../net/outside.ts';
import { NET_PLAN, UserNet } from '../../net/user-net.ts';
import { bridgeGuestPort, refuseGuestPort } from './guest-port.ts';
import { mountPageDisk, type PageDisk, type PageDiskKind, type PageDiskView } from './page-disk.ts';
import { ContainerEngine, type RunResult } from '../../containers/engine/containers.ts';
import type { RunOptions } from '../../containers/engine/bundle.ts';
import { machineShell, type GuestShell, type ShellResult } from '../../containers/engine/guest-shell.ts';
import type { ImageSource } from '../../containers/engine/image-source.ts';
import { containersView, type ContainerView } from '../../inspect/containers.ts';
import { readCounters, type CountersView } from '../../inspect/counters.ts';
import { readCpu, type CpuView } from '../../inspect/cpu.ts';
import { processTree, type GuestProcess } from '../../inspect/kernel.ts';
import { addressSpaces, walkAddress, type Access, type AddressSpace, type MmuWalk } from '../../inspect/mmu.ts';
import { describe, enableTrace, readTrace, traceCursor, traceLost, type TraceKind } from '../../inspect/trace.ts';

/** Where a worker's machine gets its files and images: the browser's fetch, or Node's file system. */
export interface ServiceHost {
  platform(onProgress: FetchProgress): Platform;
  images: ImageSource;
  /** What the guest's network reaches beyond its link. */
  outside: Outside;
  /** Opens the disk that outlasts the machine (the page's: page-disk.ts); none in Node's worker. */
  disk?(backend?: 'indexeddb'): Promise<PageDisk>;
}

/** What the CPU and counter panels show, read in one round trip. */
export interface MachineSnapshot {
  power: PowerState;
  paused: boolean;
  cpu: CpuView;
  counters: CountersView;
}

export interface TraceBatch {
  /** Pass back as `since` to get only newer events. */
  cursor: number;
  /** Events the ring overwrote before they were read. */
  lost: number;
  events: { seq: number; kind: TraceKind; instructions: number; eip: number; text: string }[];
}

/** Instructions of disassembly the CPU view carries. */
const CODE_LINES = 10;

/** A booted guest, the shell its agent gives, and the container engine on it. */
interface Guest {
  machine: Machine;
  shell: GuestShell;
  engine: ContainerEngine;
}

export class MachineService {
  private guest?: Guest;
  private booting = false;
  private disk?: PageDisk;
  /** The host end of the guest's link; its MAC given, as a guest resumed with its link up may send nothing before a port is opened. */
  private readonly net: UserNet;

  constructor(private readonly host: ServiceHost) {
    this.net = new UserNet(host.outside, { guestMac: parseMac(DEFAULT_MAC), refused: (why) => console.warn(`glassbox network: ${why}`) });
  }

  /** Boots the guest (the default one unless `opts` names files) and runs it; console bytes go to `onConsole`. */
  async boot(opts: MachineOptions, onConsole: (bytes: Uint8Array) => void, onProgress: FetchProgress = () => {}): Promise<void> {
    if (this.guest || this.booting) throw new Error('this worker already runs a guest');
    this.booting = true;
    try {
      const disks = this.disk ? { disks: [this.disk.disk] } : {};
      const machine = await Machine.create({ ...opts, ...disks, network: { backend: this.net } }, this.host.platform(onProgress));
      machine.serial.on('data', onConsole);
      const shell = machineShell(machine);
      this.guest = { machine, shell, engine: new ContainerEngine(shell, this.host.images) };
      machine.start();
    } finally {
      this.booting = false;
    }
  }

  /** Opens the host's lasting disk (IndexedDB's even where OPFS would do, if asked), to be the guest's /dev/vda from boot() on. */
  async openDisk(backend?: 'indexeddb'): Promise<PageDiskKind> {
    if (!this.host.disk) throw new Error('this worker has no lasting disk');
    if (this.guest || this.booting) throw new Error('the disk goes in before the guest boots');
    this.disk = await this.host.disk(backend);
    return this.disk.kind;
  }

  /** Mounts the disk openDisk gave in the guest (its agent up), making its filesystem on first use. */
  mountDisk(): Promise<PageDiskView> {
    if (!this.disk) throw new Error('no disk opened: call openDisk() before boot()');
    return mountPageDisk(this.disk, this.g.shell);
  }

  /** Blocks of the disk the browser has not stored yet (0 when none, or no disk). */
  diskUnstored(): number {
    return this.disk?.unstored() ?? 0;
  }

  private get g(): Guest {
    if (!this.guest) throw new Error('no guest booted yet: call boot() first');
    return this.guest;
  }

  private get m(): Machine {
    return this.g.machine;
  }

  /**
   * Connects `channel` (transferred: comlink's transfer()) to the guest's TCP
   * port `guestPort`, the page's Service Worker on the other end; a port that
   * cannot be connected is answered on the channel with why.
   */
  openPort(guestPort: number, channel: MessagePort): void {
    if (!Number.isInteger(guestPort) || guestPort < 1 || guestPort > 65535) return refuseGuestPort(channel, `no TCP port ${guestPort}: a port is 1 to 65535`);
    if (!this.guest) return refuseGuestPort(channel, 'the guest has not booted yet');
    bridgeGuestPort(this.net.connectToGuest(NET_PLAN.guest, guestPort), channel, guestPort);
  }

  /** Keys typed on the console. */
  write(data: string | Uint8Array): void {
    this.m.serial.write(data);
  }

  pause(): void {
    this.m.pause();
  }

  resume(): void {
    this.m.resume();
  }

  /** Runs `count` instructions while paused (the single-step control). */
  step(count = 1): MachineSnapshot {
    this.m.step(count);
    return this.snapshot();
  }

  snapshot(): MachineSnapshot {
    const pc = this.m.pc;
    return { power: pc.power, paused: this.m.state === 'paused', cpu: readCpu(pc.core, CODE_LINES), counters: readCounters(pc) };
  }

  /** The page-table walk of a linear address (under the current CR3 unless one is given), with the #PF the access would raise. */
  walk(linear: number, access?: Access, cr3?: number): MmuWalk {
    return walkAddress(this.m.pc.core, linear, access, cr3);
  }

  /** The address spaces (CR3 values) the CPU loaded recently, most used first. */
  addressSpaces(): AddressSpace[] {
    return addressSpaces(this.m.pc.core);
  }

  /** Chooses which events the core records (none: tracing off). */
  traceKinds(kinds: TraceKind[]): void {
    enableTrace(this.m.pc, kinds);
  }

  /** Trace events recorded since `since` (at most the newest `max`). */
  trace(since: number, max = 200): TraceBatch {
    const pc = this.m.pc;
    const events = readTrace(pc, since).slice(-max);
    return {
      cursor: traceCursor(pc),
      lost: traceLost(pc, since),
      events: events.map((e) => ({ seq: e.seq, kind: e.kind, instructions: e.instructions, eip: e.eip, text: describe(e) })),
    };
  }

  /** Waits for the guest agent on COM2 to be up. */
  async agentReady(): Promise<void> {
    await this.m.agentReady();
  }

  /** Runs a shell command in the guest through its agent. */
  exec(command: string, timeoutMs = 30_000): Promise<ExecResult> {
    return this.m.exec(command, { timeoutMs });
  }

  /** The guest's process tree with namespaces and cgroups (the kernel view). */
  processes(): Promise<GuestProcess[]> {
    return processTree(this.g.shell);
  }

  /** Every container the engine knows, with namespaces, cgroup and processes read back from the guest. */
  containers(): Promise<ContainerView[]> {
    return containersView(this.g.engine, this.g.shell);
  }

  /** Runs a container from the worker's image source (detached or to its end), as `glassbox run` does. */
  runContainer(image: string, options: RunOptions = {}): Promise<RunResult> {
    return this.g.engine.run(image, options);
  }

  /** Runs a command in a running container's namespaces and cgroup. */
  execInContainer(container: string, cmd: string[]): Promise<ShellResult> {
    return this.g.engine.exec(container, cmd);
  }

  /** Removes a container, killing it first when `force` is given and it runs. */
  removeContainer(container: string, force = false): Promise<void> {
    return this.g.engine.rm(container, force);
  }
}
