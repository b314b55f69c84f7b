// The guest shell behind `cp` and `diff`: files in and out of a container's
// root (its overlay, mounted from creation to removal, so a stopped container
// works too), and the changes in its writable layer. Every path is resolved
// inside the container's root (gb_inside), so a link in the image, even an
// absolute one or one the container made, never leads into the guest's files.

import { script, sh, type Script } from '../../api/shell-script.ts';
import { RESOLVE_INSIDE } from './layer-scripts.ts';

/** What the path a copy names is in the container: Docker's cases turn on it. */
export type PathKind = 'dir' | 'file' | 'missing';

/**
 * Prints the kind of `path` in the container on the first line, then the tar
 * of it (the entry named after its last component) in base64. A link is
 * copied as a link unless `follow` (cp -L, or a path ending in "/" or "/.").
 */
export function archiveScript(root: string, path: string, follow: boolean): Script {
  return script(
    RESOLVE_INSIDE,
    sh`s=$(gb_inside ${root} ${path} ${follow ? 'all' : ''}) || { echo ${`${path}: too many levels of symbolic links`} >&2; exit 3; }`,
    sh`[ -e "$s" ] || [ -L "$s" ] || { echo ${`Could not find the file ${path}`} >&2; exit 4; }`,
    // The root itself is archived as its contents under ".".
    sh`if [ "$s" = ${root} ]; then d=$s; b=.; else d=\${s%/*}; b=\${s##*/}; fi`,
    sh`if [ -d "$s" ] && [ ! -L "$s" ]; then echo dir; else echo file; fi`,
    sh`tar -cf - -C "$d" "$b" | base64`,
  );
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
export function extractScript(root: string, t: ExtractTarget, tar: string, stage: string): Script {
  const fail = (status: number, msg: string) => sh`{ echo ${msg} >&2; exit ${status}; }`;
  return script(
    RESOLVE_INSIDE,
    sh`trap ${sh`rm -rf ${stage}`.text} EXIT`,
    sh`mkdir -p ${stage} && tar -xf ${tar} -C ${stage} || ${fail(5, 'the copied archive could not be unpacked in the guest')}`,
    sh`r=${root}; dest=${t.dest}`,
    sh`full=$(gb_inside "$r" "$dest" all) || ${fail(3, `${t.dest}: too many levels of symbolic links`)}`,
    sh`if [ -d "$full" ]; then`,
    // Into an existing directory: by the source's name, or its contents merged.
    t.contents ? sh`  base=\${full#"$r"}` : sh`  base=\${full#"$r"}/${t.name}`,
    sh`elif [ -e "$full" ]; then`,
    t.dir ? sh`  ${fail(6, `cannot copy a directory to a file: ${t.dest} is a file`)}` : sh`  base=\${full#"$r"}`,
    sh`else`,
    t.dir ? [] : [sh`  case $dest in */) ${fail(7, `${t.dest}: the destination directory must exist`)};; esac`],
    sh`  p=$(gb_inside "$r" "\${dest%/}") && [ -d "\${p%/*}" ] || ${fail(7, `${t.dest}: its parent directory does not exist`)}`,
    sh`  base=\${p#"$r"}`,
    sh`fi`,
    // From the stage, by the source's name: a cd into it would fail for a file and leave find walking elsewhere.
    sh`cd ${stage} || exit 5`,
    sh`n=${t.name}`,
    sh`find "$n" | while read -r e; do`,
    sh`  e=\${e#"$n"}; s="$n$e"; to=$(gb_inside "$r" "$base$e") || exit 3`,
    sh`  if [ -d "$s" ] && [ ! -L "$s" ]; then`,
    // A directory receiving a source's contents keeps its own mode and owner.
    t.contents ? [sh`    [ -z "$e" ] && [ -d "$to" ] && continue`] : [],
    sh`    { [ -d "$to" ] && [ ! -L "$to" ]; } || { rm -rf "$to" && mkdir "$to"; } || exit 8`,
    sh`    chmod "$(stat -c %a "$s")" "$to" && chown 0:0 "$to"`,
    sh`  else`,
    sh`    rm -rf "$to" && cp -a "$s" "$to" || exit 8`,
    sh`  fi`,
    sh`done`,
  );
}

/**
 * The changes in a container's writable layer as `docker diff` lists them:
 * "A PATH" added, "C PATH" changed (a directory whose entries changed
 * counts), "D PATH" deleted (an overlayfs whiteout, a 0/0 character device),
 * sorted by path. A path is changed when a lower layer (top first, stopping
 * at a whiteout) has it, else added.
 */
export function changesScript(upper: string, root: string): Script {
  return script(
    // The lower layers, top first, from the root's own mount: the image may have left the store since (rmi -f).
    sh`lowers=$(grep ${` ${root} overlay `} /proc/mounts | sed 's/.*lowerdir=\\([^,]*\\).*/\\1/' | tr : ' ')`,
    sh`[ -n "$lowers" ] || { echo "the container's root is not mounted" >&2; exit 1; }`,
    sh`cd ${upper} || exit 1`,
    sh`find . -mindepth 1 | sort | while read -r p; do`,
    sh`  p=\${p#.}`,
    sh`  if [ -c ".$p" ] && [ "$(stat -c %t:%T ".$p")" = 0:0 ]; then echo "D $p"; continue; fi`,
    sh`  k=A`,
    sh`  for l in $lowers; do`,
    sh`    if [ -c "$l$p" ] && [ "$(stat -c %t:%T "$l$p")" = 0:0 ]; then break; fi`,
    sh`    if [ -e "$l$p" ] || [ -L "$l$p" ]; then k=C; break; fi`,
    sh`  done`,
    sh`  echo "$k $p"`,
    sh`done`,
  );
}
