// Before the guest tier runs: one snapshot cache for the whole run, and in
// it the booted default guest's snapshot and the engine's (src/api/snapshot-
// cache.ts, keyed by what each depends on), found there or made once here.
// The engine's tests each start an engine in a fresh $GLASSBOX_HOME, whose
// own cache would have every one of them boot the guest to make it (and the
// first ones at the same time); the files that resume from the default
// guest (bootDefaultGuest) would do the same.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { defaultGuestSnapshot, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { engineGuest } from '../../src/daemon/start-engine.ts';

export default async function setup(): Promise<void> {
  // The test workers start after this, with this environment; a cache the runner names is kept.
  process.env.GLASSBOX_SNAPSHOT_CACHE = snapshotCacheDir();
  await defaultGuestSnapshot(snapshotCacheDir(), { memoryMiB: DEFAULT_MEMORY_MIB });
  // The engine's guest (its disk, network card and share) resumed once: made first if the cache has none.
  const home = mkdtempSync(join(tmpdir(), 'glassbox-setup-'));
  try {
    const { machine, userNet } = await engineGuest(join(home, 'disk.img'), 'virtual');
    machine.stop();
    userNet.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
