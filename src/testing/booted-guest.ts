// The files (by digest) and settings a kernel run boots with, resolved from
// its machine options (the defaults filled in), as the boot cache keys them.

import { createHash } from 'node:crypto';
import type { MachineOptions } from '../api/index.ts';
import { DEFAULT_KERNEL, DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import type { BootedGuest } from '../api/snapshot-cache.ts';
import { fileSha256 } from '../api/file-digest.ts';

const digestOf = async (f: Uint8Array | string): Promise<string> => (typeof f === 'string' ? fileSha256(f) : createHash('sha256').update(f).digest('hex'));

export async function bootedGuest(o: MachineOptions): Promise<BootedGuest> {
  // kernelMachineOptions always names the initrd and the command line.
  const [kernelSha256, initrdSha256] = await Promise.all([digestOf(o.kernel ?? DEFAULT_KERNEL), digestOf(o.initrd!)]);
  return { kernelSha256, initrdSha256, cmdline: o.cmdline!, memoryMiB: o.memoryMiB ?? DEFAULT_MEMORY_MIB };
}
