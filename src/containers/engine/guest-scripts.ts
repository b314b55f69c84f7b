// The shell the guest runs for each container operation, generated from
// typed values. Every container lives in CONTAINER_ROOT/ID (bundle, overlay
// dirs, stdio files, exit status) and in cgroup /glassbox/ID, a parent the
// engine owns so that counters such as memory.events outlive crun's own leaf
// cgroup /glassbox/ID/ctr, which carries the limits.

import { shq } from './guest-shell.ts';
import { RESOLVE_INSIDE } from './layer-scripts.ts';

export const CONTAINER_ROOT = '/run/glassbox/containers';
/** Where the engine's disk is mounted, when it has one (disk.ts): the layers and writable layers are under it. */
export const ENGINE_DISK_MOUNT = '/var/lib/glassbox';
const CGROUP_ROOT = '/sys/fs/cgroup/glassbox';
const CONTROLLERS = '+cpu +memory +pids +io';

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
 * Makes the containers' places unless they are there (run once per guest,
 * before the first container). On the engine's disk, the bundles (config,
 * stdin, logs, exit status, the overlay's options) are kept there too, so a
 * later engine finds its stopped containers whole; crun's own state stays in
 * /run, as it describes processes that end with the guest.
 */
export function storageScript(): string {
  const tmpfs = `grep -q ' ${WRITABLE_ROOT} tmpfs ' /proc/mounts || { mkdir -p ${WRITABLE_ROOT} && mount -t tmpfs -o size=${WRITABLE_SIZE},mode=700 gb-rw ${WRITABLE_ROOT}; }`;
  const bundles = `mkdir -p -m 700 ${DISK_BUNDLES} ${CONTAINER_ROOT} && { grep -q ' ${CONTAINER_ROOT} ' /proc/mounts || mount -o bind ${DISK_BUNDLES} ${CONTAINER_ROOT}; }`;
  return `if grep -q ' ${ENGINE_DISK_MOUNT} ext4 ' /proc/mounts; then mkdir -p -m 700 ${WRITABLE_ROOT} && ${bundles}; else ${tmpfs}; fi`;
}
export const cgroupDir = (id: string) => `${CGROUP_ROOT}/${id}`;
export const crunCgroupsPath = (id: string) => `/glassbox/${id}/ctr`;

/** The container's cgroup under the engine's parent (idempotent, as containers may be created concurrently). */
function cgroupScript(id: string): string {
  return [
    `mkdir -p ${CGROUP_ROOT} && echo ${shq(CONTROLLERS)} > ${CGROUP_ROOT}/cgroup.subtree_control`,
    `mkdir -p ${cgroupDir(id)} && echo ${shq(CONTROLLERS)} > ${cgroupDir(id)}/cgroup.subtree_control`,
  ].join('\n');
}

/** The bundle's file holding the overlay root's mount options, so a later engine can mount it again. */
const OVERLAY_FILE = 'overlay.opts';

/** Creates the container's cgroup and bundle directory with its overlay root over the layers. */
export function createScript(id: string, layerDirs: string[]): string {
  const dir = bundleDir(id);
  const rw = writableDir(id);
  // overlayfs lists lowerdir top layer first
  const lower = [...layerDirs].reverse().join(':');
  return [
    'set -e',
    cgroupScript(id),
    `mkdir -p ${dir}/rootfs ${rw}/upper ${rw}/work`,
    `echo ${shq(`lowerdir=${lower},upperdir=${rw}/upper,workdir=${rw}/work`)} > ${dir}/${OVERLAY_FILE}`,
    `mount -t overlay overlay -o "$(cat ${dir}/${OVERLAY_FILE})" ${dir}/rootfs`,
  ].join('\n');
}

/**
 * Takes back a container an earlier engine left on the disk: its cgroup and
 * overlay root again, and, if it was running when that guest ended, the
 * status of a process killed by SIGKILL (which is what ending the guest did
 * to it). Prints "absent" when the disk does not hold the container (an
 * engine without a disk, or a disk made anew), "restored" otherwise.
 */
export function restoreScript(id: string): string {
  const dir = bundleDir(id);
  return [
    `[ -f ${dir}/config.json ] && [ -f ${dir}/${OVERLAY_FILE} ] && [ -d ${writableDir(id)}/upper ] || { echo absent; exit 0; }`,
    'set -e',
    cgroupScript(id),
    `grep -q ' ${dir}/rootfs ' /proc/mounts || mount -t overlay overlay -o "$(cat ${dir}/${OVERLAY_FILE})" ${dir}/rootfs`,
    `[ -e ${dir}/exit ] || echo 137 > ${dir}/exit`,
    'echo restored',
  ].join('\n');
}

/** The most of an account file (passwd, group) the engine reads from an image. */
export const ACCOUNT_FILE_MAX = 1 << 20;

/**
 * Prints an account file of the container's root (/etc/passwd, /etc/group),
 * every link resolved inside that root, at most ACCOUNT_FILE_MAX bytes, and
 * only if it is a regular file (an image's /etc/passwd linked to /dev/zero
 * or to the guest's files reads as empty).
 */
export function accountFileScript(id: string, file: string): string {
  return [
    RESOLVE_INSIDE,
    `f=$(gb_inside ${bundleDir(id)}/rootfs ${shq(file)} all) || exit 0`,
    '[ -f "$f" ] && [ ! -L "$f" ] || exit 0',
    `head -c ${ACCOUNT_FILE_MAX} "$f"`,
  ].join('\n');
}

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
function loggedStreams(live: boolean): string[] {
  const stream = (log: 'stdout' | 'stderr') => [
    `awk -v r="$now" -v s="$up" ${shq(STAMP_AWK)} <${log}.stamp >>${timesFile(log)} &`,
    `tee -a ${log} ${log}.stamp <${log}.pipe ${live ? (log === 'stderr' ? '>&2' : '') : '>/dev/null'} &`,
  ];
  return [
    'rm -f stdout.pipe stderr.pipe stdout.stamp stderr.stamp && mkfifo stdout.pipe stderr.pipe stdout.stamp stderr.stamp',
    'read -r up _ </proc/uptime; now=$EPOCHREALTIME',
    ...stream('stdout'),
    ...stream('stderr'),
  ];
}

/** After the container: its log writers drained, their fifos gone, its status recorded. */
const LOGS_DONE = ['wait', 'rm -f stdout.pipe stderr.pipe stdout.stamp stderr.stamp', 'echo $s > exit.tmp && mv exit.tmp exit'];

/**
 * Runs the container to its end, recording stdout, stderr (each line's time
 * beside it) and the exit status in the bundle, and prints "exit=STATUS" (so
 * a foreground run needs no state query after: stateScript's processes cost
 * seconds on a busy host). `again`: a restart, on the same root and writable
 * layer, its output added to the logs (crun run deleted the ended
 * container's state).
 */
export function runScript(id: string, again = false): string {
  const dir = bundleDir(id);
  return [
    `cd ${dir}`,
    ...(again ? [`crun delete -f ${id} >/dev/null 2>&1; rm -f exit`] : []),
    ...loggedStreams(false),
    `crun run --bundle ${dir} ${id} <stdin >stdout.pipe 2>stderr.pipe`,
    's=$?',
    ...LOGS_DONE,
    'echo "exit=$s"',
  ].join('\n');
}

/**
 * Runs the container attached to an agent session: with a tty, crun passes
 * the container's terminal to the agent's console socket (and nothing is
 * logged); without, stdin comes through and stdout and stderr go out live
 * and to the log files.
 */
export function attachedRunScript(id: string, tty: boolean): string {
  const dir = bundleDir(id);
  const crun = `crun run${tty ? ' --console-socket "$GLASSBOX_CONSOLE_SOCKET"' : ''} --bundle ${dir} ${id}`;
  return [
    `cd ${dir}`,
    ...(tty ? [`${crun}; s=$?`, 'echo $s > exit.tmp && mv exit.tmp exit'] : [...loggedStreams(true), `${crun} >stdout.pipe 2>stderr.pipe; s=$?`, ...LOGS_DONE]),
    'exit $s',
  ].join('\n');
}

/**
 * A command in a running container, with the container's environment
 * (crun's --env would replace it), on its own pty handed to the agent's
 * console socket when `tty`.
 */
export function execScript(id: string, cmd: string[], tty: boolean, user?: { uid: number; gid: number }, o: ExecOptions = {}): string {
  const terminal = tty ? ' -t --console-socket "$GLASSBOX_CONSOLE_SOCKET"' : '';
  // crun exec runs as root unless told; Docker's exec runs as the container's user
  const as = user ? ` --user ${user.uid}:${user.gid}` : '';
  const cwd = o.workdir ? ` --cwd ${shq(o.workdir)}` : '';
  // crun exec's --env replaces the whole environment, so `env` is the container's with exec -e on top.
  const env = (o.env ?? []).map((e) => ` --env ${shq(e)}`).join('');
  const exec = `crun exec${terminal}${as}${cwd}${env} ${id} ${cmd.map(shq).join(' ')}`;
  // Detached (exec -d): started in the background, its output dropped, as Docker's.
  return o.detach ? `( ${exec} ) </dev/null >/dev/null 2>&1 &` : exec;
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
export function startDetachedScript(id: string, again = false): string {
  const dir = bundleDir(id);
  return [
    // The exit file goes before the background start, so the wait below cannot see the last run's.
    ...(again ? [`rm -f ${dir}/exit`] : []),
    `(\n${runScript(id, again)}\n) >/dev/null 2>&1 &`,
    `i=0; until crun state ${id} >/dev/null 2>&1 || [ -e ${dir}/exit ]; do`,
    `  [ $i -ge ${START_POLLS} ] && { echo "crun did not report the container (nor its exit) within 30 s" >&2; exit 1; }`,
    '  i=$((i+1)); sleep 0.05',
    'done',
  ].join('\n');
}

/** Prints key=value facts about a container: status from crun and the exit file, its guest PID, counters from its cgroup. */
export function stateScript(id: string): string {
  const dir = bundleDir(id);
  const cg = cgroupDir(id);
  return [
    `echo "exit=$(cat ${dir}/exit 2>/dev/null)"`,
    `s=$(crun state ${id} 2>/dev/null | tr -d ' \\n')`,
    `echo "status=$(echo "$s" | grep -o '"status":"[a-z]*"' | cut -d'"' -f4)"`,
    `echo "pid=$(echo "$s" | grep -o '"pid":[0-9]*' | cut -d: -f2)"`,
    `echo "oom_kill=$(grep '^oom_kill ' ${cg}/memory.events 2>/dev/null | cut -d' ' -f2)"`,
  ].join('\n');
}

/** Prints the cgroup v2 figures stats reports: the leaf's while it exists (limits live there), else the parent's. */
export function statsScript(id: string): string {
  const cg = cgroupDir(id);
  return [
    `d=${cg}/ctr; [ -d $d ] || d=${cg}`,
    'echo "cgroup=${d#/sys/fs/cgroup}"',
    'for f in memory.current memory.max memory.peak pids.current pids.max cpu.max; do echo "$f=$(cat $d/$f 2>/dev/null)"; done',
    `echo "memory.events.oom_kill=$(grep '^oom_kill ' $d/memory.events | cut -d' ' -f2)"`,
    `echo "pids.events.max=$(grep '^max ' $d/pids.events | cut -d' ' -f2)"`,
    'while read -r k v; do echo "cpu.stat.$k=$v"; done < $d/cpu.stat',
    // Block I/O of the container on every disk, summed (one line per device in io.stat).
    `awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } } END { for (k in s) print "io.stat." k "=" s[k] }' $d/io.stat 2>/dev/null`,
  ].join('\n');
}

/** The container's processes (its cgroup's, leaf included): one "PID UID PPID ARGS" line each, as the guest sees them. */
export function topScript(id: string): string {
  return [
    `for p in $(cat ${cgroupDir(id)}/ctr/cgroup.procs ${cgroupDir(id)}/cgroup.procs 2>/dev/null | sort -nu); do`,
    '  [ -r /proc/$p/status ] || continue',
    '  u=$(grep "^Uid:" /proc/$p/status | cut -f2); pp=$(grep "^PPid:" /proc/$p/status | cut -f2)',
    '  a=$(tr "\\0" " " < /proc/$p/cmdline); [ -n "$a" ] || a="[$(cat /proc/$p/comm)]"',
    '  echo "$p $u $pp $a"',
    'done',
  ].join('\n');
}

/** What `glassbox info` reports of the guest: kernel, the CPU model the core's CPUID names, cgroup version, runtime, storage. */
export function infoScript(): string {
  return [
    'echo "kernel=$(uname -r)"',
    'echo "os=$(uname -s) $(uname -m)"',
    `echo "cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"`,
    'echo "cpus=$(grep -c ^processor /proc/cpuinfo)"',
    `echo "memory=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)"`,
    `echo "cgroup=$(grep -q '^cgroup2 /sys/fs/cgroup ' /proc/mounts && echo 2 || echo 1)"`,
    'echo "crun=$(crun --version | head -1)"',
    'echo "overlay=$(grep -c overlay /proc/filesystems)"',
  ].join('\n');
}

/** Prints the namespaces of PID and of the guest's init, and PID's pids as seen from each PID namespace. */
export function isolationScript(pid: number): string {
  return [
    'for n in pid mnt uts ipc net cgroup; do',
    `  echo "ns.$n=$(readlink /proc/${pid}/ns/$n) $(readlink /proc/1/ns/$n)"`,
    'done',
    `echo "nspid=$(grep '^NSpid:' /proc/${pid}/status | cut -f2-)"`,
    `echo "cgroup=$(cut -d: -f3 /proc/${pid}/cgroup)"`,
  ].join('\n');
}

/** Removes every trace of a container in the guest; safe to run on a half-created one. */
export function removeScript(id: string): string {
  const dir = bundleDir(id);
  const cg = cgroupDir(id);
  return [
    `crun delete -f ${id} >/dev/null 2>&1`,
    `umount ${dir}/rootfs 2>/dev/null`,
    `rm -rf ${dir} ${writableDir(id)}`,
    `rmdir ${cg}/ctr 2>/dev/null; rmdir ${cg} 2>/dev/null`,
    'true',
  ].join('\n');
}

/** Parses key=value lines. */
export function fields(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) r[line.slice(0, i)] = line.slice(i + 1);
  }
  return r;
}
