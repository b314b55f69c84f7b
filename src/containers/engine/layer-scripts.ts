// The guest shell that translates between OCI layer tars and overlayfs, both
// ways. OCI marks a deleted path with an empty file .wh.NAME and a directory
// whose lower contents are hidden with .wh..wh..opq inside it (image-spec
// layer.md); overlayfs marks them with a 0/0 character device NAME and the
// trusted.overlay.opaque xattr. The guest's busybox has no getfattr or
// setfattr, so both directions let overlayfs itself read and write that xattr.

import { code, script, sh, type Script } from '../../api/shell-script.ts';

const OPAQUE = '.wh..wh..opq';

/**
 * Makes the directory $1 opaque: moves its contents aside, mounts an overlay
 * with $1's parent as the upper dir over a lower dir holding an entry of the
 * same name, removes and recreates $1 through it (overlayfs marks a directory
 * made over a whiteout opaque), then puts the contents, owner, mode and mtime back.
 */
const MAKE_OPAQUE = code(
  [
    'gb_make_opaque() {',
    '  d=$1; s=$(mktemp -d /var/lib/glassbox/opaque.XXXXXX)',
    '  mkdir "$s/lower" "$s/work" "$s/mnt" "$s/lower/${d##*/}"',
    '  mv "$d" "$s/aside"',
    '  mount -t overlay gb-opaque -o "lowerdir=$s/lower,upperdir=${d%/*},workdir=$s/work" "$s/mnt"',
    '  rmdir "$s/mnt/${d##*/}" && mkdir "$s/mnt/${d##*/}"',
    '  umount "$s/mnt"',
    '  chown "$(stat -c %u:%g "$s/aside")" "$d" && chmod "$(stat -c %a "$s/aside")" "$d"',
    '  find "$s/aside" -mindepth 1 -maxdepth 1 -exec mv {} "$d"/ \\;',
    '  touch -r "$s/aside" "$d" && rm -rf "$s"',
    '}',
  ].join('\n'),
);

/**
 * Checks a layer blob's sha256, unpacks it into `dir` (through `dir`.tmp, so
 * a half-unpacked layer is never used) and turns OCI whiteouts into
 * overlayfs ones. Opaque markers are handled deepest first, so moving a
 * directory aside carries already-opaque subdirectories with it.
 */
export function unpackLayerScript(blob: string, digestHex: string, gzip: boolean, dir: string): Script {
  const layer = `layer sha256:${digestHex}`;
  return script(
    sh`set -e`,
    sh`t=${`${dir}.tmp`}`,
    // A failed unpack (a layer bigger than the guest's free space, say) leaves nothing behind to fill it for later ones.
    sh`trap 'rm -rf "$t"' EXIT`,
    MAKE_OPAQUE,
    sh`[ "$(sha256sum ${blob} | cut -d' ' -f1)" = ${digestHex} ] || { echo ${`${layer}: digest mismatch in the guest`} >&2; exit 1; }`,
    sh`rm -rf "$t" && mkdir -p "$t"`,
    sh`${gzip ? sh`tar -xzf` : sh`tar -xf`} ${blob} -C "$t"`,
    sh`[ ! -e "$t"/${OPAQUE} ] || { echo ${`${layer}: an opaque marker at the layer's root is not supported`} >&2; exit 1; }`,
    sh`find "$t" -name '.wh.*' ! -name ${OPAQUE} | while read -r w; do rm "$w"; mknod "\${w%/*}/\${w##*/.wh.}" c 0 0; done`,
    sh`find "$t" -name ${OPAQUE} | sort -r | while read -r m; do rm "$m"; gb_make_opaque "\${m%/*}"; done`,
    sh`mv "$t" ${dir}`,
  );
}

/**
 * Prints the change in an overlay upper dir as a gzip'd layer tar in base64,
 * and the uncompressed tar's sha256 on stderr. Whiteouts become .wh.NAME
 * files. An opaque directory is found by mounting the upper dir over a probe
 * layer with a file in every directory: overlayfs hides the probe file below
 * exactly the opaque ones. Only the outermost of nested opaque directories
 * gets a marker, since it already hides everything below.
 */
export function diffScript(upper: string, work: string): Script {
  return script(
    sh`set -e`,
    sh`u=${upper} s=${`${work}/layer-stage`} p=${`${work}/opaque-probe`}`,
    sh`rm -rf "$s" "$p" && cp -a "$u" "$s" && mkdir -p "$p/lower" "$p/mnt" && : > "$p/opaque"`,
    sh`(cd "$u" && find . -mindepth 1 -type d) > "$p/dirs"`,
    sh`while read -r d; do mkdir -p "$p/lower/$d" && : > "$p/lower/$d/.gb-probe"; done < "$p/dirs"`,
    sh`mount -t overlay gb-probe -o "ro,lowerdir=$u:$p/lower" "$p/mnt"`,
    sh`while read -r d; do`,
    sh`  [ -e "$p/mnt/$d/.gb-probe" ] && continue`,
    sh`  inside=`,
    sh`  while read -r o; do case "$d/" in "$o"/*) inside=1;; esac; done < "$p/opaque"`,
    sh`  [ -n "$inside" ] || { echo "$d" >> "$p/opaque"; : > "$s/$d/"${OPAQUE}; }`,
    sh`done < "$p/dirs"`,
    sh`umount "$p/mnt" && rm -rf "$p"`,
    sh`find "$s" -type c | while read -r f; do rm "$f"; : > "\${f%/*}/.wh.\${f##*/}"; done`,
    packScript(work),
  );
}

/** Packs the staged directory $s as a layer: the gzip'd tar in base64 on stdout, the tar's sha256 on stderr; removes the stage. */
function packScript(work: string): Script {
  return script(
    sh`w=${work}`,
    sh`cd "$s" && tar -cf "$w/layer.tar" . && cd / && rm -rf "$s"`,
    sh`sha256sum "$w/layer.tar" | cut -d' ' -f1 >&2`,
    sh`gzip -n -c "$w/layer.tar" | base64`,
    sh`rm "$w/layer.tar"`,
  );
}

/** One COPY --from source: an absolute path in the stage and where it goes in the new layer. */
export interface StageCopy {
  source: string;
  dest: string;
  /** The destination is a directory the source goes into (dest ends in "/", or several sources). */
  intoDir: boolean;
}

/**
 * gb_inside ROOT PATH [all] prints ROOT followed by PATH with every symbolic
 * link on the way resolved inside ROOT (an absolute target starts again at
 * ROOT, ".." stops at it), as if ROOT were "/": an image's link "x -> /" then
 * names the image's own root, never the guest's. The last component is left
 * as it is (cp -a copies a link as a link) unless "all" is given. Fails after
 * 40 links, as ELOOP.
 */
export const RESOLVE_INSIDE = code(
  [
    'gb_inside() {',
    '  r=$1; rest=${2#/}; d=; n=0',
    '  while [ -n "$rest" ]; do',
    '    c=${rest%%/*}; case $rest in */*) rest=${rest#*/};; *) rest=;; esac',
    "    case $c in ''|.) continue;; ..) d=${d%/*}; continue;; esac",
    '    if { [ -n "$rest" ] || [ -n "$3" ]; } && [ -L "$r$d/$c" ]; then',
    '      n=$((n+1)); [ $n -le 40 ] || return 1',
    '      t=$(readlink "$r$d/$c"); case $t in /*) d=;; esac',
    '      rest=${t#/}/$rest',
    '    else',
    '      d=$d/$c',
    '    fi',
    '  done',
    '  printf %s "$r$d"',
    '}',
  ].join('\n'),
);

/**
 * Packs files of another image (a build stage) as a layer, as COPY --from
 * does: the image's layers are mounted read-only in `work`, each source,
 * resolved inside that root (gb_inside), is copied with `cp -a` into a stage
 * directory at its destination (a directory's contents, not the directory
 * itself), and the stage is packed.
 */
export function copyLayerScript(layerDirs: string[], copies: StageCopy[], work: string): Script {
  // An empty bottom layer: overlayfs needs two lower dirs when it has no upper one.
  const lower = [...layerDirs].reverse().concat(`${work}/empty`).join(':');
  const from = code('"$from"');
  return script(
    sh`set -e`,
    sh`w=${work} root=${`${work}/root`} s=${`${work}/stage`}`,
    sh`trap 'umount "$root" 2>/dev/null; rm -rf "$w"' EXIT`,
    sh`rm -rf "$w" && mkdir -p "$w/empty" "$root" "$s"`,
    sh`mount -t overlay gb-copy -o ${`ro,lowerdir=${lower}`} "$root"`,
    RESOLVE_INSIDE,
    copies.flatMap((c) => {
      const to = sh`"$s"${c.dest}`;
      return [
        sh`from=$(gb_inside "$root" ${c.source}) || { echo ${`${c.source}: too many levels of symbolic links`} >&2; exit 3; }`,
        sh`[ -e ${from} ] || [ -L ${from} ] || { echo ${`${c.source} does not exist in that stage`} >&2; exit 3; }`,
        c.intoDir
          ? sh`mkdir -p ${to} && if [ -d ${from} ] && [ ! -L ${from} ]; then cp -a ${from}/. ${to}/; else cp -a ${from} ${to}/; fi`
          : sh`if [ -d ${from} ] && [ ! -L ${from} ]; then mkdir -p ${to} && cp -a ${from}/. ${to}/; else mkdir -p "$(dirname ${to})" && cp -a ${from} ${to}; fi`,
      ];
    }),
    packScript(work),
  );
}
