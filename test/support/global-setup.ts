// Before the guest tier runs: the booted default guest's snapshot, found in
// the cache (keyed by what it depends on: src/snapshot/cache.ts) or made
// once here, so the files that resume from it (engine/boot.ts's
// bootDefaultGuest) do not each boot a guest to make it at the same time.

import { DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { defaultGuestSnapshot, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';

export default async function setup(): Promise<void> {
  await defaultGuestSnapshot(snapshotCacheDir(), { memoryMiB: DEFAULT_MEMORY_MIB });
}
