// The machine as a worker offers it: the default guest booted from bytes the
// caller supplies, run continuously in slices between which messages (input,
// pause, exec) are handled, with the console streamed out in batches. The
// browser page and Node (worker_threads) reach it through a comlink proxy.

import { Machine } from '../../api/machine.ts';
import { REGISTER_NAMES, SEGMENT_NAMES } from '../../core/core.ts';
import { disassemble } from '../../isa/disasm.ts';
import type { PowerState } from '../../machine/machine.ts';
import { walkPageTables, type PageWalk } from '../../machine/page-walk.ts';
import { describe, enableTrace, readTrace, traceCursor, traceLost, type TraceKind } from '../../inspect/trace.ts';

export interface BootRequest {
  core: WebAssembly.Module;
  kernel: Uint8Array;
  initrd: Uint8Array;
  cmdline?: string;
  memoryMiB?: number;
}

/** Everything the CPU and counter panels show, as plain data. */
export interface MachineSnapshot {
  power: PowerState;
  paused: boolean;
  instructions: number;
  guestNs: number;
  tlbHits: number;
  tlbMisses: number;
  tlbFlushes: number;
  exceptions: number;
  serialBytes: number;
  registers: Record<string, number>;
  segments: Record<string, number>;
  eip: number;
  eflags: number;
  cpl: number;
  cr: { cr0: number; cr2: number; cr3: number; cr4: number };
}

export interface DisassemblyLine {
  address: number;
  bytes: string;
  text: string;
}

export interface TraceBatch {
  /** Pass back as `since` to get only newer events. */
  cursor: number;
  /** Events the ring overwrote before they were read. */
  lost: number;
  events: { seq: number; kind: TraceKind; instructions: number; eip: number; text: string }[];
}

export interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class MachineService {
  private machine?: Machine;
  private serialBytes = 0;

  /** Boots the guest and starts running it; console bytes go to `onConsole` in batches. */
  boot(req: BootRequest, onConsole: (bytes: Uint8Array) => void): void {
    if (this.machine) throw new Error('this worker already runs a guest');
    const m = (this.machine = new Machine(req.core, req));
    m.serial.on('data', (bytes) => {
      this.serialBytes += bytes.length;
      onConsole(bytes);
    });
    m.start();
  }

  private get m(): Machine {
    if (!this.machine) throw new Error('no guest booted yet: call boot() first');
    return this.machine;
  }

  /** Keys typed on the console. */
  write(data: string | Uint8Array): void {
    this.m.serial.write(data);
  }

  pause(): void {
    this.m.pause();
  }

  resume(): void {
    this.m.resume();
  }

  /** Runs `count` instructions while paused (the single-step control). */
  step(count = 1): MachineSnapshot {
    this.m.step(count);
    return this.snapshot();
  }

  snapshot(): MachineSnapshot {
    const m = this.m.pc;
    const c = m.core;
    return {
      power: m.power,
      paused: this.m.state === 'paused',
      instructions: Number(c.instructions),
      guestNs: m.nowNs(),
      tlbHits: Number(c.counter('TLB_HIT')),
      tlbMisses: Number(c.counter('TLB_MISS')),
      tlbFlushes: Number(c.counter('TLB_FLUSH')),
      exceptions: Number(c.counter('EXCEPTIONS')),
      serialBytes: this.serialBytes,
      registers: Object.fromEntries(REGISTER_NAMES.map((n, i) => [n, c.reg(i) >>> 0])),
      segments: Object.fromEntries(SEGMENT_NAMES.map((n, i) => [n, c.segment(i).selector])),
      eip: c.eip >>> 0,
      eflags: c.eflags >>> 0,
      cpl: c.cpl,
      cr: { cr0: c.cr(0) >>> 0, cr2: c.cr(2) >>> 0, cr3: c.cr(3) >>> 0, cr4: c.cr(4) >>> 0 },
    };
  }

  /** The page-table walk of a linear address under the current CR3. */
  walk(linear: number): PageWalk {
    return walkPageTables(this.m.pc.core, linear);
  }

  /** `count` instructions from CS:EIP, read through the current page tables. */
  disassemble(count = 12): DisassemblyLine[] {
    const core = this.m.pc.core;
    const start = (core.segment(1).base + core.eip) >>> 0;
    const bytes = new Uint8Array(count * 15);
    for (let i = 0; i < bytes.length; i++) {
      const phys = walkPageTables(core, start + i).physical;
      if (phys === null || phys >= core.ram.length) return this.decodeLines(bytes.subarray(0, i), start, count);
      bytes[i] = core.ram[phys];
    }
    return this.decodeLines(bytes, start, count);
  }

  private decodeLines(bytes: Uint8Array, start: number, count: number): DisassemblyLine[] {
    const out: DisassemblyLine[] = [];
    const bits = this.m.pc.core.segment(1).attr & 0x4000 ? 32 : 16;
    for (let at = 0; at < bytes.length && out.length < count; ) {
      const d = disassemble(bytes, at, { bits, address: start + at });
      if (at + d.length > bytes.length) break;
      const hex = Array.from(bytes.subarray(at, at + d.length), (b) => b.toString(16).padStart(2, '0')).join(' ');
      out.push({ address: (start + at) >>> 0, bytes: hex, text: d.text });
      at += d.length;
    }
    return out;
  }

  /** Chooses which events the core records (none: tracing off). */
  traceKinds(kinds: TraceKind[]): void {
    enableTrace(this.m.pc, kinds);
  }

  /** Trace events recorded since `since` (at most the newest `max`). */
  trace(since: number, max = 200): TraceBatch {
    const m = this.m.pc;
    const events = readTrace(m, since).slice(-max);
    return {
      cursor: traceCursor(m),
      lost: traceLost(m, since),
      events: events.map((e) => ({ seq: e.seq, kind: e.kind, instructions: e.instructions, eip: e.eip, text: describe(e) })),
    };
  }

  /** Waits for the guest agent on COM2 to be up. */
  async agentReady(): Promise<void> {
    await this.m.agentReady();
  }

  /** Runs a shell command in the guest through its agent. */
  async exec(command: string, timeoutMs = 30_000): Promise<ExecOutput> {
    const r = await this.m.exec(command, { timeoutMs });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }
}
