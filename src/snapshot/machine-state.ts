// A PcMachine to and from a snapshot's parts: its state records and RAM, and
// the checks that a snapshot fits the machine it is loaded into.

import type { Core } from '../core/core.ts';
import type { PcMachine } from '../machine/machine.ts';
import { checkPartSet, StateError, type VersionedRecord } from '../state/records.ts';
import { SnapshotError } from './error.ts';
import type { SnapshotInfo } from './format.ts';
import type { InputEvent } from '../machine/input-log.ts';
import { PAGE_SIZE, ramChunks, type RamChunk } from './ram.ts';
import { LazyRam } from './lazy-ram.ts';
import type { PageSource } from './ram.ts';

/**
 * The core's state layout as a short digest (FNV-1a over its exported
 * offsets by name): a core whose state block is laid out differently cannot
 * load the record another wrote.
 */
export function coreLayout(core: Core): string {
  let h = 0x811c9dc5;
  for (const ch of core.layoutText()) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The machine's non-zero RAM now, copied (pages not filled yet read from where they will come from), so the machine may run on at once. */
export function captureRam(pc: PcMachine): RamChunk[] {
  const ram = LazyRam.of(pc.core);
  return ramChunks(pc.memoryBytes / PAGE_SIZE, (p) => ram.page(p));
}

/** Refuses a snapshot made by a core or device set other than this machine's, or for another RAM size. */
export function checkFits(pc: PcMachine, info: SnapshotInfo): void {
  const layout = coreLayout(pc.core);
  if (info.core.layout !== layout) {
    throw new SnapshotError(
      `does not fit this build: its core's state layout is ${info.core.layout}${info.core.build ? ` (core build ${info.core.build.slice(0, 12)})` : ''}, this core's is ${layout}`,
    );
  }
  if (info.ramBytes !== pc.memoryBytes)
    throw new SnapshotError(`does not fit this machine: it has ${info.ramBytes / 1048576} MiB of RAM, this machine ${pc.memoryBytes / 1048576} MiB`);
  try {
    checkPartSet(pc.state.manifest, info.devices);
  } catch (e) {
    throw new SnapshotError(`does not fit this build: ${(e as Error).message}`);
  }
}

/** What a new machine resumes from: state records, and the pages its RAM is filled from as the guest reaches them. */
export interface Resume {
  records: Record<string, VersionedRecord>;
  ram: PageSource;
  /** From a snapshot: what made it, checked against the new machine. */
  info?: SnapshotInfo;
  /** Inputs to replay from the snapshot on. */
  replay?: readonly InputEvent[];
}

/** Loads a machine's state into a freshly built machine. */
export function restore(pc: PcMachine, from: Resume): void {
  if (from.info) checkFits(pc, from.info);
  LazyRam.restore(pc.core, from.ram);
  try {
    pc.state.load(from.records);
  } catch (e) {
    if (e instanceof StateError) throw new SnapshotError(`the state record of ${e.message}`);
    throw e;
  }
}
