// Image layers in the guest: each layer is unpacked once into a read-only
// directory named by its diff_id, found either in the guest's own copy of an
// image (the base image ships in the initramfs) or copied from the host store
// through the agent in stdin-sized chunks (read from the image source only then), or fetched by the guest over
// its network card when the engine offers blobs there (a courier: many times faster than the agent's serial
// line). The guest checks every blob's sha256 before unpacking it.

import { digestHex } from '../store/digest.ts';
import type { Descriptor } from '../store/oci.ts';
import { isGzipLayer } from '../store/oci.ts';
import { writeGuestFile, type GuestShell } from './guest-shell.ts';
import { sh, type Script } from '../../api/shell-script.ts';
import type { ImageSource } from './image-source.ts';
import { unpackLayerScript } from './layer-scripts.ts';

export const LAYER_ROOT = '/var/lib/glassbox/layers';
const INCOMING = '/var/lib/glassbox/incoming';
/** Where the guest image keeps OCI layouts of its own. */
const GUEST_IMAGES = '/usr/share/glassbox/images';

export class GuestLayerError extends Error {
  override name = 'GuestLayerError';
}

async function must(shell: GuestShell, command: Script, what: string): Promise<string> {
  const r = await shell.run(command);
  if (r.exitCode !== 0) throw new GuestLayerError(`${what}: exit ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Hands blobs to the guest at a URL it can fetch, for as long as the hand-over lasts. */
export interface BlobCourier {
  offer(data: Uint8Array): { url: string; withdraw(): void };
}

/** The guest fetches `data` from the courier into `path`; false (and no file) when that fails, so the caller can take the agent's way. */
async function fetchedByGuest(shell: GuestShell, courier: BlobCourier, path: string, data: Uint8Array): Promise<boolean> {
  const { url, withdraw } = courier.offer(data);
  try {
    const r = await shell.run(sh`wget -q -O ${path} ${url} || { rm -f ${path}; exit 1; }`, { long: true });
    return r.exitCode === 0;
  } finally {
    withdraw();
  }
}

/** Puts one layer blob into the guest (unless a guest image already has it) and returns its path there. */
async function blobInGuest(shell: GuestShell, store: ImageSource, layer: Descriptor, courier?: BlobCourier): Promise<string> {
  const hex = digestHex(layer.digest);
  const local = (await shell.run(sh`ls ${GUEST_IMAGES}/*/blobs/sha256/${hex} 2>/dev/null | head -n 1`)).stdout.trim();
  if (local) return local;
  const data = await store.blob(layer.digest);
  const part = `${INCOMING}/${hex}`;
  await must(shell, sh`mkdir -p ${INCOMING}`, `copying ${layer.digest}`);
  if (courier && (await fetchedByGuest(shell, courier, part, data))) return part;
  try {
    await writeGuestFile(shell, part, data);
  } catch (e) {
    await shell.run(sh`rm -f ${part}`);
    throw e;
  }
  return part;
}

/**
 * Unpacks layers (blobs in the image source, with their diff_ids) in the
 * guest, each once even when calls overlap: `unpacking` holds the layers
 * being unpacked, so a second caller waits for the first instead of racing it
 * on the same directory. Returns their directories, lowest layer first.
 */
export async function ensureLayers(
  shell: GuestShell,
  store: ImageSource,
  layers: Descriptor[],
  diffIds: string[],
  unpacking: Map<string, Promise<void>>,
  courier?: BlobCourier,
): Promise<string[]> {
  const dirs = layers.map((_, i) => `${LAYER_ROOT}/${digestHex(diffIds[i]!)}`);
  for (const [i, layer] of layers.entries()) {
    const dir = dirs[i]!;
    let done = unpacking.get(dir);
    if (!done) {
      done = unpackOnce(shell, store, layer, dir, courier);
      unpacking.set(dir, done);
      // A failed unpack may be retried by a later call.
      done.catch(() => unpacking.delete(dir));
    }
    await done;
  }
  return dirs;
}

async function unpackOnce(shell: GuestShell, store: ImageSource, layer: Descriptor, dir: string, courier?: BlobCourier): Promise<void> {
  if ((await shell.run(sh`test -d ${dir}`)).exitCode === 0) return;
  const blob = await blobInGuest(shell, store, layer, courier);
  try {
    await must(shell, unpackLayerScript(blob, digestHex(layer.digest), isGzipLayer(layer.mediaType), dir), `unpacking layer ${layer.digest}`);
  } finally {
    // The copy from the host goes whether the unpack worked or not.
    await shell.run(sh`case ${blob} in ${INCOMING}/*) rm -f ${blob};; esac`);
  }
}
