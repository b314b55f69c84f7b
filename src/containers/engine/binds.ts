// Bind mounts of host directories (-v /host/dir:/path[:ro]). The engine's
// guest has one virtio-9p device (tag BIND_TAG) whose server exports
// nothing until a run or start asks: then each bind source is exported
// under a name of its own, and the container's bundle bind-mounts it from
// the guest's one mount of the share (BIND_ROOT, the list of exports:
// storage/ninep/server.ts). One device rather than one per source, because
// the guest's devices are fixed when the engine's guest starts (it resumes
// from a snapshot with them) while binds come with each run, and Linux
// mounts a virtio-9p device only once; each export is still confined to its
// own directory and read-only on the host side when asked
// (storage/ninep/host-tree.ts), whatever the guest does. This file is what
// the guest side needs, in the browser too; the host side is host-binds.ts.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { script, sh, type Script } from '../../api/shell-script.ts';

/** The mount tag of the engine's share. */
export const BIND_TAG = 'glassbox-binds';
const BIND_ROOT = '/run/glassbox/host';

/** -v /host/dir:/path[:ro] of a run: `source` is an absolute host path. */
export interface BindMount {
  source: string;
  destination: string;
  readOnly?: boolean;
}

/** The export's name: the same for the same source and mode across engines, and free of the commas a mount option cannot hold. */
export function bindName(b: BindMount): string {
  return `b${bytesToHex(sha256(new TextEncoder().encode(`${b.readOnly ? 'ro' : 'rw'}:${b.source}`))).slice(0, 24)}`;
}

export const bindDir = (b: BindMount) => `${BIND_ROOT}/${bindName(b)}`;

/** Mounts the share in the guest unless it is (the guest's busybox has no mountpoint(1): /proc/mounts says), and checks each bind's export is in it. */
export function mountBindsScript(binds: readonly BindMount[]): Script {
  return script(
    sh`mkdir -p ${BIND_ROOT} && { grep -q ${` ${BIND_ROOT} 9p `} /proc/mounts || mount -t 9p -o trans=virtio,version=9p2000.L ${BIND_TAG} ${BIND_ROOT}; } || exit 1`,
    binds.map((b) => sh`[ -d ${bindDir(b)} ] || { echo ${`${b.source} is not in the guest's share`} >&2; exit 1; }`),
  );
}

/** The OCI bind mounts of a run's binds. */
export function bindMounts(binds: readonly BindMount[]): object[] {
  return binds.map((b) => ({ destination: b.destination, type: 'bind', source: bindDir(b), options: ['rbind', 'nosuid', 'nodev', b.readOnly ? 'ro' : 'rw'] }));
}
