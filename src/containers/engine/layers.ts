// Image layers in the guest: each layer is unpacked once into a read-only
// directory named by its diff_id, found either in the guest's own copy of an
// image (the base image ships in the initramfs) or copied from the host store
// through the agent in stdin-sized chunks (read from the image source only then). The guest checks every blob's
// sha256 before unpacking it.

import { digestHex } from '../store/digest.ts';
import type { Descriptor } from '../store/oci.ts';
import { MEDIA_LAYER_GZIP } from '../store/oci.ts';
import { shq, writeGuestFile, type GuestShell } from './guest-shell.ts';
import type { ImageSource } from './image-source.ts';

export const LAYER_ROOT = '/var/lib/glassbox/layers';
const INCOMING = '/var/lib/glassbox/incoming';
/** Where the guest image keeps OCI layouts of its own. */
const GUEST_IMAGES = '/usr/share/glassbox/images';

export class GuestLayerError extends Error {
  override name = 'GuestLayerError';
}

async function must(shell: GuestShell, command: string, what: string): Promise<string> {
  const r = await shell.run(command);
  if (r.exitCode !== 0) throw new GuestLayerError(`${what}: exit ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Puts one layer blob into the guest (unless a guest image already has it) and returns its path there. */
async function blobInGuest(shell: GuestShell, store: ImageSource, layer: Descriptor): Promise<string> {
  const hex = digestHex(layer.digest);
  const local = (await shell.run(`ls ${GUEST_IMAGES}/*/blobs/sha256/${hex} 2>/dev/null | head -n 1`)).stdout.trim();
  if (local) return local;
  const data = await store.blob(layer.digest);
  const part = `${INCOMING}/${hex}`;
  await must(shell, `mkdir -p ${INCOMING}`, `copying ${layer.digest}`);
  await writeGuestFile(shell, part, data);
  return part;
}

/**
 * Unpacks layers (blobs in the host store, with their diff_ids) in the guest;
 * returns their directories, lowest layer first. OCI whiteout files
 * (.wh.NAME) become overlayfs whiteouts (a 0/0 character device NAME), so a
 * deletion in an upper layer hides the file in the layers below.
 */
export async function ensureLayers(shell: GuestShell, store: ImageSource, layers: Descriptor[], diffIds: string[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const dir = `${LAYER_ROOT}/${digestHex(diffIds[i]!)}`;
    dirs.push(dir);
    if ((await shell.run(`test -d ${dir}`)).exitCode === 0) continue;
    const blob = await blobInGuest(shell, store, layer);
    const z = layer.mediaType === MEDIA_LAYER_GZIP ? 'z' : '';
    await must(shell, [
      'set -e',
      `[ "$(sha256sum ${shq(blob)} | cut -d' ' -f1)" = ${digestHex(layer.digest)} ] || { echo "layer ${layer.digest}: digest mismatch in the guest" >&2; exit 1; }`,
      `rm -rf ${dir}.tmp && mkdir -p ${dir}.tmp`,
      `tar -x${z}f ${shq(blob)} -C ${dir}.tmp`,
      `find ${dir}.tmp -name '.wh.*' ! -name '.wh..wh..opq' | while read -r w; do rm "$w"; mknod "\${w%/*}/\${w##*/.wh.}" c 0 0; done`,
      `mv ${dir}.tmp ${dir}`,
      `case ${shq(blob)} in ${INCOMING}/*) rm -f ${shq(blob)};; esac`,
    ].join('\n'), `unpacking layer ${layer.digest}`);
  }
  return dirs;
}
