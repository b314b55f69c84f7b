// One kernel test run, as `glassbox kernel run` and the testing library do
// it in Node: boot a kernel (the user's) with glassbox's userland unless
// another initrd is given, from the boot cache when there is one, and watch
// the run (watched-run.ts).

import { Machine, SnapshotError, type MachineOptions } from '../api/index.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD } from '../boot/default-guest.ts';
import { bootedGuest } from './booted-guest.ts';
import { kernelSnapshot, keepKernel, type BootedGuest } from '../api/snapshot-cache.ts';
import { watchedRun, type KernelRunOptions, type KernelRunResult } from './watched-run.ts';

export { watchedRun, type CrashReport, type KernelRunOptions, type KernelRunOutcome, type KernelRunResult } from './watched-run.ts';

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

/**
 * The kernel of `options` (kernelMachineOptions) resumed, not started, from
 * the booted snapshot of `guest` in the boot cache `dir`; undefined when
 * there is none, or it was refused (damaged, or made by another build).
 */
export async function resumeBooted(dir: string, options: MachineOptions, guest: BootedGuest): Promise<Machine | undefined> {
  const snapshot = await kernelSnapshot(dir, guest);
  if (!snapshot) return undefined;
  try {
    return await Machine.create({ snapshot, kernel: options.kernel, initrd: options.initrd, clock: 'virtual' });
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw e;
    return undefined;
  }
}

async function runFromBootCache(o: KernelRunOptions, dir: string): Promise<KernelRunResult> {
  const options = kernelMachineOptions(o);
  const guest = await bootedGuest(options);
  const resumed = await resumeBooted(dir, options, guest);
  if (resumed) return watchedRun(resumed, o, true);
  // None, or refused: boot, and keep a new one.
  const m = await Machine.create(options);
  return watchedRun(m, { ...o, onBooted: (booted) => keepKernel(dir, guest, booted).catch(() => undefined) }, false);
}
