// glassbox build: each RUN runs in a container whose filesystem change
// becomes a layer; COPY and WORKDIR make layers on the host; ENV, ENTRYPOINT
// and CMD change the config. A step cache, keyed on the parent's key and the
// instruction (and, for COPY, the content's digest), skips unchanged steps.
// Layer blobs enter the store as they are made, but the image is named only
// when every step has worked, so a failed build leaves no image behind.

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntry } from '../store/archive.ts';
import { sha256 } from '../store/sha256.ts';
import { MEDIA_CONFIG, MEDIA_LAYER_GZIP, MEDIA_MANIFEST, type Descriptor, type ImageConfig } from '../store/oci.ts';
import { normalizeName } from '../store/refs.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { ContainerEngine, RunnableImage } from '../engine/containers.ts';
import { DockerfileError, parseDockerfile, type Instruction } from './dockerfile.ts';

interface CachedLayer {
  layer: Descriptor;
  diffId: string;
}

export interface BuildResult {
  name: string;
  manifest: Descriptor;
  id: string;
}

/** The step cache, one JSON file in the glassbox home. */
class StepCache {
  private entries: Record<string, CachedLayer>;
  constructor(private readonly path: string, private readonly store: ImageStore) {
    this.entries = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, CachedLayer>) : {};
  }
  /** A cached layer whose blob is still in the store (rmi may have collected it). */
  get(key: string): CachedLayer | undefined {
    const e = this.entries[key];
    if (!e) return undefined;
    try {
      this.store.blob(e.layer.digest);
      return e;
    } catch {
      return undefined;
    }
  }
  set(key: string, value: CachedLayer): void {
    this.entries[key] = value;
    writeFileSync(this.path, JSON.stringify(this.entries));
  }
}

/** Files under a context path, as tar entries placed under `dest` in the image. */
function copyEntries(context: string, source: string, dest: string, line: number): TarEntry[] {
  const from = resolve(context, source);
  if (relative(context, from).startsWith('..')) throw new DockerfileError(line, `COPY source ${source} is outside the build context`);
  if (!existsSync(from)) throw new DockerfileError(line, `COPY source ${source} does not exist in the build context`);
  const strip = (p: string) => p.replace(/^\/+/, '');
  if (!statSync(from).isDirectory()) {
    const target = dest.endsWith('/') ? posix.join(dest, posix.basename(source)) : dest;
    return [[strip(target), readFileSync(from), statSync(from).mode & 0o777]];
  }
  const out: TarEntry[] = [[strip(dest), undefined]];
  for (const name of readdirSync(from).sort()) out.push(...copyEntries(context, join(source, name), posix.join(dest, name), line));
  return out;
}

function mergeEnv(env: string[], vars: [string, string][]): string[] {
  const byName = new Map(env.map((e) => [e.split('=')[0]!, e] as [string, string]));
  for (const [k, v] of vars) byName.set(k, `${k}=${v}`);
  return [...byName.values()];
}

export async function build(
  engine: ContainerEngine, store: ImageStore, cachePath: string,
  opts: { tag: string; context: string; dockerfile: string; progress: (line: string) => void },
): Promise<BuildResult> {
  const name = normalizeName(opts.tag);
  const steps = parseDockerfile(opts.dockerfile);
  const cache = new StepCache(cachePath, store);
  const from = steps[0] as Extract<Instruction, { op: 'FROM' }>;
  let image: RunnableImage;
  try {
    image = await engine.image(from.image);
  } catch (e) {
    throw new DockerfileError(from.line, (e as Error).message);
  }
  let key = image.id;
  const config: ImageConfig = JSON.parse(JSON.stringify(image.config)) as ImageConfig;
  config.config ??= {};
  config.history ??= [];
  const layers = [...image.layers];
  const diffIds = [...image.diffIds];

  const addLayer = (made: CachedLayer, text: string) => {
    layers.push(made.layer);
    diffIds.push(made.diffId);
    config.history!.push({ created_by: text });
  };
  const hostLayer = async (entries: TarEntry[]): Promise<CachedLayer> => {
    const tar = await writeTar(entries);
    const blob = gzipSync(tar);
    const layer = { mediaType: MEDIA_LAYER_GZIP, digest: sha256(blob), size: blob.length };
    store.add({ blobs: new Map([[layer.digest, blob]]), images: [] });
    return { layer, diffId: sha256(tar) };
  };

  for (const [i, step] of steps.entries()) {
    opts.progress(`Step ${i + 1}/${steps.length} : ${step.text}`);
    if (step.op === 'FROM') {
      opts.progress(` ---> ${image.id.slice(7, 19)}`);
      continue;
    }
    const c = config.config;
    if (step.op === 'ENV' || step.op === 'ENTRYPOINT' || step.op === 'CMD') {
      if (step.op === 'ENV') c.Env = mergeEnv(c.Env ?? [], step.vars);
      else c[step.op === 'CMD' ? 'Cmd' : 'Entrypoint'] = step.args;
      config.history.push({ created_by: step.text, empty_layer: true });
      key = sha256(Buffer.from(`${key}\n${step.text}`));
      continue;
    }
    let entries: TarEntry[] | undefined;
    if (step.op === 'WORKDIR') {
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', step.dir);
      entries = [[c.WorkingDir.replace(/^\/+/, ''), undefined]];
    } else if (step.op === 'COPY') {
      const dest = posix.resolve(c.WorkingDir || '/', step.dest) + (step.dest.endsWith('/') || step.sources.length > 1 ? '/' : '');
      entries = step.sources.flatMap((s) => copyEntries(opts.context, s, dest, step.line));
    }
    const content = entries ? sha256(await writeTar(entries)) : '';
    key = sha256(Buffer.from(`${key}\n${step.text}\n${content}`));
    const cached = cache.get(key);
    if (cached) {
      opts.progress(' ---> Using cache');
      addLayer(cached, step.text);
      continue;
    }
    let made: CachedLayer;
    if (entries) {
      made = await hostLayer(entries);
    } else {
      // RUN: the command as given, without the image's Entrypoint.
      const runConfig = { ...config, config: { ...c, Entrypoint: null } };
      const r = await engine.run({ name, id: key, layers, diffIds, config: runConfig }, { cmd: (step as Extract<Instruction, { op: 'RUN' }>).args });
      for (const l of (r.stdout + r.stderr).split('\n').filter(Boolean)) opts.progress(`     ${l}`);
      try {
        if (r.exitCode !== 0) throw new DockerfileError(step.line, `RUN exited with status ${r.exitCode}`);
        const { blob, diffId } = await engine.diff(r.id);
        const layer = { mediaType: MEDIA_LAYER_GZIP, digest: sha256(blob), size: blob.length };
        store.add({ blobs: new Map([[layer.digest, blob]]), images: [] });
        made = { layer, diffId };
      } finally {
        await engine.rm(r.id);
      }
    }
    cache.set(key, made);
    addLayer(made, step.text);
    opts.progress(` ---> ${made.layer.digest.slice(7, 19)}`);
  }

  config.rootfs = { type: 'layers', diff_ids: diffIds };
  const configJson = Buffer.from(JSON.stringify(config));
  const configDesc = { mediaType: MEDIA_CONFIG, digest: sha256(configJson), size: configJson.length };
  const manifestJson = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config: configDesc, layers }));
  const manifest = { mediaType: MEDIA_MANIFEST, digest: sha256(manifestJson), size: manifestJson.length };
  store.add({ blobs: new Map([[configDesc.digest, configJson], [manifest.digest, manifestJson]]), images: [{ name, manifest }] });
  opts.progress(`Successfully built ${configDesc.digest.slice(7, 19)}\nSuccessfully tagged ${name}`);
  return { name, manifest, id: configDesc.digest };
}
