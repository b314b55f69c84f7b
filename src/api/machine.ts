// The Machine: glassbox's one entry point. A PC with a Linux guest, its
// console on COM1 and the guest agent on COM2, run in slices on the event
// loop so the host stays responsive. Everything here works in Node and in a
// browser worker alike; where the core and the guest files come from is a
// Platform's business (index.ts for Node).

import { AgentClient, Feature, MAX_PAYLOAD, type Hello } from '../agent/protocol.ts';
import { AgentSession } from '../agent/session.ts';
import { parseBzImage } from '../boot/bzimage.ts';
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../boot/guest-defaults.ts';
import { loadLinux } from '../boot/load-linux.ts';
import { Core } from '../core/core.ts';
import { PcMachine, type PowerState } from '../machine/machine.ts';
import { SerialLink } from '../machine/serial-link.ts';
import { Emitter } from './emitter.ts';
import { ExecSession } from './exec-session.ts';
import { SerialConsole } from './serial-console.ts';
import {
  MachineError, type ClockMode, type ExecOptions, type ExecResult, type MachineEvents, type MachineOptions,
  type Platform, type SpawnOptions, type WaitOptions,
} from './types.ts';
import { sleep, yieldToEvents } from './yield.ts';

/** Instructions per run slice: 10-30 ms of host time, so the event loop turns often. */
const SLICE = 1_000_000;
/** Guest time the guest gets to start its agent (a boot takes 10-20 s of it). */
const AGENT_HELLO_TIMEOUT_MS = 120_000;
const EXEC_TIMEOUT_MS = 60_000;
/** How long past its own timeout the agent gets to report a killed command. */
const EXEC_GRACE_MS = 10_000;
const WAIT_TIMEOUT_MS = 60_000;
/** An EXEC payload's fixed fields before the command and stdin (PROTOCOL.md). */
const EXEC_HEADER = 12;

export type RunState = 'stopped' | 'running' | 'paused';

interface Waiter {
  deadlineNs: number;
  fail(reason: string): void;
  timeout(): void;
}

interface TextWaiter {
  pattern: RegExp;
  resolve(text: string): void;
  done: boolean;
}

/** Guest RAM in MiB, checked: an integer from 16 to 2048. */
export function checkMemoryMiB(n: number): number {
  if (!Number.isInteger(n) || n < 16 || n > 2048) throw new MachineError(`memoryMiB must be an integer from 16 to 2048, not ${n}`);
  return n;
}

function checkWindowSize(size: { rows: number; cols: number }, what: string): void {
  for (const n of [size.rows, size.cols]) {
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new MachineError(`${what}: a window size is whole rows and columns from 1 to 65535, not ${size.rows}x${size.cols}`);
  }
}

export class Machine extends Emitter<MachineEvents> {
  /** The PC underneath (core, chips, clock): for the inspector, not for ordinary use. */
  readonly pc: PcMachine;
  /** The guest's console on COM1. */
  readonly serial: SerialConsole;
  readonly clock: ClockMode;
  private readonly agent: AgentClient;
  private readonly agentLink: SerialLink;
  private readonly consoleLink: SerialLink;
  private consoleOut: number[] = [];
  private agentIn: number[] = [];
  private runState: RunState = 'stopped';
  private looping = false;
  private power: PowerState = 'running';
  private readonly waiters = new Set<Waiter>();
  private textWaiters: TextWaiter[] = [];
  private wakeUp?: () => void;
  /** performance.now() at which guest time 0 would have been, for realtime pacing. */
  private wallBase = 0;

  /**
   * A machine from the guest's bytes and an already compiled core, powered
   * on at the kernel's entry point but not yet running (call start()).
   */
  constructor(core: WebAssembly.Module, opts: MachineOptions & { kernel: Uint8Array; initrd?: Uint8Array; kernelName?: string }) {
    super();
    const kernel = parseBzImage(opts.kernel, opts.kernelName ?? 'kernel');
    const bytes = checkMemoryMiB(opts.memoryMiB ?? DEFAULT_MEMORY_MIB) * 1048576;
    this.clock = opts.clock ?? 'virtual';
    if (this.clock !== 'virtual' && this.clock !== 'realtime') throw new MachineError(`clock must be "virtual" or "realtime", not "${this.clock}"`);
    // The hooks run inside the core's run loop: only collect bytes there, and hand them on
    // after the run (at the end of a slice, or in a microtask when the inspector drives `pc` itself).
    this.pc = new PcMachine((h) => Core.create(core, bytes, h), bytes, {
      serial: (port, byte) => {
        if (!this.consoleOut.length && !this.agentIn.length) queueMicrotask(() => this.deliver());
        (port === 0 ? this.consoleOut : this.agentIn).push(byte);
      },
      pumpInput: () => this.consoleLink.pump() + this.agentLink.pump() > 0,
      // A guest reboot (reboot(2), a keyboard-controller or port 0x92 reset, a triple fault)
      // boots the same kernel and initrd again, as QEMU's firmware does with -kernel.
      reset: () => bootLinux(),
    });
    this.consoleLink = new SerialLink(this.pc.com[0]);
    this.agentLink = new SerialLink(this.pc.com[1]);
    this.serial = new SerialConsole(this.consoleLink, () => this.wake());
    this.agent = new AgentClient((b) => {
      this.agentLink.send(b);
      this.wake();
    });
    const bootLinux = () => loadLinux(this.pc.core, kernel, { cmdline: opts.cmdline ?? DEFAULT_CMDLINE, initrd: opts.initrd });
    bootLinux();
  }

  /** A machine from `opts`, reading what is not given as bytes through `platform`. */
  static async create(opts: MachineOptions, platform: Platform): Promise<Machine> {
    const kernelRef = opts.kernel ?? platform.defaultKernel;
    const initrdRef = opts.initrd ?? (opts.kernel === undefined ? platform.defaultInitrd : undefined);
    const bytes = (ref: Uint8Array | string | undefined, what: string) =>
      typeof ref === 'string' ? platform.read(ref, what) : Promise.resolve(ref);
    const [core, kernel, initrd] = await Promise.all([platform.coreModule(), bytes(kernelRef, 'kernel'), bytes(initrdRef, 'initrd')]);
    const kernelName = typeof kernelRef === 'string' ? `kernel ${kernelRef}` : 'kernel';
    return new this(core, { ...opts, kernel: kernel!, initrd, kernelName });
  }

  /** Whether the machine is running, paused (by the host) or stopped. */
  get state(): RunState {
    return this.runState;
  }

  /** Instructions the CPU has retired since power-on. */
  get instructions(): bigint {
    return this.pc.core.instructions;
  }

  /** Runs the machine on the event loop until stop(), pause() or power off. */
  start(): void {
    if (this.power === 'off') throw new MachineError('start: the machine is off');
    this.runState = 'running';
    this.wallBase = performance.now() - this.pc.nowNs() / 1e6;
    void this.loop();
  }

  /** Stops running; whatever waits on the machine (waitFor, exec) fails. start() continues. */
  stop(): void {
    this.runState = 'stopped';
    this.failAll('the machine was stopped');
    this.wake();
  }

  /** Freezes the machine (and guest time, so pending timeouts do not run out) until resume(). */
  pause(): void {
    if (this.runState !== 'running') return;
    this.runState = 'paused';
    this.wake();
  }

  resume(): void {
    if (this.runState === 'paused') this.start();
  }

  /**
   * Waits until the console prints something matching `pattern`, looking at
   * the output after the previous waitFor's match, and returns that output
   * up to the end of the match.
   */
  waitFor(pattern: string | RegExp, opts: WaitOptions = {}): Promise<string> {
    const what = `waitFor ${pattern}`;
    this.mustRun(what);
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : new RegExp(pattern.source, pattern.flags.replace('g', ''));
    const ms = opts.timeoutMs ?? WAIT_TIMEOUT_MS;
    let waiter: TextWaiter;
    const seen = new Promise<string>((resolve) => this.textWaiters.push((waiter = { pattern: re, resolve, done: false })));
    this.matchText();
    return this.within(seen, ms, what, () => {
      waiter.done = true;
      return `not seen on the console within ${ms / 1000} s of guest time; it printed since: ${JSON.stringify(this.serial.unread.slice(-300))}`;
    });
  }

  /** Resolves with the agent's greeting once the guest agent on COM2 is up. */
  agentReady(opts: WaitOptions = {}): Promise<Hello> {
    this.mustRun('agentReady');
    return this.hello('agentReady', opts.timeoutMs ?? AGENT_HELLO_TIMEOUT_MS);
  }

  /** Runs a shell command line in the guest through its agent. */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const what = `exec ${JSON.stringify(command.length > 60 ? command.slice(0, 57) + '...' : command)}`;
    this.mustRun(what);
    const stdin = typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin;
    const room = MAX_PAYLOAD - EXEC_HEADER - new TextEncoder().encode(command).length;
    if (room < 0) throw new MachineError(`${what}: the command is longer than one agent request holds (${MAX_PAYLOAD - EXEC_HEADER} bytes)`);
    if (stdin && stdin.length > room) throw new MachineError(`${what}: ${stdin.length} bytes of stdin do not fit in one agent request (at most ${room} with this command)`);
    await this.hello(what, AGENT_HELLO_TIMEOUT_MS);
    const timeoutMs = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
    const limit = timeoutMs === 0 ? Infinity : timeoutMs + EXEC_GRACE_MS;
    const r = await this.within(this.agent.exec(command, { stdin, timeoutMs }), limit, what,
      () => `the guest agent did not answer within ${limit / 1000} s of guest time`);
    const text = new TextDecoder();
    return { exitCode: r.exitCode, stdout: text.decode(r.stdout), stderr: text.decode(r.stderr), timedOut: r.timedOut, ...(r.signal ? { signal: r.signal } : {}) };
  }

  /**
   * Starts a command in the guest that the host talks to while it runs:
   * output as it comes, stdin streamed, optionally a pty (see ExecSession).
   */
  async spawn(command: string, opts: SpawnOptions = {}): Promise<ExecSession> {
    const what = `spawn ${JSON.stringify(command.length > 60 ? command.slice(0, 57) + '...' : command)}`;
    this.mustRun(what);
    const hello = await this.hello(what, AGENT_HELLO_TIMEOUT_MS);
    const need = opts.tty ? Feature.PTY : Feature.STREAM_STDIN;
    if ((hello.features & need) === 0) throw new MachineError(`${what}: this guest's agent cannot ${opts.tty ? 'give a command a terminal' : 'stream stdin'} (it predates that; rebuild the guest image)`);
    if (opts.tty) checkWindowSize(opts.tty, what);
    const timeoutMs = opts.timeoutMs ?? 0;
    const limit = timeoutMs === 0 ? Infinity : timeoutMs + EXEC_GRACE_MS;
    return new ExecSession(
      (output) => new AgentSession(this.agent, command, { ...opts, timeoutMs }, output),
      (end) => this.within(end, limit, what, () => `the guest agent did not report the end within ${limit / 1000} s of guest time`),
    );
  }

  private hello(what: string, ms: number): Promise<Hello> {
    return this.within(this.agent.ready(false), ms, what,
      () => `the guest agent never said HELLO on COM2 within ${ms / 1000} s of guest time (does this guest start glassbox-agent?)`);
  }

  private mustRun(what: string): void {
    if (this.power === 'off') throw new MachineError(`${what}: the machine is off`);
    if (this.runState === 'stopped') throw new MachineError(`${what}: the machine is not running; call start() first`);
  }

  /** `work`, failing with a MachineError naming `what` if guest time passes `ms` first, or the machine stops or powers off. */
  private within<T>(work: Promise<T>, ms: number, what: string, timedOut: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        deadlineNs: this.pc.nowNs() + ms * 1e6,
        fail: (reason) => {
          this.waiters.delete(w);
          reject(new MachineError(`${what}: ${reason}`));
        },
        timeout: () => w.fail(timedOut()),
      };
      this.waiters.add(w);
      work.then(
        (v) => (this.waiters.delete(w), resolve(v)),
        (e: Error) => w.fail(e.message),
      );
      this.wake();
    });
  }

  private failAll(reason: string): void {
    for (const w of [...this.waiters]) w.fail(reason);
    this.textWaiters = [];
    this.agent.fail(new Error(reason));
  }

  private wake(): void {
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.keepRunning()) {
        this.runSlice(SLICE);
        if (!this.keepRunning()) break;
        if (this.pc.power === 'halted') await this.idle();
        else await this.pace();
      }
    } finally {
      this.looping = false;
    }
  }

  private keepRunning(): boolean {
    return this.runState === 'running' && this.power !== 'off';
  }

  /**
   * Runs `count` instructions while the machine is paused or stopped: the inspector's single step.
   * Time the CPU spends halted counts too (10 ns per instruction), so a halted guest retires fewer.
   */
  step(count = 1): void {
    if (this.runState === 'running') throw new MachineError('step: pause the machine before stepping it');
    if (this.power !== 'off') this.runSlice(count);
  }

  /** Up to `count` instructions' worth of guest time, then everything it caused: console and agent bytes, power changes, timeouts. */
  private runSlice(count: number): void {
    this.expire();
    const resets = this.pc.resets;
    if (this.clock === 'realtime') this.pc.idleSkipLimitNs = this.wallNs();
    this.pc.run(count);
    this.deliver();
    if (this.pc.resets !== resets) {
      this.agent.rebooted(new Error('the guest rebooted'));
      this.setPower('reset');
    }
    this.setPower(this.pc.power);
    if (this.power === 'off') this.failAll('the machine powered off');
  }

  /** Hands what the guest wrote on COM1 to the console, and on COM2 to the agent client. */
  private deliver(): void {
    if (this.consoleOut.length) {
      this.serial.deliver(Uint8Array.from(this.consoleOut));
      this.consoleOut = [];
      this.matchText();
    }
    if (this.agentIn.length) {
      const bytes = Uint8Array.from(this.agentIn);
      this.agentIn = [];
      try {
        this.agent.feed(bytes);
      } catch (e) {
        this.agent.fail(new Error(`protocol error from the guest agent: ${(e as Error).message}`));
      }
    }
  }

  /** Fails what waited past its deadline; run before a slice, once what the last one answered has settled. */
  private expire(): void {
    const now = this.pc.nowNs();
    for (const w of [...this.waiters]) if (w.deadlineNs <= now) w.timeout();
  }

  private setPower(state: PowerState): void {
    if (state === this.power && state !== 'reset') return;
    this.power = state === 'reset' ? 'running' : state;
    this.emit('power', state);
    if (state === 'reset') this.emit('power', 'running');
  }

  private matchText(): void {
    for (const w of this.textWaiters) {
      if (w.done) continue;
      const m = w.pattern.exec(this.serial.unread);
      if (!m) continue;
      const end = m.index + m[0].length;
      w.done = true;
      w.resolve(this.serial.unread.slice(0, end));
      this.serial.unread = this.serial.unread.slice(end);
    }
    this.textWaiters = this.textWaiters.filter((w) => !w.done);
  }

  /**
   * The CPU halted. Under the virtual clock no timer is armed, so only the host
   * can wake it (input, a timeout, a request); under the realtime clock guest
   * time has caught up with the wall, and follows it until a timer is due or
   * the host wakes the guest.
   */
  private async idle(): Promise<void> {
    const woken = new Promise<void>((r) => (this.wakeUp = r));
    if (this.clock === 'realtime') {
      await Promise.race([woken, sleep(10)]);
      this.pc.skipIdle(this.wallNs() - this.pc.nowNs());
    } else {
      // Virtual time: nothing happens until the next deadline, so go there at once.
      const next = Math.min(...[...this.waiters].map((w) => w.deadlineNs));
      if (Number.isFinite(next)) this.pc.skipIdle(next - this.pc.nowNs());
      else await woken;
    }
    this.wakeUp = undefined;
  }

  /** The wall clock's reading in guest nanoseconds (realtime clock). */
  private wallNs(): number {
    return (performance.now() - this.wallBase) * 1e6;
  }

  /** Between slices: let the event loop turn, and in realtime mode keep guest time from running ahead of the wall. */
  private async pace(): Promise<void> {
    if (this.clock === 'realtime') {
      const ahead = this.pc.nowNs() / 1e6 - (performance.now() - this.wallBase);
      if (ahead > 1) return sleep(Math.min(ahead, 20));
    }
    return yieldToEvents();
  }
}
