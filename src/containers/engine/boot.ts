// The default guest booted and its agent ready: the machine the container engine runs in.
// It resumes from a snapshot of the booted guest cached under $GLASSBOX_HOME/snapshots
// ($GLASSBOX_SNAPSHOT_CACHE overrides the place; made on first use, remade when the
// core or the guest images change), a second instead of a boot.

import type { ClockMode, Machine } from '../../api/index.ts';
import { DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';
import { cachedDefaultGuest, snapshotCacheDir } from '../../snapshot/cache.ts';

export async function bootDefaultGuest(memoryMiB = DEFAULT_MEMORY_MIB, clock: ClockMode = 'virtual'): Promise<Machine> {
  const machine = await cachedDefaultGuest(snapshotCacheDir(), memoryMiB, clock);
  machine.start();
  await machine.agentReady();
  return machine;
}
