// The machine as a worker offers it: a Machine made by Machine.create on the
// host's Platform, the container engine on it, and the inspection views
// (src/inspect) the CLI prints, as plain data. The guest has a network card
// on the user-mode network (src/net) with the host's outside (a page's has
// none: only connections into the guest, its ports, which openPort gives the
// page's Service Worker: the guest's own, or a container's published with
// runContainer's `publish`, page-ports.ts). The browser page and Node
// (worker_threads) reach it through a comlink proxy; this file is only that
// surface.

import { Machine } from '../../api/machine.ts';
import type { ExecResult, MachineOptions, Platform, PowerState } from '../../api/types.ts';
import type { FetchProgress } from '../../api/browser-platform.ts';
import { DEFAULT_MAC } from '../../api/network.ts';
import { ipToString, parseMac } from '../../net/addresses.ts';
import type { Outside } from '../../net/outside.ts';
import { NET_PLAN, UserNet } from '../../net/user-net.ts';
import { mark, marks } from '../timeline.ts';
import { Prefetching } from './prefetch.ts';
import { bridgeGuestPort, refuseGuestPort } from './guest-port.ts';
import { PagePorts } from './page-ports.ts';
import { mountPageDisk, withQuotaLeft, type PageDisk, type PageDiskKind, type PageDiskView } from './page-disk.ts';
import { ContainerEngine, type RunResult } from '../../containers/engine/containers.ts';
import type { RunOptions } from '../../containers/engine/bundle.ts';
import type { PortMapping } from '../../containers/engine/networks.ts';
import { linkUpScript } from '../../containers/engine/network-scripts.ts';
import { machineShell, type GuestShell, type ShellResult } from '../../containers/engine/guest-shell.ts';
import type { ImageSource } from '../../containers/engine/image-source.ts';
import { containersView, type ContainerView } from '../../inspect/containers.ts';
import { readCounters, type CountersView } from '../../inspect/counters.ts';
import { readCpu, type CpuView } from '../../inspect/cpu.ts';
import { processTree, type GuestProcess } from '../../inspect/kernel.ts';
import { addressSpaces, walkAddress, type Access, type AddressSpace, type MmuWalk } from '../../inspect/mmu.ts';
import { describe, enableTrace, readTrace, traceCursor, traceLost, type TraceKind } from '../../inspect/trace.ts';
import type { JitStats } from '../../core/jit/translator.ts';

/** Where a worker's machine gets its files and images: the browser's fetch, or Node's file system. */
export interface ServiceHost {
  platform(onProgress: FetchProgress): Platform;
  images: ImageSource;
  /** What the guest's network reaches beyond its link. */
  outside: Outside;
  /** Opens the disk that outlasts the machine (the page's: page-disk.ts); none in Node's worker. */
  disk?(backend?: 'indexeddb'): Promise<PageDisk>;
}

/** A page port a container publishes: ports/PORT/ reaches its CONTAINERPORT. */
export interface PublishedPort {
  port: number;
  container: string;
  containerPort: number;
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

/** A booted guest, the shell its agent gives, and the container engine on it (made at its first use: it needs the agent). */
interface Guest {
  machine: Machine;
  shell: GuestShell;
  engine?: Promise<ContainerEngine>;
}

export class MachineService {
  private guest?: Guest;
  private booting = false;
  private disk?: PageDisk;
  private diskOpening?: Promise<PageDisk>;
  private diskFailure?: string;
  /** The core and files the boot loads, started early where the host does (prefetch). */
  private readonly loading: Prefetching;
  /** The host end of the guest's link; its MAC given, as a guest resumed with its link up may send nothing before a port is opened. */
  private readonly net: UserNet;
  /** The containers' published ports: what ports/PORT/ reaches when not the guest's own port. */
  private readonly ports = new PagePorts();

  constructor(private readonly host: ServiceHost) {
    this.loading = new Prefetching((onProgress) => host.platform(onProgress));
    this.net = new UserNet(host.outside, { guestMac: parseMac(DEFAULT_MAC), refused: (why) => console.warn(`glassbox network: ${why}`) });
  }

  /**
   * Starts loading what a boot will need (the core; the snapshot `snapshot`
   * names, when it resumes from one) before boot() is called: the page's
   * worker calls it as its script starts (prefetch.ts).
   */
  prefetch(snapshot?: string): void {
    this.loading.start(snapshot);
  }

  /**
   * Boots the guest (the default one unless `opts` names files) and runs it;
   * console bytes go to `onConsole`, and `input` (if any) is typed on the
   * console before it runs. With the disk openDisk is opening, once it is
   * open: the page asks for both at once, so the downloads and the disk's
   * opening overlap.
   */
  async boot(opts: MachineOptions, onConsole: (bytes: Uint8Array) => void, onProgress: FetchProgress = () => {}, input?: string): Promise<void> {
    if (this.guest || this.booting) throw new Error('this worker already runs a guest');
    this.booting = true;
    try {
      this.loading.listen(onProgress);
      if (typeof opts.snapshot === 'string') this.loading.start(opts.snapshot);
      // A disk that did not open is the page's to report (openDisk's answer); the guest runs without it.
      const disk = await this.diskOpening?.catch(() => undefined);
      this.disk = disk;
      const disks = disk ? { disks: [disk.disk] } : {};
      const machine = await Machine.create({ ...opts, ...disks, network: { backend: this.net } }, this.loading.platform);
      mark('machine made');
      let first = true;
      machine.serial.on('data', (bytes) => {
        if (first) mark('first console bytes');
        first = false;
        onConsole(bytes);
      });
      // A write the browser refused (the site's storage quota used up, say) is an I/O error in the guest; the page says why.
      machine.on('diskError', (why: string) => (this.diskFailure = why));
      if (input) machine.serial.write(input);
      const shell = machineShell(machine);
      this.guest = { machine, shell };
      machine.start();
    } finally {
      this.booting = false;
    }
  }

  /**
   * Opens the host's lasting disk (IndexedDB's even where OPFS would do, if
   * asked), to be the guest's /dev/vda from boot() on; with `quotaLeft`, its
   * writes fail once that many more bytes are written (withQuotaLeft).
   */
  async openDisk(backend?: 'indexeddb', quotaLeft?: number): Promise<PageDiskKind> {
    if (!this.host.disk) throw new Error('this worker has no lasting disk');
    if (this.guest || this.booting || this.diskOpening) throw new Error('the disk goes in before the guest boots, once');
    this.diskOpening = this.host.disk(backend).then((d) => (quotaLeft === undefined ? d : withQuotaLeft(d, quotaLeft)));
    return (await this.diskOpening).kind;
  }

  /** The worker's moments of the page's start (timeline.ts), wall-clock. */
  timeline(): [string, number][] {
    return marks();
  }

  /** Mounts the disk openDisk gave in the guest (its agent up), making its filesystem on first use. */
  mountDisk(): Promise<PageDiskView> {
    if (!this.disk) throw new Error('no disk opened: call openDisk() before boot()');
    return mountPageDisk(this.disk, this.g.shell);
  }

  /** Why the disk last failed a request of the guest's (an I/O error there), if it has. */
  diskFailed(): string | undefined {
    return this.diskFailure;
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
   * The container engine, made once the guest's link is up (it is in the
   * shipped snapshot, and DHCP runs at boot; this makes sure, and turns on
   * forwarding to the containers' bridges), as the Node engine's start does
   * (daemon/start-engine.ts): containers then get their own network
   * namespaces on a bridge, and publish ports to the page. A guest whose
   * link will not come up runs them in its own network, and -p is refused.
   */
  private engine(): Promise<ContainerEngine> {
    const g = this.g;
    g.engine ??= (async () => {
      await g.machine.agentReady();
      const link = await g.shell.run(linkUpScript(), { timeoutMs: 60_000 });
      if (link.exitCode !== 0) console.warn(`glassbox network: the guest's link is down, containers share its network: ${link.stderr.trim()}`);
      const networking = link.exitCode === 0 ? { publisher: this.ports, dns: ipToString(NET_PLAN.dns), guestIp: ipToString(NET_PLAN.guest) } : undefined;
      return new ContainerEngine(g.shell, this.host.images, undefined, networking);
    })().catch((e: unknown) => {
      g.engine = undefined; // the next use tries again
      throw e;
    });
    return g.engine;
  }

  /**
   * Connects `channel` (transferred: comlink's transfer()) to page port
   * `port`: the container port published there, else the guest's own TCP
   * port of that number; the page's Service Worker is on the other end. A
   * port that cannot be connected is answered on the channel with why.
   */
  openPort(port: number, channel: MessagePort): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refuseGuestPort(channel, `no TCP port ${port}: a port is 1 to 65535`);
    if (!this.guest) return refuseGuestPort(channel, 'the guest has not booted yet');
    const target = this.ports.target(port, NET_PLAN.guest);
    const where = target.ip === NET_PLAN.guest ? `its port ${port}` : `port ${port} (published from ${ipToString(target.ip)}:${target.port})`;
    bridgeGuestPort(this.net.connectToGuest(target.ip, target.port), channel, where);
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

  /** What the translator did since the machine started: its mode, regions compiled, the share of instructions run in compiled code (bench:web prints it). */
  jitStats(): JitStats {
    return this.m.pc.core.jitStats;
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

  /**
   * Every container the engine knows, with namespaces, cgroup and processes
   * read back from the guest; none before the engine's first use (every
   * container is made through it). The page asks every second, and reading
   * the guest's process and cgroup trees costs an idle guest about 6 M
   * instructions and 4,000 system calls a second (bench:web's guest ran 30-65 %
   * more instructions per phase than bench:boot's).
   */
  async containers(): Promise<ContainerView[]> {
    if (!this.guest?.engine) return [];
    return containersView(await this.engine(), this.g.shell);
  }

  /**
   * Runs a container from the worker's image source (detached or to its
   * end), as `glassbox run` does: on the bridge network unless asked
   * otherwise, its `publish` ports reachable at the page's ports/PORT/.
   */
  async runContainer(image: string, options: RunOptions = {}): Promise<RunResult> {
    return (await this.engine()).run(image, options);
  }

  /** The page ports the running containers publish (a container that ended has none), for the ports panel; none before the engine's first use. */
  async publishedPorts(): Promise<PublishedPort[]> {
    const engine = this.guest?.engine;
    if (!engine) return [];
    const running = await (await engine).ps();
    return running.flatMap((c) => (c.network?.ports ?? []).map((p) => ({ port: p.hostPort, container: c.name, containerPort: p.containerPort })));
  }

  /** A container's published ports as bound (`glassbox port`): hostPort is the page port. */
  async containerPorts(container: string): Promise<PortMapping[]> {
    return (await this.engine()).ports(container);
  }

  /** Runs a command in a running container's namespaces and cgroup. */
  async execInContainer(container: string, cmd: string[]): Promise<ShellResult> {
    return (await this.engine()).exec(container, cmd);
  }

  /** Removes a container, killing it first when `force` is given and it runs. */
  async removeContainer(container: string, force = false): Promise<void> {
    return (await this.engine()).rm(container, force);
  }
}
