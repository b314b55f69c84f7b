// Following the trace ring of a running Machine on behalf of several readers
// at once (clients of the engine, each with its own kinds): the core traces
// the union of what the readers want, nothing when none is left, and the
// ring is drained after every run slice so readers see each event once.

import type { Machine } from '../api/machine.ts';
import { enableTrace, readTrace, traceCursor, traceLost, type TraceEvent, type TraceKind } from './trace.ts';

export type TraceListener = (events: TraceEvent[], lost: number) => void;

interface Reader {
  kinds: readonly TraceKind[];
  listener: TraceListener;
}

class TraceFollower {
  private readonly readers = new Set<Reader>();
  private cursor = 0;
  private polling = false;

  constructor(private readonly machine: Machine) {}

  /** Starts delivering events of `kinds` to `listener`; call the returned function to stop. */
  add(kinds: readonly TraceKind[], listener: TraceListener): () => void {
    this.drain();
    const reader = { kinds, listener };
    this.readers.add(reader);
    this.retrace();
    if (!this.polling) void this.poll();
    return () => {
      this.drain();
      this.readers.delete(reader);
      this.retrace();
    };
  }

  /** Hands every reader the events since the last drain, and how many the ring overwrote before they were read. */
  drain(): void {
    const pc = this.machine.pc;
    const events = readTrace(pc, this.cursor);
    const lost = traceLost(pc, this.cursor);
    this.cursor = traceCursor(pc);
    if (!events.length && !lost) return;
    for (const r of this.readers) {
      const mine = events.filter((e) => r.kinds.includes(e.kind));
      if (mine.length || lost) r.listener(mine, lost);
    }
  }

  private retrace(): void {
    enableTrace(this.machine.pc, [...new Set([...this.readers].flatMap((r) => r.kinds))]);
  }

  /** setImmediate runs once per turn of the event loop, and the Machine runs one slice per turn. */
  private async poll(): Promise<void> {
    this.polling = true;
    while (this.readers.size) {
      this.drain();
      await new Promise((r) => setImmediate(r));
    }
    this.polling = false;
  }
}

const followers = new WeakMap<Machine, TraceFollower>();

/** The one follower of `machine`'s trace ring. */
export function traceFollower(machine: Machine): TraceFollower {
  let f = followers.get(machine);
  if (!f) followers.set(machine, (f = new TraceFollower(machine)));
  return f;
}
