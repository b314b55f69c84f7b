// The error of a disk that cannot be used, in a file of its own: the browser's
// disks throw it too, and file-disk.ts (which names it first) imports node:fs.

/** A disk image that cannot be used, with the reason and the disk's name. */
export class DiskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskError';
  }
}
