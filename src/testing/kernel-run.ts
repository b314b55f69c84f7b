// One kernel test run, as `glassbox kernel run` and the testing library do
// it in Node: boot a kernel (the user's) with glassbox's userland unless
// another initrd is given, from the boot cache when there is one, and watch
// the run (watched-run.ts).

import { Machine, SnapshotError, type MachineOptions } from '../api/index.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD } from '../boot/default-guest.ts';
import { bootedGuest } from './booted-guest.ts';
import { kernelSnapshot, keepKernel } from '../api/snapshot-cache.ts';
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

async function runFromBootCache(o: KernelRunOptions, dir: string): Promise<KernelRunResult> {
  const options = kernelMachineOptions(o);
  const guest = await bootedGuest(options);
  const snapshot = await kernelSnapshot(dir, guest);
  if (snapshot) {
    try {
      const m = await Machine.create({ snapshot, kernel: options.kernel, initrd: options.initrd, clock: 'virtual' });
      return await watchedRun(m, o, true);
    } catch (e) {
      // Refused (damaged, or made by another build): boot, and keep a new one.
      if (!(e instanceof SnapshotError)) throw e;
    }
  }
  const m = await Machine.create(options);
  return watchedRun(m, { ...o, onBooted: (booted) => keepKernel(dir, guest, booted).catch(() => undefined) }, false);
}
