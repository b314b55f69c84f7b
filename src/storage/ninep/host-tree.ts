// Host directories a 9P server exports, and the one rule that keeps a guest
// inside them: a guest path is a list of names under an export's root, and
// before the host touches one, the directory holding its last name is
// resolved on the host (realpath) and must be the root or under it. So a
// ".." never climbs above the root (the server's walk drops it there), and a symlink
// on the host that leads out (made by the host, or by the guest and then
// followed as a directory) is refused with EACCES; the last name itself is
// never followed (lstat, O_NOFOLLOW), so a symlink is only ever read as one.

import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { NinePError } from './errno.ts';
import { ShareError } from './share-error.ts';

/** A host directory the guest may attach to. */
export interface Export {
  /** The directory, resolved (realpath). */
  readonly root: string;
  /** Writes are refused with EROFS, whatever the guest's mount says. */
  readonly readOnly: boolean;
}

/** Checks `path` is a host directory and gives its export; throws ShareError naming it otherwise. */
export function hostExport(path: string, readOnly = false): Export {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ShareError(code === 'ENOENT' ? `host directory ${path} does not exist` : `host directory ${path}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ShareError(`${path} is not a directory (a bind mount shares a host directory)`);
  return { root: realpathSync(path), readOnly };
}

/** A name the guest gives for a new entry: one path component, not "." or "..". */
export function checkName(name: string): string {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new NinePError('EINVAL', `"${name}" is not a file name`);
  return name;
}

/** The host path of `names` under the export, once the directory holding it is known to be inside. */
export function hostPath(exp: Export, names: readonly string[]): string {
  if (!names.length) return exp.root;
  const path = join(exp.root, ...names);
  // A parent gone (renamed on the host) or a symlink loop throws: the guest sees the host's reason.
  const parent = realpathSync(dirname(path));
  if (parent !== exp.root && !parent.startsWith(exp.root + sep)) throw new NinePError('EACCES', `${path} leads outside ${exp.root}`);
  return path;
}

/** lstat of a path under the export (bigint, for nanosecond times and 64-bit inodes). */
export function lstatIn(exp: Export, names: readonly string[]) {
  return lstatSync(hostPath(exp, names), { bigint: true });
}
