// The shell the guest runs for each container operation, generated from
// typed values. Every container lives in CONTAINER_ROOT/ID (bundle, overlay
// dirs, stdio files, exit status) and in cgroup /glassbox/ID, a parent the
// engine owns so that counters such as memory.events outlive crun's own leaf
// cgroup /glassbox/ID/ctr, which carries the limits.

import { script, sh, type Script } from '../../api/shell-script.ts';
import { CGROUP_READER } from './cgroup-files.ts';
import { cgroupV2Path, cmdlineArgs, cpuinfo, hexBytes, meminfoKiB, procStatus, SECTIONS, sections } from './proc-files.ts';
import { RESOLVE_INSIDE } from './layer-scripts.ts';

export const CONTAINER_ROOT = '/run/glassbox/containers';
/** Where the engine's disk is mounted, when it has one (disk.ts): the layers and writable layers are under it. */
export const ENGINE_DISK_MOUNT = '/var/lib/glassbox';
const CGROUP_ROOT = '/sys/fs/cgroup/glassbox';
const CONTROLLERS = '+cpu +memory +pids +io';
/** Whether /proc/mounts lists a mount at PATH (of TYPE, if given). */
const mounted = (path: string, type = '') => sh`grep -q ${` ${path} ${type}`} /proc/mounts`;

/**
 * What containers write (overlay upper and work dirs, a build's layer
 * staging) lives apart from /run where the runtime keeps its state (crun's,
 * the bundles, logs and exit files): a container filling its /tmp fills
 * this, and every other container's logs, exit status and removal still
 * work. On the engine's disk when it has one (engine/disk.ts: the files
 * outlast the engine), else on a tmpfs of its own.
 */
export const WRITABLE_ROOT = '/var/lib/glassbox/rw';
/** Of guest RAM, as tmpfs counts it. */
const WRITABLE_SIZE = '40%';

export const bundleDir = (id: string) => `${CONTAINER_ROOT}/${id}`;
export const writableDir = (id: string) => `${WRITABLE_ROOT}/${id}`;

/** Where the bundles are kept on the engine's disk: bind-mounted on CONTAINER_ROOT, so every path stays the same. */
const DISK_BUNDLES = `${ENGINE_DISK_MOUNT}/containers`;

/**
 * Makes the engine's cgroup and the containers' places unless they are there
 * (run once per guest, before the first container). On the engine's disk, the bundles (config,
 * stdin, logs, exit status, the overlay's options) are kept there too, so a
 * later engine finds its stopped containers whole; crun's own state stays in
 * /run, as it describes processes that end with the guest.
 */
export function storageScript(): Script {
  return script(cgroupRootScript(), storagePlacesScript());
}

/**
 * The engine's parent cgroup, its controllers handed down to the containers'
 * (a booted engine's guest has it already: engine/boot.ts makes it before
 * the snapshot).
 */
export function cgroupRootScript(): Script {
  return sh`[ -d ${CGROUP_ROOT} ] || { mkdir ${CGROUP_ROOT} && echo ${CONTROLLERS} > ${CGROUP_ROOT}/cgroup.subtree_control; }`;
}

function storagePlacesScript(): Script {
  const tmpfs = sh`{ ${mounted(WRITABLE_ROOT, 'tmpfs ')} || { mkdir -p ${WRITABLE_ROOT} && mount -t tmpfs -o size=${WRITABLE_SIZE},mode=700 gb-rw ${WRITABLE_ROOT}; }; }`;
  const bundles = sh`mkdir -p ${DISK_BUNDLES} ${CONTAINER_ROOT} && chmod 700 ${DISK_BUNDLES} ${CONTAINER_ROOT} && { ${mounted(CONTAINER_ROOT)} || mount -o bind ${DISK_BUNDLES} ${CONTAINER_ROOT}; }`;
  return sh`if ${mounted(ENGINE_DISK_MOUNT, 'ext4 ')}; then mkdir -p ${WRITABLE_ROOT} && chmod 700 ${WRITABLE_ROOT} && ${bundles}; else ${tmpfs}; fi`;
}
export const cgroupDir = (id: string) => `${CGROUP_ROOT}/${id}`;
export const crunCgroupsPath = (id: string) => `/glassbox/${id}/ctr`;

/** The container's cgroup under the engine's parent (storageScript made that, before any container). */
function cgroupScript(id: string): Script {
  return sh`mkdir -p ${cgroupDir(id)} && echo ${CONTROLLERS} > ${cgroupDir(id)}/cgroup.subtree_control`;
}

/** The bundle's file holding the overlay root's mount options, so a later engine can mount it again. */
const OVERLAY_FILE = 'overlay.opts';

/** Creates the container's cgroup and bundle directory with its overlay root over the layers. */
export function createScript(id: string, layerDirs: string[]): Script {
  const dir = bundleDir(id);
  const rw = writableDir(id);
  // overlayfs lists lowerdir top layer first
  const lower = [...layerDirs].reverse().join(':');
  const overlay = `lowerdir=${lower},upperdir=${rw}/upper,workdir=${rw}/work`;
  return script(
    sh`set -e`,
    cgroupScript(id),
    sh`mkdir -p ${dir}/rootfs ${rw}/upper ${rw}/work`,
    // The container's stdin, empty unless the run gives one (then written over).
    sh`: > ${dir}/stdin`,
    sh`echo ${overlay} > ${dir}/${OVERLAY_FILE}`,
    sh`mount -t overlay overlay -o ${overlay} ${dir}/rootfs`,
  );
}

/**
 * Takes back a container an earlier engine left on the disk: its cgroup and
 * overlay root again, and, if it was running when that guest ended, the
 * status of a process killed by SIGKILL (which is what ending the guest did
 * to it). Prints "absent" when the disk does not hold the container (an
 * engine without a disk, or a disk made anew), "restored" otherwise.
 */
export function restoreScript(id: string): Script {
  const dir = bundleDir(id);
  return script(
    sh`[ -f ${dir}/config.json ] && [ -f ${dir}/${OVERLAY_FILE} ] && [ -d ${writableDir(id)}/upper ] || { echo absent; exit 0; }`,
    sh`set -e`,
    cgroupScript(id),
    sh`${mounted(`${dir}/rootfs`)} || mount -t overlay overlay -o "$(cat ${dir}/${OVERLAY_FILE})" ${dir}/rootfs`,
    sh`[ -e ${dir}/exit ] || echo 137 > ${dir}/exit`,
    sh`echo restored`,
  );
}

/** The most of an account file (passwd, group) the engine reads from an image. */
export const ACCOUNT_FILE_MAX = 1 << 20;

/**
 * Prints an account file of the container's root (/etc/passwd, /etc/group),
 * every link resolved inside that root, at most ACCOUNT_FILE_MAX bytes, and
 * only if it is a regular file (an image's /etc/passwd linked to /dev/zero
 * or to the guest's files reads as empty).
 */
export function accountFileScript(id: string, file: string): Script {
  return script(
    RESOLVE_INSIDE,
    sh`f=$(gb_inside ${`${bundleDir(id)}/rootfs`} ${file} all) || exit 0`,
    sh`[ -f "$f" ] && [ ! -L "$f" ] || exit 0`,
    sh`head -c ${ACCOUNT_FILE_MAX} "$f"`,
  );
}

/** Records $s as the container's exit status, all at once (a reader never sees half a number). */
const EXIT_RECORDED = sh`echo "$s" > exit.tmp && mv exit.tmp exit`;

/** The file of a log's line times: one guest time (Unix seconds, 6 decimals) per line of the log, in order. */
export const timesFile = (log: 'stdout' | 'stderr') => `${log}.times`;

/**
 * Stamps each line of a log as it arrives (awk reads the stream buffered, so
 * it keeps up with a fast writer; the log file itself is tee's, byte for
 * byte). The guest clock at the start ($EPOCHREALTIME, microseconds) moved on
 * by /proc/uptime (10 ms steps) read per line: no process per line.
 */
const STAMP_AWK = 'BEGIN { f = "/proc/uptime" } { getline u < f; close(f); printf "%.6f\\n", r + (u - s); fflush() }';

/**
 * The shell that sends a container's stdout and stderr each through a fifo
 * into its log file (appended to: a restart's output follows the last run's)
 * and its line times; `live`: tee also passes the stream on (stdout to
 * stdout, stderr to stderr), else it goes nowhere else. The writer opens
 * NAME.pipe; `wait` then lets the stamps finish.
 */
function loggedStreams(live: boolean): Script[] {
  const stream = (log: 'stdout' | 'stderr') => [
    sh`awk -v r="$now" -v s="$up" ${STAMP_AWK} <${log}.stamp >>${timesFile(log)} &`,
    live && log === 'stderr'
      ? sh`tee -a ${log} ${log}.stamp <${log}.pipe >&2 &`
      : live
        ? sh`tee -a ${log} ${log}.stamp <${log}.pipe &`
        : sh`tee -a ${log} ${log}.stamp <${log}.pipe >/dev/null &`,
  ];
  return [sh`rm -f ${FIFOS} && mkfifo ${FIFOS}`, sh`read -r up _ </proc/uptime; now=$EPOCHREALTIME`, ...stream('stdout'), ...stream('stderr')];
}

/** The fifos the streams pass through. */
const FIFOS = ['stdout.pipe', 'stderr.pipe', 'stdout.stamp', 'stderr.stamp'];

/** After the container: its log writers drained, their fifos gone, its status recorded. */
const LOGS_DONE = [sh`wait`, sh`rm -f ${FIFOS}`, EXIT_RECORDED];

/**
 * Runs the container to its end, recording stdout, stderr (each line's time
 * beside it) and the exit status in the bundle, and prints "exit=STATUS" (so
 * a foreground run needs no state query after: stateScript's processes cost
 * seconds on a busy host). `again`: a restart, on the same root and writable
 * layer, its output added to the logs (crun run deleted the ended
 * container's state).
 */
export function runScript(id: string, again = false): Script {
  return script(runToEnd(id, again), sh`echo "exit=$s"`);
}

/** runScript without its report: in the bundle directory, the status in $s. */
function runToEnd(id: string, again: boolean): Script {
  const dir = bundleDir(id);
  return script(
    sh`cd ${dir} || exit 1`,
    again ? [sh`crun delete -f ${id} >/dev/null 2>&1; rm -f exit`] : [],
    loggedStreams(false),
    sh`crun run --bundle ${dir} ${id} <stdin >stdout.pipe 2>stderr.pipe`,
    sh`s=$?`,
    LOGS_DONE,
  );
}

/** What foregroundRunScript ends its stderr with, before the status. */
const STATUS_MARK = '\nexit=';
const STATUS_AT_END = new RegExp(`${STATUS_MARK}(\\d+)$`);

/**
 * A foreground run's whole answer in one command (three before): runScript,
 * then the logs it wrote as the command's own stdout and stderr, the status
 * last on stderr after STATUS_MARK (foregroundResult takes it off).
 */
export function foregroundRunScript(id: string): Script {
  return script(runToEnd(id, false), sh`cat stdout && cat stderr >&2 && printf ${`${STATUS_MARK}%s`} "$s" >&2`);
}

/** foregroundRunScript's container status, stdout and stderr; undefined when it did not get to report them (its own stderr then says why). */
export function foregroundResult(r: { stdout: string; stderr: string }): { status: number; stdout: string; stderr: string } | undefined {
  const m = STATUS_AT_END.exec(r.stderr);
  return m ? { status: Number(m[1]), stdout: r.stdout, stderr: r.stderr.slice(0, m.index) } : undefined;
}

/**
 * Runs the container attached to an agent session: with a tty, crun passes
 * the container's terminal to the agent's console socket (and nothing is
 * logged); without, stdin comes through and stdout and stderr go out live
 * and to the log files.
 */
export function attachedRunScript(id: string, tty: boolean): Script {
  const dir = bundleDir(id);
  return script(
    sh`cd ${dir} || exit 1`,
    tty
      ? [sh`crun run --console-socket "$GLASSBOX_CONSOLE_SOCKET" --bundle ${dir} ${id}; s=$?`, EXIT_RECORDED]
      : [...loggedStreams(true), sh`crun run --bundle ${dir} ${id} >stdout.pipe 2>stderr.pipe; s=$?`, ...LOGS_DONE],
    sh`exit "$s"`,
  );
}

/**
 * A command in a running container, with the container's environment
 * (crun's --env would replace it), on its own pty handed to the agent's
 * console socket when `tty`.
 */
export function execScript(id: string, cmd: string[], tty: boolean, user?: { uid: number; gid: number }, o: ExecOptions = {}): Script {
  const terminal = tty ? sh` -t --console-socket "$GLASSBOX_CONSOLE_SOCKET"` : sh``;
  // crun exec runs as root unless told; Docker's exec runs as the container's user
  const as = user ? sh` --user ${`${user.uid}:${user.gid}`}` : sh``;
  const cwd = o.workdir ? sh` --cwd ${o.workdir}` : sh``;
  // crun exec's --env replaces the whole environment, so `env` is the container's with exec -e on top.
  const env = (o.env ?? []).flatMap((e) => ['--env', e]);
  const exec = sh`crun exec${terminal}${as}${cwd} ${env} ${id} ${cmd}`;
  // Detached (exec -d): started in the background, its output dropped, as Docker's.
  return o.detach ? sh`( ${exec} ) </dev/null >/dev/null 2>&1 &` : exec;
}

/** exec's own options (Docker's -w, -d); -u is resolved to a user by the engine. */
export interface ExecOptions {
  workdir?: string;
  /** The whole environment of the command (the engine merges exec -e into the container's). */
  env?: string[];
  detach?: boolean;
}

/** Polls of the detached start, 50 ms apart: 30 s of guest time. */
const START_POLLS = 600;

/** Starts runScript in the background and waits (30 s at most) until crun knows the container or it already ended. */
export function startDetachedScript(id: string, again = false): Script {
  const dir = bundleDir(id);
  return script(
    // The exit file goes before the background start, so the wait below cannot see the last run's.
    again ? [sh`rm -f ${dir}/exit`] : [],
    sh`(`,
    runScript(id, again),
    sh`) >/dev/null 2>&1 &`,
    sh`i=0; until crun state ${id} >/dev/null 2>&1 || [ -e ${dir}/exit ]; do`,
    sh`  [ $i -ge ${START_POLLS} ] && { echo "crun did not report the container (nor its exit) within 30 s" >&2; exit 1; }`,
    sh`  i=$((i+1)); sleep 0.05`,
    sh`done`,
  );
}

/**
 * Prints key=value facts about a container: exit= the exit file's status,
 * crun= crun's state (JSON on one line, read on the host), and its cgroup's
 * figures (gb_cgroup: memory.events.oom_kill among them).
 */
export function stateScript(id: string): Script {
  const dir = bundleDir(id);
  return script(CGROUP_READER, sh`echo "exit=$(cat ${dir}/exit 2>/dev/null)"`, sh`echo "crun=$(crun state ${id} 2>/dev/null | tr -d '\n')"`, sh`gb_cgroup ${cgroupDir(id)}`);
}

/** Prints the cgroup v2 figures stats reports (gb_cgroup's): the leaf's while it exists (limits live there), else the parent's. */
export function statsScript(id: string): Script {
  const cg = cgroupDir(id);
  return script(CGROUP_READER, sh`d=${cg}/ctr; [ -d "$d" ] || d=${cg}`, sh`echo "cgroup=\${d#/sys/fs/cgroup}"`, sh`gb_cgroup "$d"`);
}

/** The container's processes (its cgroup's, leaf included): each one's /proc status and command line (gb_file, gb_hex), read by topProcesses. */
export function topScript(id: string): Script {
  return script(
    SECTIONS,
    sh`for p in $(cat ${cgroupDir(id)}/ctr/cgroup.procs ${cgroupDir(id)}/cgroup.procs 2>/dev/null | sort -nu); do`,
    sh`  gb_file /proc/$p/status; gb_hex /proc/$p/cmdline`,
    sh`done`,
  );
}

/** A process as `top` lists it, PIDs as the guest sees them. */
export interface TopProcess {
  pid: number;
  uid: number;
  ppid: number;
  /** The command line, or [NAME] for a process without one (a kernel thread, as ps shows it). */
  args: string;
}

/** topScript's output as processes, leaving out those that ended while it ran. */
export function topProcesses(out: string): TopProcess[] {
  const files = sections(out);
  const procs: TopProcess[] = [];
  for (const [name, text] of files) {
    const pid = /^\/proc\/(\d+)\/status$/.exec(name)?.[1];
    const status = pid === undefined ? undefined : procStatus(text);
    if (!status) continue;
    const args = cmdlineArgs(hexBytes(files.get(`/proc/${pid}/cmdline`) ?? '')).join(' ');
    procs.push({ pid: Number(pid), uid: status.uid, ppid: status.ppid, args: args || `[${status.name}]` });
  }
  return procs;
}

/** What `glassbox info` reports of the guest (guestInfo reads it): kernel, the CPU model the core's CPUID names, cgroup version, runtime, storage. */
export function infoScript(): Script {
  return script(
    SECTIONS,
    sh`gb_section uname-r; uname -r`,
    sh`gb_section uname-sm; uname -s -m`,
    sh`gb_section crun; crun --version`,
    sh`for f in /proc/cpuinfo /proc/meminfo /proc/mounts /proc/filesystems; do gb_file "$f"; done`,
  );
}

/** infoScript's output as `glassbox info`'s guest facts. */
export function guestInfo(out: string): Record<string, string> {
  const s = sections(out);
  const text = (name: string) => s.get(name) ?? '';
  const cpu = cpuinfo(text('/proc/cpuinfo'));
  const lines = (name: string) => text(name).split('\n');
  return {
    kernel: text('uname-r').trim(),
    os: text('uname-sm').trim(),
    cpu: cpu.model,
    cpus: String(cpu.count),
    memory: String(meminfoKiB(text('/proc/meminfo'), 'MemTotal') ?? ''),
    cgroup: lines('/proc/mounts').some((l) => l.startsWith('cgroup2 /sys/fs/cgroup ')) ? '2' : '1',
    crun: lines('crun')[0] ?? '',
    overlay: String(lines('/proc/filesystems').filter((l) => l.split('\t').pop() === 'overlay').length),
  };
}

const ISOLATION_NAMESPACES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];

/** The namespaces of PID and of the guest's init, PID's status (its pids as seen from each PID namespace) and its cgroup; isolationFacts reads them. */
export function isolationScript(pid: number): Script {
  return script(
    SECTIONS,
    sh`for n in ${ISOLATION_NAMESPACES}; do gb_section "ns.$n"; readlink /proc/${pid}/ns/"$n"; readlink /proc/1/ns/"$n"; done`,
    sh`gb_file /proc/${pid}/status; gb_file /proc/${pid}/cgroup`,
  );
}

/** isolationScript's output: each namespace of the container's process next to the guest's, its PID in the guest and inside, its cgroup. */
export function isolationFacts(out: string, pid: number) {
  const s = sections(out);
  const namespaces: Record<string, { container: string; guest: string }> = {};
  for (const n of ISOLATION_NAMESPACES) {
    const [container = '', guest = ''] = (s.get(`ns.${n}`) ?? '').split('\n');
    namespaces[n] = { container, guest };
  }
  const nspid = procStatus(s.get(`/proc/${pid}/status`) ?? '')?.nspid ?? [];
  return { namespaces, pidInGuest: nspid[0], pidInside: nspid[nspid.length - 1], cgroup: cgroupV2Path(s.get(`/proc/${pid}/cgroup`) ?? '') };
}

/**
 * Removes every trace of a container in the guest; safe to run on a
 * half-created one. `ended`: its crun run has returned, which deleted crun's
 * state of it, so no crun (a process of many libraries) is started to.
 */
export function removeScript(id: string, ended = false): Script {
  const dir = bundleDir(id);
  const cg = cgroupDir(id);
  return script(
    ended ? [] : [sh`crun delete -f ${id} >/dev/null 2>&1`],
    sh`umount ${dir}/rootfs 2>/dev/null`,
    sh`rm -rf ${dir} ${writableDir(id)}`,
    sh`rmdir ${cg}/ctr 2>/dev/null; rmdir ${cg} 2>/dev/null`,
    sh`true`,
  );
}

/** Sets the guest's wall clock to `ms` since the epoch (to the second: busybox date takes whole seconds). */
export const setClockScript = (ms: number) => sh`date -u -s @${Math.round(ms / 1000)} >/dev/null`;

/** crun kill with a signal the engine checked (a name or a number). */
export const killScript = (id: string, signal: string) => sh`crun kill ${id} ${signal}`;

/** Waits for the container's exit file, `ms` of guest time at most (then exit 1). */
export function waitExitScript(id: string, ms: number): Script {
  return sh`i=0; until [ -e ${bundleDir(id)}/exit ]; do [ $i -ge ${Math.ceil(ms / 50)} ] && exit 1; i=$((i+1)); sleep 0.05; done`;
}

/** crun pause or resume: the cgroup v2 freezer. */
export const freezeScript = (id: string, frozen: boolean) => (frozen ? sh`crun pause ${id}` : sh`crun resume ${id}`);

/** A file of a container's bundle as written (a log, its line times), nothing if it is not there. */
export const bundleFileScript = (id: string, file: string) => sh`cat ${`${bundleDir(id)}/${file}`} 2>/dev/null`;
