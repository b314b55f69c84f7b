// The OCI runtime config.json for a container: the image config's
// Entrypoint, Cmd, Env, WorkingDir and User, overridden by the run options.
// (runtime-spec v1.0 config.md and config-linux.md)

import type { WindowSize } from '../../api/types.ts';
import type { ImageConfig } from '../store/oci.ts';
import type { ProcessUser } from './users.ts';
import type { PortMapping } from './networks.ts';
import { bundleDir } from './guest-scripts.ts';
import { volumeMounts, type VolumeMount } from './volumes.ts';
import { bindMounts, type BindMount } from './binds.ts';

export interface RunOptions {
  name?: string;
  hostname?: string;
  env?: string[];
  workdir?: string;
  /** Bytes. */
  memory?: number;
  pidsLimit?: number;
  /** CPUs, e.g. 0.5: a CFS quota of that share of each 100 ms period. */
  cpus?: number;
  /** host (the guest's own network; "default" says the same), none (only lo), or a network's name (default: bridge when the engine has networking, else host). */
  network?: string;
  /** -p: host ports forwarded to the container's ports. */
  publish?: PortMapping[];
  /** -P: each TCP port the image exposes too, on a free host port. */
  publishAll?: boolean;
  /** name, name:group, uid or uid:gid; replaces the image's User. */
  user?: string;
  /** Command; replaces the image's Cmd (the Entrypoint stays). */
  cmd?: string[];
  stdin?: Uint8Array;
  /** A terminal of this size as the container's stdio and controlling terminal (crun's process.terminal). */
  tty?: WindowSize;
  detach?: boolean;
  rm?: boolean;
  /** Replaces the image's Entrypoint (and, as Docker, drops its Cmd unless cmd is given). */
  entrypoint?: string;
  /** The root filesystem mounted read-only (--read-only). */
  readOnly?: boolean;
  /** Empty tmpfs mounts at these absolute paths (--tmpfs). */
  tmpfs?: string[];
  /** Capabilities added to and dropped from Docker's set, CAP_ names or ALL (--cap-add, --cap-drop). */
  capAdd?: string[];
  capDrop?: string[];
  /** The signal stop sends first (default TERM) and the seconds it waits before KILL (default 10). */
  stopSignal?: string;
  stopTimeout?: number;
  /** Docker's --label KEY=VALUE: kept with the container for ps filters and inspect. */
  labels?: Record<string, string>;
  /** Resource limits of the container's processes (--ulimit), as setrlimit(2) takes them. */
  ulimits?: Ulimit[];
  /** A minimal init as PID 1 (--init): it forwards signals to the command and reaps orphans. */
  init?: boolean;
  /** When the engine starts the container again after it ends (--restart; default no). */
  restart?: RestartPolicy;
  /** -v NAME:/path[:ro]: named volumes on the engine's disk (volumes.ts), made if missing. */
  volumes?: VolumeMount[];
  /** -v /host/dir:/path[:ro]: host directories through the engine's 9p share (binds.ts). */
  binds?: BindMount[];
  /** --device-read-bps / --device-write-bps on the engine's disk, bytes a second: io.max on the disk's device number (blockIO). */
  deviceReadBps?: number;
  deviceWriteBps?: number;
}

/** One --ulimit: a resource of setrlimit(2) by Docker's name (nofile, nproc...), -1 for unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** Docker's --restart: no, always, unless-stopped, or on-failure with at most `maxRetries` tries (0: no limit). */
export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maxRetries?: number;
}

export class RunOptionError extends Error {
  override name = 'RunOptionError';
}

const CPU_PERIOD_US = 100_000;

// Docker's default capability set without CAP_MKNOD (as Docker runs rootless
// and user-namespaced containers): a container makes no device nodes at all.
const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * The devices a container may open, Docker's default allowlist; everything
 * else is denied by crun's cgroup v2 device program (eBPF, which the guest
 * kernel has), a node its image ships too. Above all the guest's serial ports
 * stay out of reach: COM2 (ttyS1, 4:65) carries the agent's frames, and a
 * container that could write it would speak for the agent. (Mounting the
 * root overlay nodev would not help: crun binds the root again, without it.)
 */
const char = (major: number, minor?: number) => ({ allow: true, type: 'c', major, ...(minor === undefined ? {} : { minor }), access: 'rwm' });
export const DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  char(1, 3),
  char(1, 5),
  char(1, 7),
  char(1, 8),
  char(1, 9), // null zero full random urandom
  char(5, 0),
  char(5, 1),
  char(5, 2), // tty console ptmx
  char(136), // the container's own pseudo-terminals (devpts)
];

/** Every capability of Linux 6.1 (capabilities(7)), the names --cap-add and --cap-drop take. */
export const ALL_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

/** Docker's set with --cap-add and --cap-drop applied (drops first, as Docker; ALL stands for every capability). */
export function capabilities(add: string[], drop: string[]): string[] {
  const norm = (c: string) => {
    const name = c.toUpperCase().startsWith('CAP_') || c.toUpperCase() === 'ALL' ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
    if (name !== 'ALL' && !ALL_CAPABILITIES.includes(name))
      throw new RunOptionError(`unknown capability "${c}": give a name of capabilities(7), e.g. NET_ADMIN or CAP_SYS_TIME, or ALL`);
    return name;
  };
  const [adds, drops] = [add.map(norm), drop.map(norm)];
  let caps = drops.includes('ALL') ? [] : CAPABILITIES.filter((c) => !drops.includes(c));
  caps = adds.includes('ALL') ? [...ALL_CAPABILITIES] : [...new Set([...caps, ...adds])];
  return caps;
}

/** The kernel filesystems every container gets, as runc and crun's own examples mount them. */
export const CONTAINER_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

/** The resources --ulimit names, as Docker spells them, and their RLIMIT_ names in the runtime spec. */
const RLIMITS: Record<string, string> = {
  as: 'RLIMIT_AS',
  core: 'RLIMIT_CORE',
  cpu: 'RLIMIT_CPU',
  data: 'RLIMIT_DATA',
  fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING',
  stack: 'RLIMIT_STACK',
};
/**
 * Unlimited: the guest's kernel is 32-bit, whose RLIM_INFINITY is 2^32 - 1
 * (prlimit64 takes any value at or above it as infinity). The runtime spec's
 * 2^64 - 1 has no exact JSON number in JavaScript.
 */
const UNLIMITED = 0xffff_ffff;

/** Parses Docker's --ulimit NAME=SOFT[:HARD] (HARD defaults to SOFT; -1 is unlimited). */
export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(spec);
  if (!m) throw new RunOptionError(`--ulimit ${spec}: give NAME=SOFT[:HARD], e.g. nofile=1024:2048 (-1 for unlimited)`);
  const [, name, soft, hard = soft] = m;
  const value = (v: string) => (v === '-1' ? -1 : Number(v));
  const u = { name: name!, soft: value(soft!), hard: value(hard!) };
  checkUlimit(u, spec);
  return u;
}

/** Refuses a --ulimit the runtime would not take: an unknown resource, a value past 32 bits, a soft limit above the hard one. */
export function checkUlimit(u: Ulimit, given = `${u.name}=${u.soft}:${u.hard}`): void {
  const spec = `--ulimit ${given}`;
  if (!Object.hasOwn(RLIMITS, u.name)) throw new RunOptionError(`${spec}: unknown resource "${u.name}" (one of ${Object.keys(RLIMITS).join(', ')})`);
  for (const v of [u.soft, u.hard])
    if (v !== -1 && !(Number.isInteger(v) && v >= 0 && v < UNLIMITED)) throw new RunOptionError(`${spec}: a limit is a whole number below ${UNLIMITED}, or -1 for unlimited`);
  const above = (a: number, b: number) => (a === -1 ? b !== -1 : b !== -1 && a > b);
  if (above(u.soft, u.hard)) throw new RunOptionError(`${spec}: the soft limit is above the hard one`);
}

/** Parses Docker's --restart no|always|unless-stopped|on-failure[:MAX]. */
export function parseRestartPolicy(spec: string): RestartPolicy {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(spec);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) throw new RunOptionError(`--restart ${spec}: give no, always, unless-stopped or on-failure[:MAX-RETRIES]`);
  return { name: m[1] as RestartPolicy['name'], ...(m[2] !== undefined ? { maxRetries: Number(m[2]) } : {}) };
}

/**
 * --init: the guest's static busybox, bound read-only into the container's
 * /dev (a tmpfs, so nothing shows in its writable layer), runs INIT_SCRIPT
 * (bound beside it from the bundle) as PID 1 with the command as its child.
 * PID 1 gets no signal it has no handler for, so a command that is PID 1
 * itself ignores stop's TERM; this one passes each signal on, reaps every
 * orphan (ash's wait takes any child), and exits with the command's status
 * (128 + the signal when killed), as Docker's tini-based docker-init does.
 * The child's stdin is the container's (an asynchronous list would
 * otherwise get /dev/null).
 */
const INIT_DIR = '/dev/init';
export const INIT_SCRIPT = [
  'exec 3<&0',
  '"$@" <&3 3<&- &',
  'c=$!',
  'exec 3<&-',
  'for s in HUP INT QUIT USR1 USR2 TERM ALRM WINCH CONT; do trap "kill -$s $c 2>/dev/null" $s; done',
  'while :; do wait $c; r=$?; kill -0 $c 2>/dev/null || exit $r; done',
  '',
].join('\n');
/** Where the guest keeps the static busybox that --init binds into the container. */
const GUEST_BUSYBOX = '/bin/busybox';
/** The bundle's copy of INIT_SCRIPT, written when the container is made. */
export const initScriptPath = (id: string) => `${bundleDir(id)}/init`;

/** Env lists merged by variable name, later entries winning. */
export function mergeEnv(...lists: string[][]): string[] {
  const byName = new Map<string, string>();
  for (const list of lists) for (const e of list) byName.set(e.split('=')[0]!, e);
  return [...byName.values()];
}

/** The container's environment: a default PATH and HOME, the image's Env, then -e (and TERM with a terminal). */
export function processEnv(image: ImageConfig, env: string[] | undefined, tty: boolean): string[] {
  return mergeEnv(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', ...(tty ? ['TERM=xterm'] : [])], image.config?.Env ?? [], env ?? []);
}

export function processArgs(image: ImageConfig, cmd: string[] | undefined, entrypoint?: string): string[] {
  const c = image.config ?? {};
  const given = cmd?.length ? cmd : undefined;
  const args = entrypoint !== undefined ? [entrypoint, ...(given ?? [])] : [...(c.Entrypoint ?? []), ...(given ?? c.Cmd ?? [])];
  if (args.length === 0) throw new RunOptionError('no command: the image has no Entrypoint or Cmd and none was given');
  return args;
}

/** A block device as the guest's kernel numbers it (/sys/block/NAME/dev). */
export interface DeviceNumber {
  major: number;
  minor: number;
}

/**
 * --device-read-bps/--device-write-bps as the runtime spec's blockIO, which
 * crun writes to the cgroup's io.max ("MAJ:MIN rbps=N wbps=N") for `disk`,
 * the engine's virtio disk; undefined when no rate is given.
 */
function blockIO(o: RunOptions, disk?: DeviceNumber): object | undefined {
  if (o.deviceReadBps === undefined && o.deviceWriteBps === undefined) return undefined;
  if (!disk) throw new RunOptionError('--device-read-bps/--device-write-bps: the engine has no disk to limit');
  const rate = (bps?: number) => (bps === undefined ? [] : [{ ...disk, rate: bps }]);
  return { throttleReadBpsDevice: rate(o.deviceReadBps), throttleWriteBpsDevice: rate(o.deviceWriteBps) };
}

/**
 * The bundle config; `user` is the process user already resolved against the
 * container's account files; `netns`, the network namespace made for it
 * (network-scripts.ts), which it joins.
 */
export function runtimeConfig(image: ImageConfig, id: string, cgroupsPath: string, o: RunOptions, user: ProcessUser, netns?: string, disk?: DeviceNumber): object {
  const c = image.config ?? {};
  const caps = capabilities(o.capAdd ?? [], o.capDrop ?? []);
  const resources: Record<string, unknown> = { devices: DEVICE_RULES };
  const io = blockIO(o, disk);
  if (io) resources.blockIO = io;
  if (o.memory !== undefined) resources.memory = { limit: o.memory, swap: o.memory };
  if (o.pidsLimit !== undefined) resources.pids = { limit: o.pidsLimit };
  if (o.cpus !== undefined) resources.cpu = { quota: Math.round(o.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'cgroup' }];
  // A namespace made for the container, or (--network none without one) a new empty one; else the guest's network.
  if (netns) namespaces.push({ type: 'network', path: netns });
  else if (o.network === 'none') namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: o.tty !== undefined,
      ...(o.tty ? { consoleSize: { height: o.tty.rows, width: o.tty.cols } } : {}),
      user,
      args: [...(o.init ? [`${INIT_DIR}/sh`, `${INIT_DIR}/init`] : []), ...processArgs(image, o.cmd, o.entrypoint)],
      env: processEnv(image, o.env, o.tty !== undefined),
      ...(o.ulimits?.length
        ? { rlimits: o.ulimits.map((u) => ({ type: RLIMITS[u.name], soft: u.soft === -1 ? UNLIMITED : u.soft, hard: u.hard === -1 ? UNLIMITED : u.hard })) }
        : {}),
      cwd: o.workdir ?? (c.WorkingDir || '/'),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: o.readOnly === true },
    hostname: o.hostname ?? id.slice(0, 12),
    mounts: [
      ...CONTAINER_MOUNTS,
      ...(o.tmpfs ?? []).map((destination) => ({ destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] })),
      ...(o.init
        ? [
            [`${INIT_DIR}/sh`, GUEST_BUSYBOX],
            [`${INIT_DIR}/init`, initScriptPath(id)],
          ].map(([destination, source]) => ({ destination, type: 'bind', source, options: ['bind', 'ro', 'nosuid', 'nodev'] }))
        : []),
      ...volumeMounts(o.volumes ?? []),
      ...bindMounts(o.binds ?? []),
    ],
    linux: {
      cgroupsPath,
      resources,
      namespaces,
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
