// A kernel booted once, and each test run on a fresh fork of it: what a
// test runner wants when it has many small tests for one kernel. The boot
// is paid once; every test starts from the same booted state, cannot see
// what another test did, and gets its own deadline and crash report.

import { Machine } from '../api/index.ts';
import { kernelMachineOptions, watchedRun, type KernelRunOptions, type KernelRunResult } from './kernel-run.ts';

export interface KernelSession {
  /** Guest time the boot took. */
  bootMs: number;
  /** Runs `command` on a fresh fork of the booted kernel, within `timeoutMs` of guest time. */
  run(command: string, opts: { timeoutMs: number; trace?: boolean; snapshotOnFailure?: boolean }): Promise<KernelRunResult>;
}

export class KernelBootError extends Error {
  constructor(
    message: string,
    /** The boot's own result: how it failed, and its console. */
    readonly result: KernelRunResult,
  ) {
    super(message);
    this.name = 'KernelBootError';
  }
}

/**
 * Boots the kernel of `o` to its agent (within `o.timeoutMs`) and returns a
 * session whose runs start from that state. A boot that fails throws a
 * KernelBootError carrying its result (the crash report, or what the
 * kernel lacks).
 */
export async function bootKernel(o: Omit<KernelRunOptions, 'command'>): Promise<KernelSession> {
  const booted = await Machine.create(kernelMachineOptions(o));
  // A run with no command ends (and stops the machine) when the agent is up.
  const boot = await watchedRun(booted, o, false);
  if (boot.outcome.how !== 'exited') throw new KernelBootError(`the kernel did not boot to its userland: ${boot.outcome.how}`, boot);
  return {
    bootMs: boot.guestMs,
    run: (command, opts) => watchedRun(booted.fork(), { ...opts, command, onConsole: o.onConsole }, true),
  };
}
