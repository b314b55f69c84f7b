// A disk in the browser's Origin Private File System, for virtio-blk in the
// page's worker: a FileSystemSyncAccessHandle (dedicated workers only) reads
// and writes the file in place, synchronously, as the device needs, and its
// flush() makes the writes durable on the guest's FLUSH. The file grows as the
// guest writes (past its end it reads as zeros): made its full size at once, a
// first visit waited about 2 s for the browser to zero 256 MiB before the
// guest could start (a private window's OPFS is in memory). The browser keeps
// it from one visit to the next.

import type { BlockBackend } from '../devices/virtio/blk.ts';
import { browserRefusal, DiskError } from './disk-error.ts';

/** The part of the sync access handle used here (TypeScript's DOM library has it only for workers). */
interface SyncAccessHandle {
  read(into: Uint8Array, opts: { at: number }): number;
  write(data: Uint8Array, opts: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle?(): Promise<SyncAccessHandle> };

/** Whether this context offers OPFS sync access handles (a dedicated worker of a current browser). */
export function opfsSyncAvailable(): boolean {
  const proto = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle?.prototype;
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' && !!proto && 'createSyncAccessHandle' in proto;
}

export class OpfsDisk implements BlockBackend {
  readonly readOnly = false;

  private constructor(
    readonly name: string,
    readonly size: number,
    private handle: SyncAccessHandle | undefined,
  ) {}

  /**
   * Opens the OPFS file `name` as a disk of `bytes` (made empty if new).
   * Throws the browser's DOMException as it is when another context holds
   * the file (NoModificationAllowedError), for the caller to wait or do
   * without.
   */
  static async open(name: string, bytes: number): Promise<OpfsDisk> {
    const root = await navigator.storage.getDirectory();
    const file = (await root.getFileHandle(name, { create: true })) as SyncFileHandle;
    if (!file.createSyncAccessHandle) throw new DiskError(`browser disk ${name}: this browser has no OPFS sync access handles`);
    const handle = await file.createSyncAccessHandle();
    const size = handle.getSize();
    if (size > bytes) {
      handle.close();
      throw new DiskError(`browser disk ${name}: ${size} bytes, larger than the ${bytes} of its disk; clear the site's data for a new one`);
    }
    return new OpfsDisk(name, bytes, handle);
  }

  read(offset: number, into: Uint8Array): void {
    for (let done = 0; done < into.length; ) {
      const n = this.io('reading', (h) => h.read(into.subarray(done), { at: offset + done }));
      if (n === 0) {
        into.fill(0, done); // past the file's end: never written, zeros
        return;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const n = this.io('writing', (h) => h.write(data.subarray(done), { at: offset + done }));
      if (n === 0) throw new DiskError(`browser disk ${this.name}: writing: the browser wrote nothing at byte ${offset + done}`);
      done += n;
    }
  }

  flush(): void {
    this.io('flushing', (h) => h.flush());
  }

  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }

  private io<T>(doing: string, op: (h: SyncAccessHandle) => T): T {
    if (!this.handle) throw new DiskError(`browser disk ${this.name}: ${doing}: the disk is closed`);
    try {
      return op(this.handle);
    } catch (e) {
      throw new DiskError(`browser disk ${this.name}: ${doing}: ${browserRefusal(e as Error)}`);
    }
  }
}
