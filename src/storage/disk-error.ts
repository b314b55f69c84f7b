// The error of a disk that cannot be used, in a file of its own: the browser's
// disks throw it too, and file-disk.ts (which names it first) imports node:fs.
// With it, the words for a write the browser refused, which its disks (OPFS,
// IndexedDB, and the page's quota stand-in) all give.

/** A disk image that cannot be used, with the reason and the disk's name. */
export class DiskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskError';
  }
}

/** What a browser's disk says when the site's storage quota refused a write. */
export const QUOTA_USED_UP = "the browser's storage quota for this site is used up";

/** Why the browser refused a disk operation: the quota named as such, anything else as the browser put it. */
export function browserRefusal(err: Error): string {
  return err.name === 'QuotaExceededError' ? QUOTA_USED_UP : `${err.name}: ${err.message}`;
}
