// The entries of a newc ("070701") cpio archive, the kernel's initramfs
// format: 110-byte headers of 8-hex-digit fields, the name, then the data,
// each padded to 4 bytes. Read in place (offsets into the archive), so a
// caller can name a file's bytes without copying them.

const MAGIC = [0x30, 0x37, 0x30, 0x37, 0x30, 0x31]; // "070701"
const HEADER = 110;
const TRAILER = 'TRAILER!!!';
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

export interface NewcEntry {
  name: string;
  mode: number;
  /** Where the entry's data starts in the archive. */
  offset: number;
  size: number;
}

/** Whether a newc header starts at `at`. */
export function isNewc(a: Uint8Array, at: number): boolean {
  return at + HEADER <= a.length && MAGIC.every((b, i) => a[at + i] === b);
}

/** A header's field: 8 hex digits at `at` (NaN when they are not hex). */
function hexField(a: Uint8Array, at: number): number {
  let n = 0;
  for (let i = 0; i < 8; i++) n = n * 16 + parseInt(String.fromCharCode(a[at + i]!), 16);
  return n;
}

const isRegular = (e: NewcEntry) => (e.mode & S_IFMT) === S_IFREG;

/**
 * Every entry but the trailers, in order. The kernel takes archives
 * concatenated, each padded with zeros, so this reads on past a trailer;
 * it stops at the first bytes that are not a header, or a header whose
 * data would run past the end.
 */
export function newcEntries(archive: Uint8Array): NewcEntry[] {
  const entries: NewcEntry[] = [];
  const names = new TextDecoder();
  let at = 0;
  for (;;) {
    while (at < archive.length && archive[at] === 0) at++;
    if (!isNewc(archive, at)) return entries;
    const mode = hexField(archive, at + 14);
    const size = hexField(archive, at + 54);
    const nameSize = hexField(archive, at + 94);
    const offset = (at + HEADER + nameSize + 3) & ~3;
    if (!Number.isSafeInteger(size) || !Number.isSafeInteger(nameSize) || nameSize < 1 || offset + size > archive.length) return entries;
    const name = names.decode(archive.subarray(at + HEADER, at + HEADER + nameSize - 1));
    if (name !== TRAILER) entries.push({ name, mode, offset, size });
    at = (offset + size + 3) & ~3;
  }
}

/** The regular files of an archive by name, their contents as views into it. */
export function newcFiles(archive: Uint8Array): Map<string, Uint8Array> {
  return new Map(
    newcEntries(archive)
      .filter(isRegular)
      .map((e) => [e.name, archive.subarray(e.offset, e.offset + e.size)]),
  );
}

/** The regular files' contents as [offset, size] in the archive (empty files left out). */
export function newcFileExtents(archive: Uint8Array): [number, number][] {
  return newcEntries(archive)
    .filter((e) => isRegular(e) && e.size > 0)
    .map((e) => [e.offset, e.size]);
}
