// A disk image in a host file, for virtio-blk in Node: sparse (made with
// ftruncate, so blocks take host space only once written), read and written
// in place with positioned I/O, made durable by fdatasync on the guest's
// FLUSH. Every host error names the file; a full host disk becomes an I/O
// error in the guest (VirtioBlock catches what write throws).

import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { BlockBackend } from '../devices/virtio/blk.ts';
import { DiskError } from './disk-error.ts';

export interface FileDiskOptions {
  readOnly?: boolean;
  /** Make the file this many bytes (sparse) if it does not exist. */
  createBytes?: number;
}

export class FileDisk implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  private fd: number;

  constructor(
    readonly path: string,
    opts: FileDiskOptions = {},
  ) {
    this.readOnly = opts.readOnly ?? false;
    const create = opts.createBytes;
    if (create !== undefined && (!Number.isSafeInteger(create) || create <= 0 || create % 512)) {
      throw new DiskError(`disk image ${path}: a size must be a positive multiple of 512 bytes, not ${create}`);
    }
    try {
      if (create !== undefined && !this.readOnly) {
        try {
          closeSync(openSync(path, 'wx')); // a new, empty file; sized below
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
      this.fd = openSync(path, this.readOnly ? 'r' : 'r+');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'a directory, not a disk image' : err.message;
      throw new DiskError(`disk image ${path}: ${why}`);
    }
    const st = fstatSync(this.fd);
    if (!st.isFile()) {
      closeSync(this.fd);
      throw new DiskError(`disk image ${path}: not a regular file`);
    }
    if (st.size === 0 && create !== undefined) {
      try {
        ftruncateSync(this.fd, create);
      } catch (e) {
        closeSync(this.fd);
        throw new DiskError(`disk image ${path}: cannot make it ${create} bytes: ${(e as Error).message}`);
      }
    }
    this.size = fstatSync(this.fd).size;
    if (this.size === 0 || this.size % 512) {
      closeSync(this.fd);
      throw new DiskError(`disk image ${path}: ${this.size} bytes is not a disk (a positive multiple of 512 bytes)`);
    }
  }

  read(offset: number, into: Uint8Array): void {
    for (let done = 0; done < into.length; ) {
      const n = this.io(() => readSync(this.fd, into, done, into.length - done, offset + done), 'reading');
      if (n === 0) {
        into.fill(0, done); // a file truncated under us reads as zeros past its end
        return;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) done += this.io(() => writeSync(this.fd, data, done, data.length - done, offset + done), 'writing');
  }

  flush(): void {
    this.io(() => fdatasyncSync(this.fd), 'flushing');
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private io<T>(op: () => T, doing: string): T {
    try {
      return op();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'ENOSPC'
          ? 'the host disk is full'
          : err.code === 'EDQUOT'
            ? 'the host disk quota is used up'
            : err.code === 'EFBIG'
              ? 'the file is at the largest size this process may write (ulimit -f)'
              : err.message;
      throw new DiskError(`disk image ${this.path}: ${doing}: ${why}`);
    }
  }
}
