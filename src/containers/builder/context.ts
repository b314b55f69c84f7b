// The files a COPY takes from the build context, and never anything outside
// it, as Docker does: a named source is resolved inside the context root (a
// symbolic link on the way, even an absolute one, is followed as if the
// context were /), and inside a copied directory a symbolic link is copied as
// a link, not followed. Only regular files, directories and links are read: a
// FIFO would block the engine and a device would read the host's, so either is
// refused by name.

import { lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { TarEntry } from '../store/archive.ts';
import { DockerfileError } from './dockerfile.ts';

/** Links followed while resolving one source, as Linux's own limit (ELOOP). */
const MAX_LINKS = 40;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The host path a context-relative source names, every link on the way resolved inside `root`. */
function resolveInside(root: string, source: string, line: number): string {
  let todo = source.split('/');
  let done: string[] = [];
  for (let links = 0; todo.length; ) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const st = lstatOrUndefined(join(root, ...done, c));
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new DockerfileError(line, `COPY source ${source}: too many levels of symbolic links`);
      const target = readlinkSync(join(root, ...done, c));
      if (target.startsWith('/')) done = [];
      todo = [...target.split('/'), ...todo];
    } else {
      done.push(c);
    }
  }
  return join(root, ...done);
}

/** A file, directory or link at `path` as tar entries under `dest`. */
function entriesOf(path: string, st: Stats, dest: string, what: string, line: number): TarEntry[] {
  const strip = (p: string) => p.replace(/^\/+/, '');
  if (st.isSymbolicLink()) return [[strip(dest), { linkname: readlinkSync(path) }]];
  if (st.isFile()) return [[strip(dest), readFileSync(path), st.mode & 0o777]];
  if (!st.isDirectory()) throw new DockerfileError(line, `COPY source ${what} is not a regular file, directory or symbolic link (a FIFO, socket or device is never read)`);
  const out: TarEntry[] = [[strip(dest), undefined]];
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    out.push(...entriesOf(child, lstatSync(child), posix.join(dest, name), posix.join(what, name), line));
  }
  return out;
}

/** The tar entries COPY `source` `dest` adds (dest ending in "/" is a directory the source goes into). */
export function contextEntries(context: string, source: string, dest: string, line: number): TarEntry[] {
  if (posix.normalize(source).split('/')[0] === '..') throw new DockerfileError(line, `COPY source ${source} is outside the build context`);
  const path = resolveInside(realpathSync(context), source, line);
  const st = lstatOrUndefined(path);
  if (!st) throw new DockerfileError(line, `COPY source ${source} does not exist in the build context`);
  const target = !st.isDirectory() && dest.endsWith('/') ? posix.join(dest, posix.basename(source)) : dest;
  return entriesOf(path, st, target, source, line);
}
