// Containers in the guest, as an in-process library: run, ps, exec, logs,
// stats, stop, kill, rm, inspect. The guest is the truth for state (crun's
// state and the exit file in each bundle); the engine remembers only what
// was asked for (name, image, options).

import { digestOf } from '../store/digest.ts';
import type { ImageSource, RunnableImage } from './image-source.ts';
import { checkUlimit, INIT_SCRIPT, initScriptPath, mergeEnv, processArgs, processEnv, runtimeConfig, type DeviceNumber, type RunOptions } from './bundle.ts';
import { ensureLayers, type BlobCourier } from './layers.ts';
import { copyLayerScript, diffScript, type StageCopy } from './layer-scripts.ts';
import { archiveScript, changesScript, extractScript, type ExtractTarget } from './file-scripts.ts';
import { needsAccountFiles, resolveUser, type ProcessUser } from './users.ts';
import { STDIN_CHUNK, writeGuestFile, type GuestShell, type ShellResult } from './guest-shell.ts';
import { addHostScript, attachScript, detachScript, NETNS_DIR } from './network-scripts.ts';
import { DEFAULT_NETWORK, NetworkTable, portsToPublish, type NetworkInfo, type NetworkStore, type PortMapping, type PortPublisher } from './networks.ts';
import type { ExecSession } from '../../api/exec-session.ts';
import type { WindowSize } from '../../api/types.ts';
import {
  accountFileScript,
  attachedRunScript,
  bundleDir,
  bundleFileScript,
  createScript,
  crunCgroupsPath,
  execScript,
  foregroundResult,
  foregroundRunScript,
  freezeScript,
  isolationFacts,
  isolationScript,
  killScript,
  removeScript,
  restoreScript,
  startDetachedScript,
  stateScript,
  statsScript,
  storageScript,
  timesFile,
  topProcesses,
  topScript,
  type TopProcess,
  waitExitScript,
  writableDir,
  type ExecOptions,
} from './guest-scripts.ts';
import { cgroupFigures } from './cgroup-files.ts';
import { script, sh, type Script } from '../../api/shell-script.ts';
import { ContainerError } from './container-error.ts';
import { mountBindsScript } from './binds.ts';
import type { HostBinds } from './host-binds.ts';
import { checkVolumeName, createVolumeScript, listVolumesScript, parseVolumeList, prefillVolumeScript, removeVolumeScript, type VolumeInfo } from './volumes.ts';

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  imageId: string;
  args: string[];
  created: string;
  options: Omit<RunOptions, 'stdin'>;
  /** The process user, once resolved against the container's account files; exec runs as it too. */
  user?: ProcessUser;
  /** Set for a container of an engine that ended (crashed, killed): its guest, and the container with it, are gone. */
  lost?: boolean;
  /** Its network (host, none, or a network's name), its address there, and its published ports as bound. */
  network?: { mode: string; ip?: string; ports: PortMapping[] };
  /** Times its restart policy started it again. */
  restartCount?: number;
  /** Stopped or killed by a user: its restart policy waits until it is started again. */
  manuallyStopped?: boolean;
}

/** What an engine whose guest has a network card can do with it. */
export interface EngineNetworking {
  /** Listens on the host for published ports; without it, -p is refused. */
  publisher?: PortPublisher;
  /** The DNS server the containers use (the guest's). */
  dns: string;
  /** The guest's own address on its link (where ports of host-network containers are). */
  guestIp: string;
  /** Hands layer blobs to the guest over its card; without it they go through the agent. */
  blobs?: BlobCourier;
}

/** Where the engine keeps its container records, so that the next engine can tell what an ended one lost. */
export interface ContainerJournal {
  load(): ContainerRecord[];
  save(records: ContainerRecord[]): void;
}

export interface ContainerState {
  status: 'created' | 'running' | 'paused' | 'exited';
  exitCode: number | undefined;
  /** The container's init as the guest sees it. */
  pid: number | undefined;
  oomKilled: boolean;
  /** The container ended with an engine before this one (record.lost). */
  lost?: boolean;
}

/** A container's logs; `times`: the guest time of each of their lines, one Unix time a line (guest-scripts.ts timesFile). */
export interface ContainerLogs {
  stdout: string;
  stderr: string;
  times?: { stdout: string; stderr: string };
}

export interface RunResult extends ShellResult {
  id: string;
}

/** A container process the caller is attached to: its session, and its exit status once it has ended. */
export interface Attached {
  id: string;
  session: ExecSession;
  exitCode: Promise<number>;
}

export type { RunnableImage } from './image-source.ts';

/** A gzip'd layer made in the guest, with the digest of its uncompressed tar. */
export interface PackedLayer {
  blob: Uint8Array;
  diffId: string;
}

/** The facts of `crun state`'s JSON the engine uses; none when crun does not know the container. */
function crunState(json: string | undefined): { status?: string; pid?: number } {
  try {
    const s = JSON.parse(json || '{}') as { status?: unknown; pid?: unknown };
    return { status: typeof s.status === 'string' ? s.status : undefined, pid: typeof s.pid === 'number' ? s.pid : undefined };
  } catch {
    return {};
  }
}

/** Linux's signal names (signal(7)), as crun kill takes them. */
const SIGNALS = [
  'HUP',
  'INT',
  'QUIT',
  'ILL',
  'TRAP',
  'ABRT',
  'IOT',
  'BUS',
  'FPE',
  'KILL',
  'USR1',
  'SEGV',
  'USR2',
  'PIPE',
  'ALRM',
  'TERM',
  'STKFLT',
  'CHLD',
  'CONT',
  'STOP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'XCPU',
  'XFSZ',
  'VTALRM',
  'PROF',
  'WINCH',
  'IO',
  'POLL',
  'PWR',
  'SYS',
];

/** Refuses what crun kill would not take: a signal(7) name or a number from 1 to 64. */
function checkSignal(signal: string): void {
  if (!SIGNALS.includes(signal) && !(/^\d+$/.test(signal) && Number(signal) >= 1 && Number(signal) <= 64)) {
    throw new ContainerError(`"${signal}" is not a signal: give a name such as TERM, KILL or HUP, or a number from 1 to 64`);
  }
}

/** The engine's disk (guest-scripts.ts mounts it) as the guest's kernel numbers it, for io.max. */
const ENGINE_DISK_NUMBER = sh`cat /sys/block/vda/dev`;
/** Guest time reading it may take. */
const DISK_NUMBER_MS = 30_000;

/** Guest time allowed for reading an image's account file. */
const ACCOUNT_READ_MS = 10_000;

/** Scratch space for COPY --from, one directory per copy. */
const COPY_ROOT = '/run/glassbox/copy';

/** Every trace of a container in the guest: its network namespace and veth, then the rest (removeScript's `ended`). */
const removalScript = (id: string, ended = false) => script(detachScript(id), removeScript(id, ended));

/** 32 random bytes in hex, from Web Crypto (Node and browsers alike). */
const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');

/** The bytes of a gzip stream, through the Compression Streams API (Node and browsers alike). */
async function gunzip(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}

/**
 * Docker's statuses for a command the runtime could not start: 127 when it
 * was not found, 126 when it cannot be invoked. crun ends with 1 and says
 * which on the last line of stderr (before the command ran, so the line is
 * crun's, not the program's).
 */
export function invokeStatus(exitCode: number, stderr: string): number {
  if (exitCode !== 1) return exitCode;
  const last = stderr.trimEnd().split('\n').pop() ?? '';
  if (/^executable file `.*` not found in \$PATH: No such file or directory$/.test(last) || /^exec container process `.*`: No such file or directory$/.test(last)) return 127;
  if (/^open executable: (Operation not permitted|Permission denied)$/.test(last) || /^exec container process `.*`: (Permission denied|Exec format error)$/.test(last)) return 126;
  return exitCode;
}

export class ContainerEngine {
  private readonly containers = new Map<string, ContainerRecord>();
  /** The containers' places (the disk's, or a tmpfs of their own) being made ready (once). */
  private storage: Promise<void> | undefined;
  /** Layers being unpacked in the guest, so overlapping runs unpack each once. */
  private readonly unpacking = new Map<string, Promise<void>>();
  /** Containers taken back from an earlier engine (restore), with the ports they had: their network namespace ended with that guest, so start connects them again. */
  private readonly unconnected = new Map<string, PortMapping[]>();
  /**
   * Ended containers whose host ports were given back, with those ports:
   * Docker frees a container's ports when it ends and binds them again when
   * it starts, so another container can take a port a stopped one had.
   */
  private readonly freedPorts = new Map<string, PortMapping[]>();
  /**
   * Ended --rm containers whose guest side (network namespace, overlay,
   * bundle, cgroup) is being removed after their output and status went back:
   * out of every list and their name free at once, their address held until
   * their veth is gone, their record in the journal until then (the next
   * engine removes a --rm container it finds, should this one end first).
   */
  private readonly leaving = new Map<string, { record: ContainerRecord; done: Promise<void> }>();

  readonly networks: NetworkTable;

  /**
   * With a journal, the records of a previous engine's containers are kept,
   * as lost, until removed. With networking, containers go on the bridge
   * network unless asked otherwise; without, they share the guest's network.
   * With a network store, the user-defined networks are those it kept.
   */
  constructor(
    private readonly shell: GuestShell,
    private readonly store: ImageSource,
    private readonly journal?: ContainerJournal,
    private readonly networking?: EngineNetworking,
    networkStore?: NetworkStore,
    /** The host directories the guest's 9p share exports, for bind mounts; without it, a run with one is refused. */
    private readonly binds?: HostBinds,
  ) {
    this.networks = new NetworkTable(networkStore);
    for (const c of journal?.load() ?? []) this.containers.set(c.id, { ...c, lost: true });
    this.remember();
  }

  /**
   * Takes back the containers an earlier engine left on the engine's disk
   * (its records in the journal, their bundles and writable layers on the
   * disk): they show as exited and start again on their own root. A --rm one
   * is removed, as Docker's daemon does at its start; one the disk does not
   * hold stays lost. Returns what could not be taken back, one line each.
   */
  async restore(): Promise<string[]> {
    const problems: string[] = [];
    await this.ensureStorage();
    for (const c of [...this.containers.values()].filter((c) => c.lost)) {
      const r = await this.shell.run(restoreScript(c.id));
      if (r.exitCode !== 0) {
        problems.push(`container ${c.name} (${c.id.slice(0, 12)}) stays lost: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
        continue;
      }
      if (r.stdout.trim() !== 'restored') {
        // A --rm container goes however much of it the disk still holds (an engine that ended while it removed one leaves it half gone).
        if (c.options.rm) this.containers.delete(c.id);
        continue;
      }
      c.lost = false;
      if (c.options.rm) {
        await this.remove(c);
        continue;
      }
      // Its address and host ports were the ended engine's; this one hands them out afresh at start.
      if (c.network) {
        this.unconnected.set(c.id, c.network.ports);
        c.network = { mode: c.network.mode, ports: [] };
      }
    }
    this.remember();
    return problems;
  }

  /** Docker's volume create: a named volume (a random name if none), or the one of that name already there. */
  async createVolume(name = randomId()): Promise<VolumeInfo> {
    checkVolumeName(name);
    await this.ensureStorage();
    await this.must(createVolumeScript(name, new Date().toISOString()), `creating volume ${name}`);
    return this.volume(name);
  }

  async volumes(): Promise<VolumeInfo[]> {
    await this.ensureStorage();
    return parseVolumeList(await this.must(listVolumesScript(), 'listing the volumes'));
  }

  async volume(name: string): Promise<VolumeInfo> {
    const v = (await this.volumes()).find((v) => v.Name === name);
    if (!v) throw new ContainerError(`no such volume: ${name}`);
    return v;
  }

  /** Removes a volume no container (running or not) names, as Docker refuses one in use. */
  async removeVolume(name: string): Promise<void> {
    await this.volume(name);
    const mounts = (c: ContainerRecord) => c.options.volumes?.some((v) => v.name === name) ?? false;
    await this.leftBy(mounts);
    const users = [...this.containers.values()].filter(mounts);
    if (users.length) throw new ContainerError(`volume ${name} is in use by container(s) ${users.map((c) => c.name).join(', ')}: remove them first`);
    await this.must(removeVolumeScript(name), `removing volume ${name}`);
  }

  /** The caller ran storageScript in this guest already (the engine's start does, with its other first scripts): it is not run again. */
  storageMade(): void {
    this.storage ??= Promise.resolve();
  }

  /** The containers' writable places, made once per guest. */
  private ensureStorage(): Promise<void> {
    this.storage ??= this.must(storageScript(), "mounting the containers' storage").then(() => {});
    return this.storage;
  }

  private remember(): void {
    // A container's ports as it is to have them: those it gives back at an end are bound again at its start, by the next engine too.
    const kept = (c: ContainerRecord): ContainerRecord => {
      const ports = this.unconnected.get(c.id) ?? this.freedPorts.get(c.id);
      return ports && c.network ? { ...c, network: { ...c.network, ports } } : c;
    };
    this.journal?.save([...this.containers.values(), ...[...this.leaving.values()].map((l) => l.record)].map(kept));
  }

  /** Exports a container's bind sources (each checked on the host) and mounts them in the guest. */
  private async mountBinds(o: RunOptions): Promise<void> {
    if (!o.binds?.length) return;
    if (!this.binds) throw new ContainerError('bind mounts need a share of the host in the guest, which this engine was started without');
    for (const b of o.binds) this.binds.add(b);
    await this.must(mountBindsScript(o.binds), 'mounting the bind mounts in the guest');
  }

  private async must(command: Script, what: string, opts?: { stdin?: Uint8Array; timeoutMs?: number; long?: boolean }): Promise<string> {
    const r = await this.shell.run(command, opts);
    if (r.exitCode !== 0) throw new ContainerError(`${what}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return r.stdout;
  }

  /** A container by name or by a prefix of its ID. */
  find(ref: string): ContainerRecord {
    for (const c of this.containers.values()) if (c.name === ref) return c;
    const hits = [...this.containers.values()].filter((c) => ref.length >= 3 && c.id.startsWith(ref));
    if (hits.length === 1) return hits[0]!;
    throw new ContainerError(hits.length ? `container ID prefix ${ref} is ambiguous` : `No such container: ${ref}`);
  }

  /** Creates and starts a container; in the foreground, waits for it and returns its output and status. */
  /** An image in the store, by name or ID, in the form run takes. */
  async image(ref: string): Promise<RunnableImage> {
    return this.store.image(ref);
  }

  async run(imageRef: string | RunnableImage, o: RunOptions = {}): Promise<RunResult> {
    const record = await this.create(imageRef, o);
    const { id, name } = record;
    if (o.detach) {
      await this.must(startDetachedScript(id), `starting container ${name}`);
      return { id, exitCode: 0, stdout: '', stderr: '' };
    }
    let ended = false;
    try {
      const r = await this.shell.run(foregroundRunScript(id), { long: true });
      const done = foregroundResult(r);
      if (!done) throw new ContainerError(`running container ${name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      ended = true;
      return { id, exitCode: invokeStatus(done.status, done.stderr), stdout: done.stdout, stderr: done.stderr };
    } finally {
      // --rm holds however the run ended, a failure of the runtime included; a run that ended
      // needs no second look at whether it still runs (each look is processes in the guest).
      if (o.rm) {
        if (ended) this.removeLater(record, true);
        else await this.rm(id, true);
      }
    }
  }

  /**
   * Creates and starts a container attached to a session: stdin streamed to
   * it, output as it comes, on a terminal with `o.tty`. `exitCode` settles
   * when it has ended (and, with `o.rm`, been removed).
   */
  async runAttached(imageRef: string | RunnableImage, o: RunOptions = {}): Promise<Attached> {
    const spawn = this.spawner();
    const record = await this.create(imageRef, o);
    let session: ExecSession;
    try {
      session = await spawn(attachedRunScript(record.id, o.tty !== undefined), { tty: o.tty, consoleSocket: o.tty !== undefined });
    } catch (e) {
      await this.remove(record);
      throw e;
    }
    // The session ends when crun has: its status goes back while the guest removes the rest.
    const exitCode = session.exit.then((end) => {
      // The session's end may be the agent's, not crun's (removeScript then deletes what crun left).
      if (o.rm && this.containers.get(record.id) === record) this.removeLater(record, false);
      return end.exitCode;
    });
    return { id: record.id, session, exitCode };
  }

  private spawner(): NonNullable<GuestShell['spawn']> {
    if (!this.shell.spawn) throw new ContainerError("this engine's guest shell cannot attach to a container (no spawn)");
    return this.shell.spawn.bind(this.shell);
  }

  /** The record, bundle (config.json, stdin file) and overlay root of a new container, not yet started. */
  private async create(imageRef: string | RunnableImage, o: RunOptions): Promise<ContainerRecord> {
    if (o.stopSignal !== undefined) checkSignal(o.stopSignal);
    o.ulimits?.forEach((u) => checkUlimit(u));
    if (o.rm && o.restart && o.restart.name !== 'no') throw new ContainerError('conflicting options: --restart and --rm (a container removed when it ends cannot be restarted)');
    const image = typeof imageRef === 'string' ? await this.image(imageRef) : imageRef;
    const ports = portsToPublish(o.publish, o.publishAll, image.config.config?.ExposedPorts);
    const mode = this.networkMode(o, ports);
    const config = image.config;
    const id = randomId();
    const name = o.name ?? `gb_${id.slice(0, 8)}`;
    const { stdin, ...options } = o;
    const record: ContainerRecord = {
      id,
      name,
      image: image.name,
      imageId: image.id,
      args: processArgs(config, o.cmd, o.entrypoint),
      created: new Date().toISOString(),
      options,
    };
    // Claimed with no await between the check and the claim, so overlapping runs cannot both take a name.
    if ([...this.containers.values()].some((c) => c.name === name)) throw new ContainerError(`the name ${name} is already in use`);
    this.containers.set(id, record);
    this.remember();
    try {
      await this.ensureStorage();
      for (const v of o.volumes ?? []) await this.createVolume(v.name);
      await this.mountBinds(o);
      const layers = await ensureLayers(this.shell, this.store, image.layers, image.diffIds, this.unpacking, this.networking?.blobs);
      await this.must(createScript(id, layers), `creating container ${name}`);
      for (const v of o.volumes ?? []) await this.must(prefillVolumeScript(`${bundleDir(id)}/rootfs`, v), `copying the image's ${v.destination} into volume ${v.name}`);
      const user = await this.processUser(id, o.user ?? config.config?.User);
      record.user = user;
      const disk = o.deviceReadBps !== undefined || o.deviceWriteBps !== undefined ? await this.diskNumber() : undefined;
      const netns = mode === 'host' ? undefined : `${NETNS_DIR}/${id}`;
      const bundle = new TextEncoder().encode(JSON.stringify(runtimeConfig(config, id, crunCgroupsPath(id), o, user, netns, disk)));
      await this.connect(record, mode, o, ports, bundle);
      this.remember();
      if (stdin?.length) await writeGuestFile(this.shell, `${bundleDir(id)}/stdin`, stdin);
      if (o.init) await writeGuestFile(this.shell, initScriptPath(id), new TextEncoder().encode(INIT_SCRIPT));
    } catch (e) {
      await this.remove(record);
      throw e;
    }
    return record;
  }

  /** The engine's disk's MAJ:MIN in the guest (virtio-blk's major is given out at boot, so it is read, not assumed). */
  private async diskNumber(): Promise<DeviceNumber> {
    const out = (await this.must(ENGINE_DISK_NUMBER, "reading the engine disk's device number", { timeoutMs: DISK_NUMBER_MS })).trim();
    const m = /^(\d+):(\d+)$/.exec(out);
    if (!m) throw new ContainerError(`the engine disk's device number is "${out}", not MAJOR:MINOR`);
    return { major: Number(m[1]), minor: Number(m[2]) };
  }

  /** The network a run asks for, checked: host, none or a network that exists. */
  private networkMode(o: RunOptions, ports: PortMapping[]): string {
    const mode = o.network === 'default' ? 'host' : (o.network ?? (this.networking ? DEFAULT_NETWORK : 'host'));
    if (mode !== 'host' && mode !== 'none') {
      if (!this.networking) throw new ContainerError(`network ${mode}: this engine's guest has no network card, so only --network host and none work`);
      this.networks.guest(mode); // throws for a network that does not exist
    }
    if (ports.length) {
      if (mode === 'none') throw new ContainerError('published ports need a network, and --network none has none');
      if (!this.networking?.publisher) throw new ContainerError('this engine cannot publish ports (its guest has no network card)');
    }
    return mode;
  }

  /**
   * Gives a new container its network: a namespace with lo (none), or with an
   * address on its network's bridge too, its /etc/hosts naming the network's
   * other containers (and theirs naming it); then publishes its ports.
   * Writes the bundle's config.json if given (`config`, naming NETNS_DIR/ID
   * unless on the host's network: a restored container's names it already)
   * with the namespace's setup, in one agent command, when it fits one
   * command's stdin.
   */
  private async connect(c: ContainerRecord, mode: string, o: RunOptions, ports: PortMapping[], config?: Uint8Array): Promise<void> {
    c.network = { mode, ports: [] };
    const rootfs = `${bundleDir(c.id)}/rootfs`;
    const configFile = `${bundleDir(c.id)}/config.json`;
    let written = false;
    if (mode !== 'host') {
      let net: Parameters<typeof attachScript>[2];
      if (mode !== 'none') {
        const ip = this.networks.allocate(mode);
        c.network.ip = ip;
        const peers = [...this.containers.values()].filter((p) => p.id !== c.id && !p.lost && p.network?.mode === mode && p.network.ip);
        const hostname = o.hostname ?? c.id.slice(0, 12);
        const hosts =
          ['127.0.0.1\tlocalhost', `${ip}\t${hostname}${hostname === c.name ? '' : ` ${c.name}`}`, ...peers.map((p) => `${p.network!.ip}\t${p.name}`)].join('\n') + '\n';
        net = { network: this.networks.guest(mode), ip, dns: this.networking!.dns, hosts };
        for (const p of peers) await this.shell.run(addHostScript(`${bundleDir(p.id)}/rootfs`, `${ip}\t${c.name}`));
      }
      written = config !== undefined && config.length <= STDIN_CHUNK;
      const attach = attachScript(c.id, rootfs, net);
      await this.must(written ? script(attach, sh`cat > ${configFile}`) : attach, `connecting container ${c.name} to network ${mode}`, written ? { stdin: config } : undefined);
    }
    if (config && !written) await writeGuestFile(this.shell, configFile, config);
    if (ports.length) {
      await this.freePortsOfEnded(ports);
      c.network.ports = await this.publish(c, ports);
    }
  }

  /** Gives back a removed container's address and host ports. */
  private disconnect(c: ContainerRecord): void {
    this.releaseAddress(c);
    this.unpublish(c);
  }

  private releaseAddress(c: ContainerRecord): void {
    if (c.network?.ip) this.networks.release(c.network.mode, c.network.ip);
  }

  /** Listens on the host for a connected container's ports; resolves with them as bound, or fails naming the port (after `context`). */
  private publish(c: ContainerRecord, ports: PortMapping[], context = ''): Promise<PortMapping[]> {
    return this.networking!.publisher!.publish(c.id, c.network!.ip ?? this.networking!.guestIp, ports).catch((e: Error) => {
      throw new ContainerError(context + e.message);
    });
  }

  private unpublish(c: ContainerRecord): void {
    this.freedPorts.delete(c.id);
    if (c.network?.ports.length) this.networking?.publisher?.unpublish(c.id);
  }

  /** Gives back the host ports of a container that ended (freedPorts); start binds them again. */
  private freePorts(c: ContainerRecord): void {
    if (!c.network?.ports.length) return;
    this.networking?.publisher?.unpublish(c.id);
    this.freedPorts.set(c.id, c.network.ports);
    c.network.ports = [];
  }

  /** Binds again the host ports a container gave back when it ended, before it starts. */
  private async bindPortsAgain(c: ContainerRecord): Promise<void> {
    const ports = this.freedPorts.get(c.id);
    if (!ports || !c.network) return;
    c.network.ports = await this.publish(c, ports, `starting container ${c.name}: `);
    this.freedPorts.delete(c.id);
    this.remember();
  }

  /**
   * Frees the host ports `ports` asks for that ended containers still hold
   * (they end on their own, unseen until something looks at their state).
   */
  private async freePortsOfEnded(ports: PortMapping[]): Promise<void> {
    const wanted = (p: PortMapping) => ports.some((q) => q.hostPort !== 0 && q.hostPort === p.hostPort && q.protocol === p.protocol);
    for (const c of this.containers.values()) {
      if (c.lost || !c.network?.ports.some(wanted)) continue;
      await this.state(c); // an ended one's ports go there
    }
  }

  /** The published ports of a container (glassbox port). */
  ports(ref: string): PortMapping[] {
    return this.find(ref).network?.ports ?? [];
  }

  createNetwork(name: string): NetworkInfo {
    if (!this.networking) throw new ContainerError("this engine's guest has no network card: networks cannot be created");
    return this.networks.create(name);
  }

  async removeNetwork(name: string): Promise<void> {
    await this.leftBy((c) => c.network?.mode === name);
    this.networks.remove(name);
  }

  /**
   * Waits for the ended --rm containers still being removed (the leaving
   * map) that `holds` picks: an address on a network, a mounted volume are
   * theirs until the guest has removed them. Docker's `run --rm` returns
   * after the removal; glassbox's returns before it, so a command that
   * follows at once must not find them in its way.
   */
  private async leftBy(holds: (c: ContainerRecord) => boolean): Promise<void> {
    await Promise.all([...this.leaving.values()].filter((l) => holds(l.record)).map((l) => l.done));
  }

  /** The networks with the containers on each. */
  listNetworks(): (NetworkInfo & { containers: string[] })[] {
    return this.networks.list().map((n) => ({ ...n, containers: [...this.containers.values()].filter((c) => c.network?.mode === n.name).map((c) => c.name) }));
  }

  /** The process user for a User spec, names looked up in the container's own root (mounted by createScript). */
  private async processUser(id: string, spec: string | undefined): Promise<ProcessUser> {
    if (!needsAccountFiles(spec)) return resolveUser(spec, '', '');
    const read = async (file: string) => await this.must(accountFileScript(id, `/etc/${file}`), `reading the image's /etc/${file}`, { timeoutMs: ACCOUNT_READ_MS });
    try {
      return resolveUser(spec, await read('passwd'), await read('group'));
    } catch (e) {
      throw new ContainerError((e as Error).message);
    }
  }

  async state(c: ContainerRecord): Promise<ContainerState> {
    if (c.lost) return { status: 'exited', exitCode: undefined, pid: undefined, oomKilled: false, lost: true };
    const f = cgroupFigures((await this.shell.run(stateScript(c.id))).stdout);
    const crun = crunState(f.crun);
    const exit = f.exit ? Number(f.exit) : undefined;
    const status = exit !== undefined ? 'exited' : crun.status === 'running' || crun.status === 'paused' ? crun.status : crun.status === 'stopped' ? 'exited' : 'created';
    if (status === 'exited' && this.containers.has(c.id)) this.freePorts(c);
    return { status, exitCode: exit, pid: crun.pid || undefined, oomKilled: Number(f['memory.events.oom_kill'] || 0) > 0 };
  }

  async ps(all = false): Promise<(ContainerRecord & { state: ContainerState })[]> {
    const out = [];
    for (const c of this.containers.values()) {
      const state = await this.state(c);
      if (all || state.status === 'running') out.push({ ...c, state });
    }
    return out;
  }

  /**
   * The container's stdout and stderr as written; with `times`, also each
   * log's line-time file (timesFile: a guest time per line, read after the
   * log, so each line read has its time unless it arrived since).
   */
  async logs(ref: string, times = false): Promise<ContainerLogs> {
    const id = this.find(ref).id;
    const read = async (file: string) => (await this.shell.run(bundleFileScript(id, file))).stdout;
    const logs: ContainerLogs = { stdout: await read('stdout'), stderr: await read('stderr') };
    if (times) logs.times = { stdout: await read(timesFile('stdout')), stderr: await read(timesFile('stderr')) };
    return logs;
  }

  /** Runs a command in a running container's namespaces and cgroup. */
  async exec(ref: string, cmd: string[], opts: { stdin?: Uint8Array; user?: string } & ExecOptions = {}): Promise<ShellResult> {
    const c = await this.running(ref);
    const { stdin, user, env, ...o } = opts;
    const as = user === undefined ? c.user : await this.processUser(c.id, user);
    return this.shell.run(execScript(c.id, cmd, false, as, { ...o, env: await this.execEnv(c, env, false) }), { stdin, long: true });
  }

  /** exec attached to a session: stdin streamed, output as it comes, on a new terminal of size `tty` if given. */
  async execAttached(ref: string, cmd: string[], tty?: WindowSize, opts: { user?: string; workdir?: string; env?: string[] } = {}): Promise<Attached> {
    const spawn = this.spawner();
    const c = await this.running(ref);
    const as = opts.user === undefined ? c.user : await this.processUser(c.id, opts.user);
    const env = await this.execEnv(c, opts.env, tty !== undefined);
    const session = await spawn(execScript(c.id, cmd, tty !== undefined, as, { workdir: opts.workdir, env }), { tty, consoleSocket: tty !== undefined });
    return { id: c.id, session, exitCode: session.exit.then((end) => end.exitCode) };
  }

  /**
   * The environment of an exec with -e: the container's (default PATH and
   * HOME, its image's Env, its run -e) with these on top, as Docker's exec;
   * undefined without -e, so that crun gives the container's own.
   */
  private async execEnv(c: ContainerRecord, env: string[] | undefined, tty: boolean): Promise<string[] | undefined> {
    if (!env?.length) return undefined;
    const image = await this.image(c.imageId).catch(() => undefined);
    if (!image) throw new ContainerError(`exec -e needs the image of container ${c.name} (${c.image}) for the container's environment, and it is no longer in the store`);
    return mergeEnv(processEnv(image.config, c.options.env, tty), env);
  }

  private async running(ref: string): Promise<ContainerRecord> {
    const c = this.find(ref);
    if ((await this.state(c)).status !== 'running') throw new ContainerError(`container ${c.name} is not running`);
    return c;
  }

  async kill(ref: string, signal = 'KILL'): Promise<void> {
    const c = this.find(ref);
    checkSignal(signal);
    this.stoppedByUser(c, true);
    await this.must(killScript(c.id, signal), `killing container ${c.name}`);
    if (await this.waitExit(c, 10_000)) this.freePorts(c);
  }

  /** Starts an exited container again (Docker's start): the same root, writable layer and logs; a running one is left be. */
  async start(ref: string): Promise<void> {
    const c = this.find(ref);
    const state = await this.state(c);
    if (state.lost) throw new ContainerError(`container ${c.name} ended with an earlier engine (its guest is gone): remove it and run a new one`);
    this.stoppedByUser(c, false);
    if (state.status === 'running' || state.status === 'paused') return;
    if (c.options.rm) throw new ContainerError(`container ${c.name} was run with --rm`);
    const ports = this.unconnected.get(c.id);
    if (ports && c.network) {
      await this.connect(c, c.network.mode, c.options, ports);
      this.unconnected.delete(c.id);
      this.remember();
    }
    await this.bindPortsAgain(c);
    await this.mountBinds(c.options);
    await this.must(startDetachedScript(c.id, true), `starting container ${c.name}`);
  }

  /** Every container the engine knows, for the restart policy's watcher. */
  records(): ContainerRecord[] {
    return [...this.containers.values()];
  }

  /** A start by the container's restart policy (restart-policy.ts), counted in its record. */
  async restartByPolicy(c: ContainerRecord): Promise<void> {
    // A user's stop may have come while the watcher read the state: it wins.
    if (c.manuallyStopped || !this.containers.has(c.id)) return;
    c.restartCount = (c.restartCount ?? 0) + 1;
    this.remember();
    await this.bindPortsAgain(c);
    await this.must(startDetachedScript(c.id, true), `restarting container ${c.name} by its policy`);
  }

  private stoppedByUser(c: ContainerRecord, stopped: boolean): void {
    if ((c.manuallyStopped ?? false) === stopped) return;
    c.manuallyStopped = stopped;
    this.remember();
  }

  /** Docker's restart: stop, then start on the same writable layer. */
  async restart(ref: string, graceSeconds?: number): Promise<void> {
    await this.stop(ref, graceSeconds);
    await this.start(ref);
  }

  /** Freezes (crun pause: the cgroup v2 freezer) or thaws every process of a container. */
  async pause(ref: string, frozen: boolean): Promise<void> {
    const c = this.find(ref);
    const status = (await this.state(c)).status;
    if (status !== (frozen ? 'running' : 'paused')) throw new ContainerError(`container ${c.name} is ${status}, not ${frozen ? 'running' : 'paused'}`);
    await this.must(freezeScript(c.id, frozen), `${frozen ? 'pausing' : 'unpausing'} container ${c.name}`);
  }

  /** The processes of a running or paused container, from its cgroup, PIDs as the guest sees them. */
  async top(ref: string): Promise<TopProcess[]> {
    const c = this.find(ref);
    const status = (await this.state(c)).status;
    if (status !== 'running' && status !== 'paused') throw new ContainerError(`container ${c.name} is not running`);
    return topProcesses(await this.must(topScript(c.id), `listing the processes of ${c.name}`));
  }

  /** The container's stop signal (run --stop-signal, default TERM), then SIGKILL after `graceSeconds` (default run --stop-timeout, else 10) of guest time. */
  async stop(ref: string, graceSeconds?: number): Promise<void> {
    const c = this.find(ref);
    this.stoppedByUser(c, true);
    if ((await this.state(c)).status !== 'running') return;
    await this.shell.run(killScript(c.id, c.options.stopSignal ?? 'TERM'));
    let ended = await this.waitExit(c, (graceSeconds ?? c.options.stopTimeout ?? 10) * 1000);
    if (!ended) {
      await this.shell.run(killScript(c.id, 'KILL'));
      ended = await this.waitExit(c, 10_000);
    }
    if (ended) this.freePorts(c);
  }

  private async waitExit(c: ContainerRecord, ms: number): Promise<boolean> {
    const r = await this.shell.run(waitExitScript(c.id, ms));
    return r.exitCode === 0;
  }

  async rm(ref: string, force = false): Promise<void> {
    const c = this.find(ref);
    if ((await this.state(c)).status === 'running') {
      if (!force) throw new ContainerError(`container ${c.name} is running: stop it first or use force`);
      await this.kill(c.id);
    }
    await this.remove(c);
  }

  private async remove(c: ContainerRecord): Promise<void> {
    this.disconnect(c);
    if (!c.lost) await this.shell.run(removalScript(c.id));
    this.containers.delete(c.id);
    this.remember();
  }

  /**
   * remove() of an ended container in the background (the leaving map):
   * gone from the lists now, from the guest soon. `crunReturned`: the run's
   * script saw crun run return (removeScript's `ended`).
   */
  private removeLater(c: ContainerRecord, crunReturned: boolean): void {
    this.containers.delete(c.id);
    this.unpublish(c);
    // Nobody waits for its answer: a removal that failed leaves files on the disk, as remove()'s would.
    const done = (c.lost ? Promise.resolve() : this.shell.run(removalScript(c.id, crunReturned)).then(() => {}))
      .catch(() => {})
      .finally(() => {
        this.releaseAddress(c);
        this.leaving.delete(c.id);
        this.remember();
      });
    this.leaving.set(c.id, { record: c, done });
    this.remember();
  }

  /** Resolves once the guest has removed every container removeLater left to it (engine stop waits for it before the disk goes). */
  async settled(): Promise<void> {
    while (this.leaving.size) await this.leftBy(() => true);
  }

  /** The container's filesystem change as a gzip'd OCI layer, and its diff_id, checked against the guest's own sha256. */
  async diff(ref: string): Promise<PackedLayer> {
    const c = this.find(ref);
    return this.packed(await this.shell.run(diffScript(`${writableDir(c.id)}/upper`, writableDir(c.id))), `the changes of ${c.name}`);
  }

  /** A container whose guest is this engine's (not lost with an earlier one). */
  private inGuest(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (c.lost) throw new ContainerError(`container ${c.name} ended with an earlier engine (its guest is gone): remove it and run a new one`);
    return c;
  }

  /** Docker's diff: the changes in the container's writable layer, sorted by path. */
  async changes(ref: string): Promise<{ kind: 'A' | 'C' | 'D'; path: string }[]> {
    const c = this.inGuest(ref);
    const out = await this.must(changesScript(`${writableDir(c.id)}/upper`, `${bundleDir(c.id)}/rootfs`), `listing the changes of ${c.name}`);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ kind: l[0] as 'A' | 'C' | 'D', path: l.slice(2) }));
  }

  /** A path of a running or stopped container's root as a tar (cp out), with what it is: a directory or not. */
  async archive(ref: string, path: string, follow: boolean): Promise<{ kind: 'dir' | 'file'; tar: Uint8Array }> {
    const c = this.inGuest(ref);
    const r = await this.shell.run(archiveScript(`${bundleDir(c.id)}/rootfs`, path, follow), { long: true });
    if (r.exitCode !== 0)
      throw new ContainerError(r.exitCode === 4 ? `Could not find the file ${path} in container ${c.name}` : `copying ${path} from ${c.name}: ${r.stderr.trim()}`);
    const nl = r.stdout.indexOf('\n');
    return { kind: r.stdout.slice(0, nl) === 'dir' ? 'dir' : 'file', tar: Uint8Array.from(atob(r.stdout.slice(nl + 1).replace(/\s/g, '')), (ch) => ch.charCodeAt(0)) };
  }

  /** Unpacks a tar (its top entry named target.name) into a container's root under Docker's cp rules for the destination. */
  async extract(ref: string, target: ExtractTarget, tar: Uint8Array): Promise<void> {
    const c = this.inGuest(ref);
    const work = `${COPY_ROOT}/${randomId().slice(0, 16)}`;
    try {
      await this.must(sh`mkdir -p ${work}`, "making the copy's scratch directory");
      await writeGuestFile(this.shell, `${work}/in.tar`, tar);
      const r = await this.shell.run(extractScript(`${bundleDir(c.id)}/rootfs`, target, `${work}/in.tar`, `${work}/stage`), { long: true });
      if (r.exitCode !== 0) throw new ContainerError(`copying into ${c.name}:${target.dest}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    } finally {
      await this.shell.run(sh`rm -rf ${work}`);
    }
  }

  /** Docker's rename: the new name must be free; the ID, and so the hostname, stay. */
  rename(ref: string, name: string): void {
    const c = this.find(ref);
    if (c.name === name) return;
    if ([...this.containers.values()].some((o) => o.name === name)) throw new ContainerError(`the name ${name} is already in use`);
    c.name = name;
    this.remember();
  }

  /** Files of an image (a build stage) as a new layer, as COPY --from makes it; `copies` hold absolute paths. */
  async copyFrom(image: RunnableImage, copies: StageCopy[]): Promise<PackedLayer> {
    const layers = await ensureLayers(this.shell, this.store, image.layers, image.diffIds, this.unpacking, this.networking?.blobs);
    const work = `${COPY_ROOT}/${randomId().slice(0, 16)}`;
    return this.packed(await this.shell.run(copyLayerScript(layers, copies, work)), `files of ${image.name}`);
  }

  /** A layer a guest script packed: base64 gzip on stdout, the tar's sha256 on stderr. */
  private async packed(r: ShellResult, what: string): Promise<PackedLayer> {
    if (r.exitCode !== 0) throw new ContainerError(`exporting ${what}: ${r.stderr.trim()}`);
    const blob = Uint8Array.from(atob(r.stdout.replace(/\s/g, '')), (c) => c.charCodeAt(0));
    const diffId = await digestOf(await gunzip(blob));
    if (diffId !== `sha256:${r.stderr.trim()}`) throw new ContainerError(`the layer of ${what} arrived damaged (${diffId}, guest says sha256:${r.stderr.trim()})`);
    return { blob, diffId };
  }

  async stats(ref: string): Promise<Record<string, string>> {
    const id = this.find(ref).id;
    const r = await this.shell.run(statsScript(id));
    // The container may end while its figures are read, and crun remove its leaf cgroup under the script: read again, from the parent.
    return cgroupFigures(r.exitCode === 0 ? r.stdout : await this.must(statsScript(id), 'reading cgroup files'));
  }

  /** Config, state, and the isolation facts: namespaces next to the guest's, cgroup, PID inside and in the guest. */
  async inspect(ref: string) {
    const c = this.find(ref);
    const state = await this.state(c);
    let isolation: Record<string, unknown> | undefined;
    if (state.status === 'running' && state.pid) {
      const facts = isolationFacts(await this.must(isolationScript(state.pid), 'reading /proc'), state.pid);
      // No PID in the guest: the process ended after crun's state was read, and its /proc with it.
      if (facts.pidInGuest !== undefined) isolation = facts;
    }
    return { ...c, state, isolation, limits: await this.stats(c.id) };
  }
}
