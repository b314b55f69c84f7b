// The Machine API in Node: the Machine with the core and the guest files read
// from disk. `Machine.create()` with no options boots the project's guest.

import { readFile } from 'node:fs/promises';
import { KernelImageError } from '../boot/bzimage.ts';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../boot/default-guest.ts';
import { coreBuild, coreModule } from '../core/load-node.ts';
import { nodeCodec } from '../snapshot/codec-node.ts';
import { Machine as PlatformMachine } from './machine.ts';
import { FileDisk } from '../storage/file-disk.ts';
import { fileSha256 } from './file-digest.ts';
import { NinePFileServer } from '../storage/ninep/server.ts';
import { hostExport } from '../storage/ninep/host-tree.ts';
import type { MachineOptions, Platform } from './types.ts';

function fileError(e: unknown, path: string, what: string): KernelImageError {
  return new KernelImageError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
}

export const nodePlatform: Platform = {
  coreModule: async () => coreModule(),
  async read(path, what) {
    try {
      return await readFile(path); // a Buffer is a Uint8Array: no copy of 9 MB into fresh pages
    } catch (e) {
      throw fileError(e, path, what);
    }
  },
  async fileSha256(path, what) {
    try {
      return await fileSha256(path);
    } catch (e) {
      throw fileError(e, path, what);
    }
  },
  defaultKernel: DEFAULT_KERNEL,
  defaultInitrd: DEFAULT_INITRD,
  codec: nodeCodec,
  openDisk: (spec) => new FileDisk(spec.path, spec),
  openShare: (spec) => new NinePFileServer(new Map([['', hostExport(spec.path, spec.readOnly)]])),
  coreBuild: async () => coreBuild(),
};

export class Machine extends PlatformMachine {
  /** A machine from `opts` (file paths or bytes; the project's guest when nothing is given). Call start() to run it. */
  static override create(opts: MachineOptions = {}, platform: Platform = nodePlatform): Promise<Machine> {
    return super.create(opts, platform);
  }
}

export { checkMemoryMiB, type RunState } from './machine.ts';
export type { ExecSession } from './exec-session.ts';
export { KernelImageError } from '../boot/bzimage.ts';
export type { MouseMotion } from '../devices/ps2-mouse.ts';
export * from './types.ts';
export { SnapshotError } from '../snapshot/error.ts';
export { FileDisk } from '../storage/file-disk.ts';
export { DiskError } from '../storage/disk-error.ts';
export { ShareError } from '../storage/ninep/share-error.ts';
