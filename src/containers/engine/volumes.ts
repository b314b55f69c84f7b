// Named volumes (Docker's `local` driver): a directory each on the engine's
// disk, VOLUME_ROOT/NAME/_data, bind-mounted into the containers that name
// it with -v NAME:/path[:ro]. The guest's disk is the truth: a volume is
// there while its directory is, so volumes outlast containers and engines
// with no record on the host. (On an engine without a disk, the directory is
// in the guest's RAM and lasts as long as the guest.)

import { ContainerError } from './container-error.ts';
import { ENGINE_DISK_MOUNT } from './guest-scripts.ts';
import { script, sh, type Script } from '../../api/shell-script.ts';
import { RESOLVE_INSIDE } from './layer-scripts.ts';

const VOLUME_ROOT = `${ENGINE_DISK_MOUNT}/volumes`;
/** Docker's rule for volume names. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/;

/** A volume as `docker volume inspect` shows it. */
export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Scope: 'local';
}

/** -v NAME:/path[:ro] of a run. */
export interface VolumeMount {
  name: string;
  destination: string;
  readOnly?: boolean;
}

export const volumeData = (name: string) => `${VOLUME_ROOT}/${name}/_data`;

export function checkVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) throw new ContainerError(`"${name}" is not a volume name: 2 to 128 letters, digits, "_", "." and "-", starting with a letter or digit`);
}

/** Makes the volume unless it is there (Docker's create of an existing name is no error); `created` is kept for inspect. */
export function createVolumeScript(name: string, created: string): Script {
  const dir = `${VOLUME_ROOT}/${name}`;
  return sh`mkdir -p ${VOLUME_ROOT} && chmod 700 ${VOLUME_ROOT} && { [ -d ${dir}/_data ] || { mkdir -p ${dir}/_data && echo ${created} > ${dir}/created; }; }`;
}

/**
 * Docker's copy of the image's content into an empty volume: when the
 * volume has nothing in it and the container's root (`root`, its overlay)
 * has a directory at the mount path, the directory's contents go into the
 * volume with owners, modes and links as they are. The path is resolved
 * inside the root (gb_inside), so an image's link there never copies the
 * guest's own files.
 */
export function prefillVolumeScript(root: string, v: VolumeMount): Script {
  const data = volumeData(v.name);
  return script(RESOLVE_INSIDE, sh`s=$(gb_inside ${root} ${v.destination} all) || exit 0`, sh`[ -d "$s" ] && [ -z "$(ls -A ${data})" ] || exit 0`, sh`cp -a "$s/." ${data}/`);
}

/** One "NAME CREATED" line per volume. */
export function listVolumesScript(): Script {
  return sh`for d in ${VOLUME_ROOT}/*; do [ -d "$d/_data" ] && echo "\${d##*/} $(cat "$d/created" 2>/dev/null)"; done; true`;
}

export function removeVolumeScript(name: string): Script {
  return sh`rm -rf ${`${VOLUME_ROOT}/${name}`}`;
}

export function parseVolumeList(out: string): VolumeInfo[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, created = ''] = line.split(' ');
      return { Name: name!, Driver: 'local', Mountpoint: volumeData(name!), CreatedAt: created, Scope: 'local' };
    });
}

/** The OCI bind mounts of a run's volumes. */
export function volumeMounts(volumes: VolumeMount[]): object[] {
  return volumes.map((v) => ({ destination: v.destination, type: 'bind', source: volumeData(v.name), options: ['rbind', 'nosuid', 'nodev', v.readOnly ? 'ro' : 'rw'] }));
}
