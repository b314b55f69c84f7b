// A client's hold on a running Machine for execution control: opening one
// pauses the machine, commands step it or run it to a breakpoint, and
// closing it (which the engine does when the client's connection ends, for
// whatever reason) disarms the breakpoint and resumes the machine, so no
// client can leave it paused behind it. One session per machine at a time.

import type { Machine } from '../api/machine.ts';
import { readCpu, type CpuView } from './cpu.ts';
import { linearEip, runToBreakpoint, setBreakpoint } from './control.ts';
import { toBase64 } from '../snapshot/records.ts';

export type ControlCommand =
  | { cmd: 'cpu' }
  | { cmd: 'step'; count: number }
  /** Runs until the CPU reaches linear `address` or `timeoutMs` of wall time pass. */
  | { cmd: 'break'; address: number; timeoutMs: number }
  /** The paused machine's snapshot (glassbox snapshot diff compares two). */
  | { cmd: 'snapshot' };

export interface ControlStop {
  reason: 'paused' | 'stepped' | 'breakpoint' | 'timeout';
  /** Instructions retired since power-on. */
  instructions: number;
  linearEip: number;
  cpu: CpuView;
  /** For the snapshot command: the snapshot file's bytes, base64 (the engine's protocol is JSON lines). */
  snapshot?: string;
}

/** Instructions per run between turns of the event loop while running to a breakpoint. */
const BREAK_SLICE = 200_000;
/** How long a step waits for a halted CPU to wake. */
const STEP_WAIT_MS = 5_000;
const open = new WeakSet<Machine>();

export class ControlSession {
  private closed = false;

  constructor(private readonly machine: Machine) {
    if (open.has(machine)) throw new Error('another client is controlling this machine; its pause ends when that client exits');
    if (machine.state !== 'running') throw new Error(`the machine is ${machine.state}, not running`);
    open.add(machine);
    machine.pause();
  }

  private stop(reason: ControlStop['reason']): ControlStop {
    const pc = this.machine.pc;
    return { reason, instructions: Number(pc.core.instructions), linearEip: linearEip(pc), cpu: readCpu(pc.core) };
  }

  async do(c: ControlCommand): Promise<ControlStop> {
    if (this.closed) throw new Error('the control session is closed');
    switch (c.cmd) {
      case 'cpu':
        return this.stop('paused');
      case 'step':
        return this.step(c.count);
      case 'break':
        return this.runToBreakpoint(c.address, c.timeoutMs);
      case 'snapshot':
        return { ...this.stop('paused'), snapshot: toBase64(await this.machine.snapshot()) };
    }
  }

  /**
   * Retires `count` instructions. A halted CPU retires none until an
   * interrupt wakes it, which under the realtime clock is a timer due on the
   * wall clock: wait for it, up to STEP_WAIT_MS.
   */
  private async step(count: number): Promise<ControlStop> {
    const core = this.machine.pc.core;
    const target = core.instructions + BigInt(count);
    const deadline = Date.now() + STEP_WAIT_MS;
    for (;;) {
      this.machine.step(Number(target - core.instructions));
      if (core.instructions >= target) return this.stop('stepped');
      if (this.closed || this.machine.pc.power === 'off' || Date.now() > deadline) return this.stop('timeout');
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  private async runToBreakpoint(address: number, timeoutMs: number): Promise<ControlStop> {
    const pc = this.machine.pc;
    const deadline = Date.now() + timeoutMs;
    setBreakpoint(pc, address);
    try {
      while (!this.closed && Date.now() <= deadline) {
        if (runToBreakpoint(pc, BREAK_SLICE, (n) => this.machine.step(n))) return this.stop('breakpoint');
        // Let the engine serve other clients and the agent's bytes flow between slices.
        await new Promise((r) => setImmediate(r));
      }
      return this.stop('timeout');
    } finally {
      setBreakpoint(pc, null);
    }
  }

  /** Disarms the breakpoint and lets the machine run again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    setBreakpoint(this.machine.pc, null);
    open.delete(this.machine);
    this.machine.resume();
  }
}
