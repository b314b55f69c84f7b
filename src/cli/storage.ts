// The storage commands: run's -v and --device-read-bps/--device-write-bps,
// and `volume create|ls|inspect|rm`. The engine does the work
// (src/containers/engine/volumes.ts); this parses and prints as Docker does.

import { Command, InvalidArgumentError } from 'commander';
import type { EngineRequest } from '../daemon/protocol.ts';
import { resolve } from 'node:path';
import type { VolumeInfo, VolumeMount } from '../containers/engine/volumes.ts';
import type { BindMount } from '../containers/engine/binds.ts';
import { VOLUME_NAME } from '../containers/engine/volumes.ts';
import { table } from './table.ts';

type Call = <T>(req: EngineRequest) => Promise<T | undefined>;

/** The engine's one disk, the device the I/O limits name. */
export const ENGINE_DEVICE = '/dev/vda';

/**
 * Docker's -v NAME:/path[:ro|rw] (a named volume) or -v /host/dir:/path[:ro|rw]
 * (a bind mount: a source with a "/" or starting with "."; relative to this
 * directory, made absolute here since the engine runs elsewhere).
 */
export function parseVolume(spec: string): VolumeMount | BindMount {
  const parts = spec.split(':');
  const [source = '', destination = '', mode] = parts;
  if (parts.length < 2 || parts.length > 3 || !destination) throw new InvalidArgumentError(`-v ${spec}: give NAME:/PATH[:ro] or /HOST/DIR:/PATH[:ro], e.g. data:/data`);
  if (!destination.startsWith('/')) throw new InvalidArgumentError(`-v ${spec}: the mount point "${destination}" is not an absolute path`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new InvalidArgumentError(`-v ${spec}: the mode is ro or rw, not "${mode}"`);
  const ro = mode === 'ro' ? { readOnly: true } : {};
  if (source.includes('/') || source.startsWith('.')) return { source: resolve(source), destination, ...ro };
  if (!VOLUME_NAME.test(source))
    throw new InvalidArgumentError(`-v ${spec}: "${source}" is not a volume name (2 to 128 letters, digits, "_", "." and "-", starting with a letter or digit)`);
  return { name: source, destination, ...ro };
}

export function collectVolume(v: string, prev: (VolumeMount | BindMount)[]): (VolumeMount | BindMount)[] {
  return [...prev, parseVolume(v)];
}

/** A run's -v list as the engine takes it: named volumes and bind mounts apart. */
export function splitVolumes(list: (VolumeMount | BindMount)[]): { volumes?: VolumeMount[]; binds?: BindMount[] } {
  const volumes = list.filter((v): v is VolumeMount => 'name' in v);
  const binds = list.filter((v): v is BindMount => 'source' in v);
  return { ...(volumes.length ? { volumes } : {}), ...(binds.length ? { binds } : {}) };
}

const RATE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker's --device-*-bps [DEVICE:]RATE, e.g. /dev/vda:1mb (binary units, as Docker's); the device, if given, is the engine's disk. */
export function parseDeviceRate(spec: string): number {
  const i = spec.lastIndexOf(':');
  const device = i < 0 ? ENGINE_DEVICE : spec.slice(0, i);
  if (device !== ENGINE_DEVICE) throw new InvalidArgumentError(`${spec}: the engine's containers have one disk, ${ENGINE_DEVICE}, not ${device}`);
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(spec.slice(i + 1));
  if (!m || Number(m[1]) === 0) throw new InvalidArgumentError(`${spec}: give a rate such as 1mb, 512kb or ${ENGINE_DEVICE}:1mb`);
  return Number(m[1]) * RATE_UNITS[m[2]!.toLowerCase()]!;
}

export function defineVolumeCommands(program: Command, call: Call): void {
  const volume = new Command('volume').description("named volumes: directories on the engine's disk that outlast containers (-v NAME:/path)");
  volume
    .command('create')
    .argument('[name]')
    .description('create a volume (a random name if none)')
    .action(async (name?: string) => {
      const v = await call<VolumeInfo>({ op: 'volume-create', ...(name === undefined ? {} : { name }) });
      if (v) process.stdout.write(`${v.Name}\n`);
    });
  volume
    .command('ls')
    .alias('list')
    .option('-q, --quiet', 'only the names')
    .description('list volumes')
    .action(async (o: { quiet?: boolean }) => {
      const list = await call<VolumeInfo[]>({ op: 'volume-ls' });
      if (!list) return;
      if (o.quiet) process.stdout.write(list.map((v) => `${v.Name}\n`).join(''));
      else process.stdout.write(table([['DRIVER', 'VOLUME NAME'], ...list.map((v) => [v.Driver, v.Name])]));
    });
  volume
    .command('inspect')
    .argument('<name...>')
    .description('show volumes as JSON')
    .action(async (names: string[]) => {
      const found: VolumeInfo[] = [];
      for (const name of names) {
        const v = await call<VolumeInfo>({ op: 'volume-inspect', name });
        if (v) found.push(v);
      }
      process.stdout.write(JSON.stringify(found, null, 4) + '\n');
    });
  volume
    .command('rm')
    .alias('remove')
    .argument('<name...>')
    .description('remove volumes no container uses')
    .action(async (names: string[]) => {
      for (const name of names) if ((await call({ op: 'volume-rm', name })) !== undefined) process.stdout.write(`${name}\n`);
    });
  program.addCommand(volume);
}
