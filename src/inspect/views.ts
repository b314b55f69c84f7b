// The inspection views as requests and answers: what the engine process
// serves over its socket and what `glassbox inspect` computes itself for a
// guest it booted. One function reads any view of a running Machine, so
// both paths answer the same JSON.

import type { Machine } from '../api/machine.ts';
import type { ContainerEngine } from '../containers/engine/containers.ts';
import type { GuestShell } from '../containers/engine/guest-shell.ts';
import { userCommand } from '../api/shell-script.ts';
import { readCpu } from './cpu.ts';
import { readFpu } from './fpu.ts';
import { readCounters, counterRates } from './counters.ts';
import { walkAddress, addressSpaces, listMappings } from './mmu.ts';
import { processTree, cgroupTree } from './kernel.ts';
import { containersView } from './containers.ts';
import { netView } from './net.ts';
import { virtioView } from './virtio.ts';
import type { TraceKind } from './trace.ts';
import { traceFollower, type TraceListener } from './trace-follow.ts';
import { sleep } from '../api/yield.ts';

/** What the views look at: a running machine, a shell in its guest, and the container engine if one owns it. */
export interface InspectTarget {
  machine: Machine;
  shell: GuestShell;
  engine?: ContainerEngine;
}

export type ViewRequest =
  | { view: 'cpu' | 'fpu' | 'spaces' | 'ps' | 'cgroups' | 'containers' | 'virtio' }
  /** Rates need two samples: this many milliseconds of wall time apart, the machine running between them. */
  | { view: 'counters'; intervalMs: number }
  | { view: 'mmu'; address: number; cr3?: number; write?: boolean; supervisor?: boolean }
  /** The network's counters; with pcapSeconds, a capture of that much wall time too. */
  | { view: 'net'; pcapSeconds?: number };

export const VIEW_NAMES = ['cpu', 'fpu', 'counters', 'mmu', 'spaces', 'ps', 'cgroups', 'containers', 'net', 'virtio'] as const;

export async function answerView(t: InspectTarget, req: ViewRequest): Promise<unknown> {
  const pc = t.machine.pc;
  switch (req.view) {
    case 'cpu':
      return readCpu(pc.core);
    case 'fpu':
      return readFpu(pc.core);
    case 'counters': {
      const before = readCounters(pc);
      await sleep(req.intervalMs);
      const after = readCounters(pc);
      return { ...after, rates: counterRates(after, before), intervalGuestNs: after.guestNs - before.guestNs };
    }
    case 'mmu':
      return walkAddress(pc.core, req.address, { write: req.write === true, user: req.supervisor !== true }, req.cr3);
    case 'spaces':
      return addressSpaces(pc.core).map((s) => ({ ...s, userMappings: listMappings(pc.core, s.cr3).filter((x) => x.user) }));
    case 'ps':
      return processTree(t.shell);
    case 'cgroups':
      return cgroupTree(t.shell);
    case 'containers':
      if (!t.engine)
        throw new Error(
          "this guest was booted for this command and has no container engine, so no containers; inspect the engine's guest instead (start it with any container command, e.g. glassbox run -d busybox sleep 1000)",
        );
      return containersView(t.engine, t.shell);
    case 'net':
      return netView(t.machine, t.shell, t.engine, req.pcapSeconds);
    case 'virtio':
      return virtioView(t.machine);
  }
}

export interface TraceRequest {
  kinds: TraceKind[];
  /** A guest command to record; without one, the trace records for `seconds` of wall time. */
  run?: string;
  seconds: number;
  /** Keep recording (after `run`, if given) until `stop` resolves. */
  follow: boolean;
}

/** Runs a guest command through the agent; a failure is an error naming it. */
export async function runInGuest(shell: GuestShell, command: string): Promise<string> {
  const r = await shell.run(userCommand(command));
  if (r.exitCode !== 0) throw new Error(`guest command "${command}" failed with status ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Hands `listener` the trace events of `req.kinds` as they happen, for as long as the request says. */
export async function recordTrace(t: InspectTarget, req: TraceRequest, listener: TraceListener, stop: Promise<void>): Promise<void> {
  const end = traceFollower(t.machine).add(req.kinds, listener);
  try {
    if (req.run) await runInGuest(t.shell, req.run);
    if (req.follow) await stop;
    else if (!req.run) await Promise.race([sleep(req.seconds * 1000), stop]);
  } finally {
    end();
  }
}
