// The guest-kernel views, read through the guest agent: the process tree with
// each process's namespace inodes, cgroup and resident memory, and the
// cgroup v2 tree with limits and usage. One agent command per view, using
// only shell builtins per process and one `ls` for all the namespace links,
// so a view costs a couple of guest process creations, not one per process.

import type { GuestShell } from '../containers/engine/guest-shell.ts';
import { cgroupFigures, CGROUP_READER } from '../containers/engine/cgroup-files.ts';
import { script, sh, type Script } from '../api/shell-script.ts';
import { cgroupV2Path, procStatus, SECTIONS, sections } from '../containers/engine/proc-files.ts';

/** Runs a view's script in the guest; a failure is an error naming the view. */
async function stdout(shell: GuestShell, command: Script, view: string): Promise<string> {
  const r = await shell.run(command);
  if (r.exitCode !== 0) throw new Error(`reading the ${view} in the guest failed (status ${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}

export const NAMESPACES = ['pid', 'uts', 'mnt', 'net', 'ipc', 'user', 'cgroup'] as const;
export type Namespace = (typeof NAMESPACES)[number];

export interface GuestProcess {
  pid: number;
  ppid: number;
  name: string;
  /** The PID in the process's own (innermost) PID namespace. */
  pidInNamespace: number;
  /** Resident memory in KiB (0 for kernel threads). */
  rssKiB: number;
  /** Namespace inode numbers, from readlink /proc/PID/ns/*. */
  ns: Partial<Record<Namespace, number>>;
  cgroup: string;
}

/** Every process's status and cgroup files (gb_file: builtins only), then one `ls` of all their namespace links. */
export const PS_SCRIPT = script(
  SECTIONS,
  sh`for d in /proc/[0-9]*; do gb_file "$d/status"; gb_file "$d/cgroup"; done`,
  sh`gb_section ns; ls -l /proc/[0-9]*/ns/ 2>/dev/null`,
  // ls fails for a process that ended during the scan; the ones it could read are the tree.
  sh`exit 0`,
);

export async function processTree(shell: GuestShell): Promise<GuestProcess[]> {
  const files = sections(await stdout(shell, PS_SCRIPT, 'process tree'));
  const procs = new Map<number, GuestProcess>();
  for (const [name, text] of files) {
    const pid = Number(/^\/proc\/(\d+)\/status$/.exec(name)?.[1]);
    const s = pid ? procStatus(text) : undefined;
    if (!s) continue;
    const cgroup = cgroupV2Path(files.get(`/proc/${pid}/cgroup`) ?? '');
    procs.set(pid, { pid, ppid: s.ppid, rssKiB: s.rssKiB, pidInNamespace: s.nspid[s.nspid.length - 1] ?? pid, cgroup, name: s.name, ns: {} });
  }
  let current: GuestProcess | undefined;
  for (const line of (files.get('ns') ?? '').split('\n')) {
    const dir = /^\/proc\/(\d+)\/ns\/?:$/.exec(line);
    if (dir) {
      current = procs.get(+dir[1]);
      continue;
    }
    const link = / (\w+) -> \w+:\[(\d+)\]$/.exec(line);
    if (link && current && (NAMESPACES as readonly string[]).includes(link[1])) current.ns[link[1] as Namespace] = +link[2];
  }
  return [...procs.values()].sort((a, b) => a.pid - b.pid);
}

export interface CgroupNode {
  path: string;
  procs: number;
  memoryCurrent: number | null;
  /** The highest memory.current since the cgroup was made (memory.peak). */
  memoryPeak: number | null;
  memoryMax: string | null;
  pidsCurrent: number | null;
  pidsMax: string | null;
  cpuMax: string | null;
  /** Processes the OOM killer killed in this cgroup and below (memory.events oom_kill). */
  oomKills: number | null;
  /** CPU time used by this cgroup and below, in microseconds (cpu.stat usage_usec). */
  cpuUsageUsec: number | null;
  /** Bytes read from and written to block devices by this cgroup and below, every disk summed (io.stat rbytes, wbytes). */
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
}

/** Every cgroup of the guest: a cgroup= line with its path, then its figures from the engine's cgroup reader. */
export const CGROUP_SCRIPT = script(CGROUP_READER, sh`cd /sys/fs/cgroup || exit 1`, sh`find . -type d | while read -r d; do echo "cgroup=\${d#.}"; gb_cgroup "$d"; done`);

export async function cgroupTree(shell: GuestShell): Promise<CgroupNode[]> {
  const out = await stdout(shell, CGROUP_SCRIPT, 'cgroup tree');
  const nodes: CgroupNode[] = [];
  // One record per cgroup, each starting at its cgroup= line.
  for (const record of out.split(/^(?=cgroup=)/m)) {
    if (!record.startsWith('cgroup=')) continue;
    const f = cgroupFigures(record);
    const num = (k: string) => (f[k] === undefined ? null : Number(f[k]));
    const str = (k: string) => f[k] ?? null;
    nodes.push({
      path: f.cgroup || '/',
      procs: Number(f.procs ?? 0),
      memoryCurrent: num('memory.current'),
      memoryMax: str('memory.max'),
      pidsCurrent: num('pids.current'),
      pidsMax: str('pids.max'),
      cpuMax: f['cpu.max']?.replace(' ', '/') ?? null,
      oomKills: num('memory.events.oom_kill'),
      cpuUsageUsec: num('cpu.stat.usage_usec'),
      memoryPeak: num('memory.peak'),
      ioReadBytes: num('io.stat.rbytes'),
      ioWriteBytes: num('io.stat.wbytes'),
    });
  }
  return nodes.sort((a, b) => a.path.localeCompare(b.path));
}
