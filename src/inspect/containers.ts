// The containers view: each container the engine knows, with its namespaces
// next to the guest's, its cgroup's limits and usage, and its processes with
// their PIDs inside and outside. The list of containers comes from the
// engine; everything else is read from the guest kernel by the kernel views,
// so the view checks the engine rather than repeating what it says.

import type { ContainerEngine } from '../containers/engine/containers.ts';
import type { GuestShell } from '../containers/engine/guest-shell.ts';
import { cgroupDir, crunCgroupsPath } from '../containers/engine/guest-scripts.ts';
import { processTree, cgroupTree, NAMESPACES, type Namespace, type CgroupNode } from './kernel.ts';

export interface ContainerView {
  id: string;
  name: string;
  image: string;
  status: string;
  exitCode: number | undefined;
  /** Processes of the container the OOM killer killed (its cgroup's memory.events, which outlive the container). */
  oomKills: number;
  /** Namespace inodes of the container's init and of the guest's init. */
  namespaces: Partial<Record<Namespace, { container: number | undefined; guest: number | undefined }>>;
  /** The container's cgroup (where its limits are) while it exists, then the engine's parent cgroup of it. */
  cgroup: CgroupNode | undefined;
  processes: { pidInGuest: number; pidInContainer: number; name: string; rssKiB: number }[];
}

export async function containersView(engine: ContainerEngine, sh: GuestShell): Promise<ContainerView[]> {
  const [list, procs, cgroups] = [await engine.ps(true), await processTree(sh), await cgroupTree(sh)];
  const guest = procs.find((p) => p.pid === 1);
  return list.map((c) => {
    const init = procs.find((p) => p.pid === c.state.pid);
    const namespaces: ContainerView['namespaces'] = {};
    for (const n of NAMESPACES) namespaces[n] = { container: init?.ns[n], guest: guest?.ns[n] };
    const cgroupPath = init?.cgroup;
    const parent = cgroups.find((g) => g.path === cgroupDir(c.id).replace(/^\/sys\/fs\/cgroup/, ''));
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      status: c.state.status,
      exitCode: c.state.exitCode,
      oomKills: parent?.oomKills ?? 0,
      namespaces,
      cgroup: cgroups.find((g) => g.path === crunCgroupsPath(c.id)) ?? parent,
      processes: procs
        .filter((p) => cgroupPath !== undefined && p.cgroup === cgroupPath)
        .map((p) => ({ pidInGuest: p.pid, pidInContainer: p.pidInNamespace, name: p.name, rssKiB: p.rssKiB })),
    };
  });
}
