// Record and replay under the virtual clock. A machine's run is a pure
// function of its state and what comes from outside: bytes the host moves
// into the UARTs, and guest time the host lets pass while the guest idles
// with no timer armed (waiting on the host). Each such input is logged with
// the machine time it entered at (instructions retired and idle time, which
// together fix the point in the run loop), so a machine restored from the
// snapshot taken when recording began, fed the same log, runs the same run.

import type { PcMachine } from './machine.ts';

export interface InputEvent {
  /** Instructions retired when it entered. */
  at: number;
  /** Guest ns spent idle by then: several inputs may enter at one instruction count while the CPU halts. */
  idleNs: number;
  /** 'end': where the recording stopped; a replay pauses there. */
  kind: 'console' | 'agent' | 'skip' | 'end';
  /** console, agent: the bytes moved into COM1's or COM2's receive FIFO. */
  bytes?: number[];
  /** skip: the guest ns the host let pass. */
  ns?: number;
}

const now = (pc: PcMachine) => ({ at: Number(pc.core.instructions), idleNs: pc.haltedNs });

export class InputRecorder {
  readonly events: InputEvent[] = [];

  constructor(private readonly pc: PcMachine) {}

  input(kind: 'console' | 'agent', bytes: number[]): void {
    this.events.push({ ...now(this.pc), kind, bytes });
  }

  skip(ns: number): void {
    this.events.push({ ...now(this.pc), kind: 'skip', ns });
  }

  /** The log so far, ending here. */
  log(): InputEvent[] {
    return [...structuredClone(this.events), { ...now(this.pc), kind: 'end' }];
  }
}

/** A run that left the recorded one: the replay cannot go on. */
export class ReplayDiverged extends Error {
  constructor(message: string) {
    super(`replay diverged: ${message}`);
    this.name = 'ReplayDiverged';
  }
}

export class InputReplay {
  private next = 0;

  constructor(
    private readonly pc: PcMachine,
    private readonly events: readonly InputEvent[],
  ) {}

  /** No input is left to feed (only the end, if the log has one). */
  get done(): boolean {
    const e = this.events[this.next];
    return e === undefined || e.kind === 'end';
  }

  /** The recording's end is here: the replay is over. */
  ended(): boolean {
    const e = this.events[this.next];
    return e?.kind === 'end' && this.due(e);
  }

  private due(e: InputEvent | undefined): boolean {
    const t = now(this.pc);
    if (!e) return false;
    if (t.at > e.at || (t.at === e.at && t.idleNs > e.idleNs)) {
      throw new ReplayDiverged(`${e.kind} input recorded at instruction ${e.at} (idle ${e.idleNs} ns) was passed; the machine is at ${t.at} (idle ${t.idleNs} ns)`);
    }
    return t.at === e.at && t.idleNs === e.idleNs;
  }

  /**
   * How many instructions may run before the next input is due: a run slice
   * must end exactly there. At least 1, which a halted CPU spends no
   * instruction of (it waits for its timer instead).
   */
  budget(): number {
    const e = this.events[this.next];
    return e ? Math.max(1, e.at - Number(this.pc.core.instructions)) : Infinity;
  }

  /** The run loop's pump: moves the bytes due now into their UARTs. True if any moved. */
  pump(): boolean {
    let moved = false;
    for (let e = this.events[this.next]; e && (e.kind === 'console' || e.kind === 'agent') && this.due(e); e = this.events[this.next]) {
      const uart = this.pc.com[e.kind === 'console' ? 0 : 1];
      const took = uart.receive(e.bytes!);
      if (took !== e.bytes!.length) throw new ReplayDiverged(`COM${e.kind === 'console' ? 1 : 2} took ${took} of ${e.bytes!.length} bytes at instruction ${e.at}`);
      this.next++;
      moved = true;
    }
    return moved;
  }

  /**
   * The CPU halted with no timer armed: the host's recorded skip, if one is
   * due now, is applied. True if the replay can go on (a skip applied, or
   * input or the end due now); false when the log is spent.
   */
  idle(): boolean {
    const e = this.events[this.next];
    if (!e) return false;
    if (!this.due(e)) throw new ReplayDiverged(`the guest waits on the host at instruction ${Number(this.pc.core.instructions)}, and the next input was recorded at ${e.at}`);
    if (e.kind === 'skip') {
      this.pc.skipIdle(e.ns!);
      this.next++;
    }
    return true;
  }
}
