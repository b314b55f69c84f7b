// The default guest booted and its agent ready: the machine the container engine runs in.
// It resumes from a snapshot of the booted guest cached under $GLASSBOX_HOME/snapshots
// ($GLASSBOX_SNAPSHOT_CACHE overrides the place; made on first use, remade when the
// core or the guest images change), a second instead of a boot.

import type { ClockMode, Machine, NetworkOptions, ServedShare } from '../../api/index.ts';
import { DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';
import { cachedDefaultGuest, snapshotCacheDir } from '../../api/snapshot-cache.ts';
import { ENGINE_DISK_BYTES } from './disk.ts';
import { bridgeUp, linkUpScript } from './network-scripts.ts';
import { cgroupRootScript } from './guest-scripts.ts';
import { DEFAULT_NETWORK_INDEX, guestNetwork } from './networks.ts';
import { script } from '../../api/shell-script.ts';

/**
 * What the engine's guest does once booted, before its snapshot, so that a
 * start from it finds it done: the engine's cgroup, and with a network card
 * the default network's bridge and the link up with its lease (its last
 * step: it ends the script when the lease fails). Nothing of the user's
 * (the disk, the containers) is there yet.
 */
function prepareScript(network: boolean): string {
  return (network ? script(cgroupRootScript(), bridgeUp(guestNetwork(DEFAULT_NETWORK_INDEX)), linkUpScript()) : cgroupRootScript()).text;
}

/**
 * `disk`: the engine's disk image (disk.ts), attached as /dev/vda; the caller mounts it.
 * With `network`, the guest has a network card on that link too (a snapshot of its own in the cache),
 * its link brought up before the snapshot, so a start finds its address leased already (prepareScript).
 * `shares`: 9p shares of host directories (binds.ts), after the network card.
 */
export async function bootDefaultGuest(
  memoryMiB = DEFAULT_MEMORY_MIB,
  clock: ClockMode = 'virtual',
  disk?: string,
  network?: NetworkOptions,
  shares?: ServedShare[],
): Promise<Machine> {
  const machine = await cachedDefaultGuest(
    snapshotCacheDir(),
    {
      memoryMiB,
      disk: disk ? { path: disk, bytes: ENGINE_DISK_BYTES } : undefined,
      network,
      shares,
      prepare: prepareScript(network !== undefined),
    },
    clock,
  );
  machine.start();
  await machine.agentReady();
  return machine;
}
