// The guest shell behind `cp` and `diff`: files in and out of a container's
// root (its overlay, mounted from creation to removal, so a stopped container
// works too), and the changes in its writable layer. Every path is resolved
// inside the container's root (gb_inside), so a link in the image, even an
// absolute one or one the container made, never leads into the guest's files.

import { shq } from '../../api/shell-script.ts';
import { RESOLVE_INSIDE } from './layer-scripts.ts';

/** What the path a copy names is in the container: Docker's cases turn on it. */
export type PathKind = 'dir' | 'file' | 'missing';

/**
 * Prints the kind of `path` in the container on the first line, then the tar
 * of it (the entry named after its last component) in base64. A link is
 * copied as a link unless `follow` (cp -L, or a path ending in "/" or "/.").
 */
export function archiveScript(root: string, path: string, follow: boolean): string {
  return [
    RESOLVE_INSIDE,
    `s=$(gb_inside ${shq(root)} ${shq(path)} ${follow ? 'all' : ''}) || { echo ${shq(`${path}: too many levels of symbolic links`)} >&2; exit 3; }`,
    `[ -e "$s" ] || [ -L "$s" ] || { echo ${shq(`Could not find the file ${path}`)} >&2; exit 4; }`,
    // The root itself is archived as its contents under ".".
    `if [ "$s" = ${shq(root)} ]; then d=$s; b=.; else d=\${s%/*}; b=\${s##*/}; fi`,
    'if [ -d "$s" ] && [ ! -L "$s" ]; then echo dir; else echo file; fi',
    'tar -cf - -C "$d" "$b" | base64',
  ].join('\n');
}

/** What a copy into a container needs besides its tar: where it goes and what it is. */
export interface ExtractTarget {
  /** The container path given as destination. */
  dest: string;
  /** The source's name: the tar's top entry. */
  name: string;
  /** The source is a directory; `contents`: only what is in it (a source ending in "/."). */
  dir: boolean;
  contents: boolean;
}

/**
 * Unpacks `tar` (already in the guest) into a stage outside the container
 * and moves each entry into place under Docker's rules for DEST: an existing
 * directory receives the source by its name (or its contents); an existing
 * file is replaced by a file; a missing path becomes the file or directory,
 * its parent having to exist. Each entry's place is resolved inside the root
 * again, and whatever is in the way that is not a directory where one goes
 * (a link, say) is replaced, not followed, as Docker's untar does.
 */
export function extractScript(root: string, t: ExtractTarget, tar: string, stage: string): string {
  const fail = (code: number, msg: string) => `{ echo ${shq(msg)} >&2; exit ${code}; }`;
  return [
    RESOLVE_INSIDE,
    `trap 'rm -rf ${shq(stage)}' EXIT`,
    `mkdir -p ${shq(stage)} && tar -xf ${shq(tar)} -C ${shq(stage)} || ${fail(5, 'the copied archive could not be unpacked in the guest')}`,
    `r=${shq(root)}; dest=${shq(t.dest)}`,
    `full=$(gb_inside "$r" "$dest" all) || ${fail(3, `${t.dest}: too many levels of symbolic links`)}`,
    'if [ -d "$full" ]; then',
    // Into an existing directory: by the source's name, or its contents merged.
    `  base=\${full#"$r"}${t.contents ? '' : `/${t.name}`}`,
    'elif [ -e "$full" ]; then',
    t.dir ? `  ${fail(6, `cannot copy a directory to a file: ${t.dest} is a file`)}` : '  base=${full#"$r"}',
    'else',
    ...(t.dir ? [] : [`  case $dest in */) ${fail(7, `${t.dest}: the destination directory must exist`)};; esac`]),
    '  p=$(gb_inside "$r" "${dest%/}") && [ -d "${p%/*}" ] || ' + fail(7, `${t.dest}: its parent directory does not exist`),
    '  base=${p#"$r"}',
    'fi',
    // From the stage, by the source's name: a cd into it would fail for a file and leave find walking elsewhere.
    `cd ${shq(stage)} || exit 5`,
    `n=${shq(t.name)}`,
    'find "$n" | while read -r e; do',
    '  e=${e#"$n"}; s="$n$e"; to=$(gb_inside "$r" "$base$e") || exit 3',
    '  if [ -d "$s" ] && [ ! -L "$s" ]; then',
    // A directory receiving a source's contents keeps its own mode and owner.
    ...(t.contents ? ['    [ -z "$e" ] && [ -d "$to" ] && continue'] : []),
    '    { [ -d "$to" ] && [ ! -L "$to" ]; } || { rm -rf "$to" && mkdir "$to"; } || exit 8',
    '    chmod "$(stat -c %a "$s")" "$to" && chown 0:0 "$to"',
    '  else',
    '    rm -rf "$to" && cp -a "$s" "$to" || exit 8',
    '  fi',
    'done',
  ].join('\n');
}

/**
 * The changes in a container's writable layer as `docker diff` lists them:
 * "A PATH" added, "C PATH" changed (a directory whose entries changed
 * counts), "D PATH" deleted (an overlayfs whiteout, a 0/0 character device),
 * sorted by path. A path is changed when a lower layer (top first, stopping
 * at a whiteout) has it, else added.
 */
export function changesScript(upper: string, root: string): string {
  return [
    // The lower layers, top first, from the root's own mount: the image may have left the store since (rmi -f).
    `lowers=$(grep " ${root} overlay " /proc/mounts | sed 's/.*lowerdir=\\([^,]*\\).*/\\1/' | tr : ' ')`,
    '[ -n "$lowers" ] || { echo "the container\'s root is not mounted" >&2; exit 1; }',
    `cd ${shq(upper)}`,
    'find . -mindepth 1 | sort | while read -r p; do',
    '  p=${p#.}',
    '  if [ -c ".$p" ] && [ "$(stat -c %t:%T ".$p")" = 0:0 ]; then echo "D $p"; continue; fi',
    '  k=A',
    '  for l in $lowers; do',
    '    if [ -c "$l$p" ] && [ "$(stat -c %t:%T "$l$p")" = 0:0 ]; then break; fi',
    '    if [ -e "$l$p" ] || [ -L "$l$p" ]; then k=C; break; fi',
    '  done',
    '  echo "$k $p"',
    'done',
  ].join('\n');
}
