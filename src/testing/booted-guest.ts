// The bytes and settings a kernel run boots with, resolved from its machine
// options (paths read, the defaults filled in), as the boot cache keys them.

import { readFile } from 'node:fs/promises';
import type { MachineOptions } from '../api/index.ts';
import { DEFAULT_KERNEL, DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import type { BootedGuest } from '../api/snapshot-cache.ts';

const bytesOf = async (f: Uint8Array | string): Promise<Uint8Array> => (typeof f === 'string' ? new Uint8Array(await readFile(f)) : f);

export async function bootedGuest(o: MachineOptions): Promise<BootedGuest> {
  // kernelMachineOptions always names the initrd and the command line.
  const [kernel, initrd] = await Promise.all([bytesOf(o.kernel ?? DEFAULT_KERNEL), bytesOf(o.initrd!)]);
  return { kernel, initrd, cmdline: o.cmdline!, memoryMiB: o.memoryMiB ?? DEFAULT_MEMORY_MIB };
}
