// The guest-kernel views, read through the guest agent: the process tree with
// each process's namespace inodes, cgroup and resident memory, and the
// cgroup v2 tree with limits and usage. One agent command per view, using
// only shell builtins per process and one `ls` for all the namespace links,
// so a view costs a couple of guest process creations, not one per process.

import type { GuestShell } from '../containers/engine/guest-shell.ts';

/** Runs a view's script in the guest; a failure is an error naming the view. */
async function stdout(sh: GuestShell, script: string, view: string): Promise<string> {
  const r = await sh.run(script);
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

const PS_SCRIPT = `
for d in /proc/[0-9]*; do
  n= pp= r=0 np=
  while IFS=: read -r k v; do
    case $k in Name) n=$v;; PPid) pp=$v;; VmRSS) r=\${v% kB};; NSpid) np=\${v##*\t};; esac
  done 2>/dev/null < $d/status || continue
  read -r cg 2>/dev/null < $d/cgroup
  echo "P \${d#/proc/} $pp $r $np \${cg#0::} $n"
done
ls -l /proc/[0-9]*/ns/ 2>/dev/null
# ls fails for a process that ended during the scan; the ones it could read are the tree.
exit 0
`;

export async function processTree(sh: GuestShell): Promise<GuestProcess[]> {
  const out = await stdout(sh, PS_SCRIPT, 'process tree');
  const procs = new Map<number, GuestProcess>();
  let current: GuestProcess | undefined;
  for (const line of out.split('\n')) {
    const p = /^P (\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S*) (.*)$/.exec(line);
    if (p) {
      procs.set(+p[1], { pid: +p[1], ppid: +p[2], rssKiB: +p[3], pidInNamespace: +p[4], cgroup: p[5], name: p[6].trim(), ns: {} });
      continue;
    }
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
}

const CGROUP_SCRIPT = `
cd /sys/fs/cgroup || exit 1
find . -type d | while read -r d; do
  set -- 0
  while read -r _; do set -- $(($1 + 1)); done < $d/cgroup.procs
  v() { if [ -r $d/$1 ]; then read -r x < $d/$1; echo -n "$x"; else echo -n -; fi; }
  k() { while read -r a b; do [ "$a" = $2 ] && { echo -n "$b"; return; }; done < $d/$1 2>/dev/null; echo -n -; }
  echo "C \${d#.} $1 $(v memory.current) $(v memory.max) $(v pids.current) $(v pids.max) $(v cpu.max | tr ' ' /) $(k memory.events oom_kill) $(k cpu.stat usage_usec) $(v memory.peak)"
done
`;

export async function cgroupTree(sh: GuestShell): Promise<CgroupNode[]> {
  const out = await stdout(sh, CGROUP_SCRIPT, 'cgroup tree');
  const num = (s: string) => (s === '-' ? null : Number(s));
  const str = (s: string) => (s === '-' ? null : s);
  const nodes: CgroupNode[] = [];
  for (const line of out.split('\n')) {
    const f = line.split(' ');
    if (f[0] !== 'C' || f.length < 11) continue;
    nodes.push({
      path: f[1] || '/', procs: Number(f[2]),
      memoryCurrent: num(f[3]), memoryMax: str(f[4]), pidsCurrent: num(f[5]), pidsMax: str(f[6]), cpuMax: str(f[7]),
      oomKills: num(f[8]), cpuUsageUsec: num(f[9]), memoryPeak: num(f[10]),
    });
  }
  return nodes.sort((a, b) => a.path.localeCompare(b.path));
}
