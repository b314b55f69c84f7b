// One kernel test run, as `glassbox kernel run` and the testing library do
// it: boot a kernel (the user's) with glassbox's userland unless another
// initrd is given, run one command through the guest agent, and end with the
// command's status, or with the reason the kernel never got that far: it
// crashed (a panic, oops, BUG, WARN, soft lockup, RCU stall, or a triple
// fault), it hung past the deadline, or it lacks what the userland needs.

import { Machine, SnapshotError, type MachineOptions } from '../api/index.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD } from '../boot/default-guest.ts';
import { readCpu, type CpuView } from '../inspect/cpu.ts';
import { enableTrace, readTrace, type TraceEvent } from '../inspect/trace.ts';
import { missingFromConsole } from './kernel-config.ts';
import { KernelLogWatch, type KernelCrash } from './kernel-log.ts';
import { decodeOops, type OopsDecoded } from './oops-decode.ts';
import { bootedGuest } from './booted-guest.ts';
import { kernelSnapshot, keepKernel } from '../api/snapshot-cache.ts';

export interface KernelRunOptions {
  /** The bzImage: a path or its bytes (default: the project's kernel). */
  kernel?: string | Uint8Array;
  /** The initramfs (default: glassbox's, with its agent, whatever the kernel). */
  initrd?: string | Uint8Array;
  /** Appended to glassbox's console arguments (`console=ttyS0 tsc=reliable`). */
  append?: string;
  memoryMiB?: number;
  /** The shell command to run through the agent; none: boot until the agent is up (KUnit runs at boot). */
  command?: string;
  /** Guest time for the boot and the command together. */
  timeoutMs: number;
  /** Record system calls, exceptions and interrupts, so a crash report shows the last of them. */
  trace?: boolean;
  /** Console bytes as they come. */
  onConsole?(bytes: Uint8Array): void;
  /** Snapshot the machine when the kernel crashes or the deadline passes, to look inside later. */
  snapshotOnFailure?: boolean;
  /**
   * A directory of booted snapshots (src/api/snapshot-cache.ts): the command
   * starts from this kernel's booted state when one is there, and the boot
   * leaves one when not. A boot under the virtual clock reaches the same
   * state every time, so only the time differs, and the console: it starts
   * after the boot. Not used without a command (boot-time tests such as
   * KUnit print during the boot).
   */
  bootCache?: string;
}

/** How much guest time a crash report gets to finish printing once it started. */
const REPORT_GRACE_MS = 3_000;
/** Trace records kept in a crash report. */
const TRACE_TAIL = 24;

export interface CrashReport {
  crash: KernelCrash;
  /** The registers and faulting instruction the oops printed, decoded. */
  oops: OopsDecoded;
  /** The CPU as the inspector saw it when the run was stopped. */
  cpu: CpuView;
  /** The last trace records before the stop, when tracing was on. */
  trace: TraceEvent[];
}

export type KernelRunOutcome =
  | { how: 'exited'; exitCode: number; stdout: string; stderr: string; signal?: number }
  | { how: 'crashed'; report: CrashReport }
  | { how: 'reset' }
  | { how: 'timeout'; during: 'boot' | 'command' }
  | { how: 'no-userland'; missing: string[]; detail: string };

export interface KernelRunResult {
  outcome: KernelRunOutcome;
  /** Everything the kernel printed on its console. */
  console: string;
  /** Guest instructions retired, and guest time taken. */
  instructions: bigint;
  guestMs: number;
  /** With snapshotOnFailure, after a crash or a timeout: the machine as it was then, or why it could not be saved. */
  snapshot?: Uint8Array | { error: string };
}

/** The machine options a kernel run boots with. */
export function kernelMachineOptions(o: KernelRunOptions): MachineOptions {
  return {
    kernel: o.kernel,
    initrd: o.initrd ?? DEFAULT_INITRD,
    cmdline: o.append ? `${DEFAULT_CMDLINE} ${o.append}` : DEFAULT_CMDLINE,
    memoryMiB: o.memoryMiB,
    clock: 'virtual',
  };
}

export async function runKernel(o: KernelRunOptions): Promise<KernelRunResult> {
  if (o.bootCache !== undefined && o.command !== undefined) return runFromBootCache(o, o.bootCache);
  return watchedRun(await Machine.create(kernelMachineOptions(o)), o, false);
}

async function runFromBootCache(o: KernelRunOptions, dir: string): Promise<KernelRunResult> {
  const options = kernelMachineOptions(o);
  const guest = await bootedGuest(options);
  const snapshot = await kernelSnapshot(dir, guest);
  if (snapshot) {
    try {
      const m = await Machine.create({ snapshot, kernel: guest.kernel, initrd: guest.initrd, clock: 'virtual' });
      return await watchedRun(m, o, true);
    } catch (e) {
      // Refused (damaged, or made by another build): boot, and keep a new one.
      if (!(e instanceof SnapshotError)) throw e;
    }
  }
  const m = await Machine.create({ ...options, kernel: guest.kernel, initrd: guest.initrd });
  return watchedRun(m, { ...o, onBooted: (booted) => keepKernel(dir, guest, booted).catch(() => undefined) }, false);
}

/**
 * Runs `o.command` on `m` (not yet started; `booted`: its agent is already
 * up, as in a fork of a booted machine) and watches its console for a crash,
 * its power for a reset, and the deadline, which covers the boot too when
 * there is one. Stops `m` at the end.
 */
export async function watchedRun(
  m: Machine,
  o: Omit<KernelRunOptions, 'kernel' | 'initrd' | 'append' | 'memoryMiB' | 'bootCache'> & { onBooted?(m: Machine): Promise<void> },
  booted: boolean,
): Promise<KernelRunResult> {
  if (o.trace) enableTrace(m.pc, ['syscall', 'exception', 'irq']);
  const watch = new KernelLogWatch();
  const decoder = new TextDecoder();
  let consoleText = '';
  let settle!: (outcome: KernelRunOutcome) => void;
  const ended = new Promise<KernelRunOutcome>((resolve) => (settle = resolve));
  let crashSeen = false;

  const reportCrash = async (crash: KernelCrash) => {
    // Let the kernel finish its report (registers, Code:, the stack), bounded in guest time.
    if (!watch.complete) await m.waitFor(/---\[ end (?:trace|Kernel panic)/, { timeoutMs: REPORT_GRACE_MS }).catch(() => undefined);
    const full = watch.crash() ?? crash;
    const trace = o.trace ? readTrace(m.pc).slice(-TRACE_TAIL) : [];
    settle({ how: 'crashed', report: { crash: full, oops: decodeOops(full.message), cpu: readCpu(m.pc.core), trace } });
  };
  m.serial.on('data', (bytes) => {
    o.onConsole?.(bytes);
    const text = decoder.decode(bytes, { stream: true });
    consoleText += text;
    const crash = watch.feed(text);
    if (crash && !crashSeen) {
      crashSeen = true;
      void reportCrash(crash);
    }
  });
  m.on('power', (state) => {
    if (state === 'reset' && !crashSeen) settle({ how: 'reset' });
    if (state === 'off' && !crashSeen) settle({ how: 'no-userland', missing: [], detail: 'the kernel powered the machine off before the command ended' });
  });

  const started = m.instructions;
  m.start();
  const t0 = m.pc.nowNs();
  const work = (async (): Promise<KernelRunOutcome> => {
    try {
      if (!booted) {
        await m.agentReady({ timeoutMs: o.timeoutMs });
        await o.onBooted?.(m);
      }
    } catch (e) {
      const missing = missingFromConsole(consoleText);
      if (missing.length) return { how: 'no-userland', missing, detail: (e as Error).message };
      return { how: 'timeout', during: 'boot' };
    }
    if (o.command === undefined) return { how: 'exited', exitCode: 0, stdout: '', stderr: '' };
    const left = Math.max(1, o.timeoutMs - (m.pc.nowNs() - t0) / 1e6);
    try {
      const r = await m.exec(o.command, { timeoutMs: left });
      if (r.timedOut) return { how: 'timeout', during: 'command' };
      return { how: 'exited', exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ...(r.signal ? { signal: r.signal } : {}) };
    } catch {
      return { how: 'timeout', during: 'command' };
    }
  })();
  // A crash or a reset wins over whatever the command was doing; so does the end of the command.
  const outcome = await Promise.race([ended, work.then((w) => (crashSeen ? ended : w))]);
  const result: KernelRunResult = {
    outcome,
    console: consoleText,
    instructions: m.instructions - started,
    guestMs: (m.pc.nowNs() - t0) / 1e6,
  };
  if (o.snapshotOnFailure && (outcome.how === 'crashed' || outcome.how === 'timeout')) {
    result.snapshot = await m.snapshot().catch((e: Error) => ({ error: e.message }));
  }
  m.stop();
  return result;
}
