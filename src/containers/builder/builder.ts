// glassbox build: each RUN runs in a container whose filesystem change
// becomes a layer; COPY and WORKDIR make layers on the host, COPY --from in
// the guest from an earlier stage's (or an image's) layers; ENV, ENTRYPOINT
// CMD and USER change the config (later RUN steps run as that USER, as in
// Docker). Only the last stage becomes the image. A step cache, keyed on the parent's key and the
// instruction (and, for COPY, the content's digest), skips unchanged steps.
// Layer blobs enter the store as they are made, but the image is named only
// when every step has worked, so a failed build leaves no image behind.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntry } from '../store/archive.ts';
import { sha256 } from '../store/sha256.ts';
import { MEDIA_CONFIG, MEDIA_LAYER_GZIP, MEDIA_MANIFEST, type Descriptor, type ImageConfig } from '../store/oci.ts';
import { normalizeName } from '../store/refs.ts';
import type { ImageStore, StoreLease } from '../store/image-store.ts';
import { withLock } from '../pid-lock.ts';
import type { ContainerEngine, RunnableImage } from '../engine/containers.ts';
import { DockerfileError, parseDockerfile, type Instruction } from './dockerfile.ts';
import { contextEntries } from './context.ts';

interface CachedLayer {
  layer: Descriptor;
  diffId: string;
}

export interface BuildOptions {
  tag: string;
  context: string;
  dockerfile: string;
  progress: (line: string) => void;
  /** Aborted when whoever asked for the build has gone away: it stops before its next step. */
  signal?: AbortSignal;
}

export interface BuildResult {
  name: string;
  manifest: Descriptor;
  id: string;
}

/** The step cache, one JSON file in the glassbox home; a damaged one is treated as empty (and replaced), never fatal. */
class StepCache {
  private entries: Record<string, CachedLayer>;
  constructor(private readonly path: string) {
    this.entries = this.read();
  }

  private read(): Record<string, CachedLayer> {
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, CachedLayer>) : {};
    } catch {
      return {};
    }
  }

  /** A cached layer whose blob is still in the store, held for this build by `lease` (rmi may have collected it). */
  get(key: string, lease: StoreLease): CachedLayer | undefined {
    const e = this.entries[key];
    if (typeof e?.layer?.digest !== 'string' || typeof e.diffId !== 'string') return undefined;
    try {
      lease.hold([e.layer.digest]);
      return e;
    } catch {
      return undefined;
    }
  }

  /** Merged into the file as it is now (builds running side by side keep each other's steps), replaced by rename. */
  set(key: string, value: CachedLayer): void {
    withLock(`${this.path}.lock`, 'the build cache', () => {
      this.entries = { ...this.read(), ...this.entries, [key]: value };
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.entries));
      renameSync(tmp, this.path);
    });
  }
}

function mergeEnv(env: string[], vars: [string, string][]): string[] {
  const byName = new Map(env.map((e) => [e.split('=')[0]!, e] as [string, string]));
  for (const [k, v] of vars) byName.set(k, `${k}=${v}`);
  return [...byName.values()];
}

/** A build stage: its cache key (the chain of its steps) and the image it is so far. */
interface Stage {
  name?: string;
  key: string;
  image: RunnableImage;
}

/** An image from the store for FROM or COPY --from, or the error on that line. */
async function storeImage(engine: ContainerEngine, ref: string, line: number): Promise<RunnableImage> {
  try {
    return await engine.image(ref);
  } catch (e) {
    throw new DockerfileError(line, (e as Error).message);
  }
}

/** An earlier stage by name or index, else an image in the store, as Docker resolves FROM and COPY --from. */
async function stageOrImage(engine: ContainerEngine, stages: Stage[], ref: string, line: number, lease: StoreLease): Promise<Stage> {
  const stage = stages.find((s) => s.name === ref.toLowerCase()) ?? (/^\d+$/.test(ref) ? stages[Number(ref)] : undefined);
  if (stage) return stage;
  const image = await storeImage(engine, ref, line);
  // Its layers stay in the store for this build even if the image is removed meanwhile.
  try {
    lease.hold(image.layers.map((l) => l.digest));
  } catch (e) {
    throw new DockerfileError(line, `${ref}: ${(e as Error).message}`);
  }
  return { key: image.id, image };
}

export async function build(engine: ContainerEngine, store: ImageStore, cachePath: string, opts: BuildOptions): Promise<BuildResult> {
  // Holds every blob this build uses (its base's, its cache hits', the layers it makes) until the image is named.
  const lease = store.lease();
  try {
    return await buildHolding(engine, store, cachePath, opts, lease);
  } finally {
    lease.release();
  }
}

async function buildHolding(engine: ContainerEngine, store: ImageStore, cachePath: string, opts: BuildOptions, lease: StoreLease): Promise<BuildResult> {
  const name = normalizeName(opts.tag);
  const steps = parseDockerfile(opts.dockerfile);
  const cache = new StepCache(cachePath);
  const stages: Stage[] = [];
  let key = '';
  let stageName: string | undefined;
  let config!: ImageConfig;
  let layers: Descriptor[] = [];
  let diffIds: string[] = [];
  const current = (): RunnableImage => ({ name, id: key, layers: [...layers], diffIds: [...diffIds], config: { ...config, rootfs: { type: 'layers', diff_ids: [...diffIds] } } });

  const addLayer = (made: CachedLayer, text: string) => {
    layers.push(made.layer);
    diffIds.push(made.diffId);
    config.history!.push({ created_by: text });
  };
  const storeLayer = (blob: Uint8Array, diffId: string): CachedLayer => {
    const layer = { mediaType: MEDIA_LAYER_GZIP, digest: sha256(blob), size: blob.length };
    store.add({ blobs: new Map([[layer.digest, blob]]), images: [] }, lease);
    return { layer, diffId };
  };

  for (const [i, step] of steps.entries()) {
    if (opts.signal?.aborted) throw new DockerfileError(step.line, 'the build was cancelled: its client went away');
    opts.progress(`Step ${i + 1}/${steps.length} : ${step.text}`);
    if (step.op === 'FROM') {
      if (i > 0) stages.push({ name: stageName, key, image: current() });
      stageName = step.stage;
      const base = await stageOrImage(engine, stages, step.image, step.line, lease);
      key = base.key;
      config = JSON.parse(JSON.stringify(base.image.config)) as ImageConfig;
      config.config ??= {};
      config.history ??= [];
      layers = [...base.image.layers];
      diffIds = [...base.image.diffIds];
      opts.progress(` ---> ${base.image.id.slice(7, 19)}`);
      continue;
    }
    const c = config.config!;
    if (step.op === 'ENV' || step.op === 'ENTRYPOINT' || step.op === 'CMD' || step.op === 'USER') {
      if (step.op === 'ENV') c.Env = mergeEnv(c.Env ?? [], step.vars);
      else if (step.op === 'USER') c.User = step.user;
      else c[step.op === 'CMD' ? 'Cmd' : 'Entrypoint'] = step.args;
      config.history!.push({ created_by: step.text, empty_layer: true });
      key = sha256(Buffer.from(`${key}\n${step.text}`));
      continue;
    }
    let entries: TarEntry[] | undefined;
    let source: Stage | undefined;
    if (step.op === 'WORKDIR') {
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', step.dir);
      entries = [[c.WorkingDir.replace(/^\/+/, ''), undefined]];
    } else if (step.op === 'COPY' && step.from !== undefined) {
      source = await stageOrImage(engine, stages, step.from, step.line, lease);
    } else if (step.op === 'COPY') {
      const dest = posix.resolve(c.WorkingDir || '/', step.dest) + (step.dest.endsWith('/') || step.sources.length > 1 ? '/' : '');
      entries = step.sources.flatMap((s) => contextEntries(opts.context, s, dest, step.line));
    }
    const content = entries ? sha256(await writeTar(entries)) : (source?.key ?? '');
    key = sha256(Buffer.from(`${key}\n${step.text}\n${content}`));
    const cached = cache.get(key, lease);
    if (cached) {
      opts.progress(' ---> Using cache');
      addLayer(cached, step.text);
      continue;
    }
    let made: CachedLayer;
    if (entries) {
      const tar = await writeTar(entries);
      made = storeLayer(gzipSync(tar), sha256(tar));
    } else if (step.op === 'COPY') {
      const dest = posix.resolve(c.WorkingDir || '/', step.dest);
      const intoDir = step.dest.endsWith('/') || step.sources.length > 1;
      try {
        const packed = await engine.copyFrom(
          source!.image,
          step.sources.map((s) => ({ source: posix.resolve('/', s), dest, intoDir })),
        );
        made = storeLayer(packed.blob, packed.diffId);
      } catch (e) {
        throw new DockerfileError(step.line, (e as Error).message);
      }
    } else {
      // RUN: the command as given, without the image's Entrypoint.
      const runConfig = { ...config, config: { ...c, Entrypoint: null } };
      const r = await engine.run({ ...current(), config: runConfig }, { cmd: (step as Extract<Instruction, { op: 'RUN' }>).args });
      for (const l of (r.stdout + r.stderr).split('\n').filter(Boolean)) opts.progress(`     ${l}`);
      try {
        if (r.exitCode !== 0) throw new DockerfileError(step.line, `RUN exited with status ${r.exitCode}`);
        const packed = await engine.diff(r.id);
        made = storeLayer(packed.blob, packed.diffId);
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
  store.add(
    {
      blobs: new Map([
        [configDesc.digest, configJson],
        [manifest.digest, manifestJson],
      ]),
      images: [{ name, manifest }],
    },
    lease,
  );
  opts.progress(`Successfully built ${configDesc.digest.slice(7, 19)}\nSuccessfully tagged ${name}`);
  return { name, manifest, id: configDesc.digest };
}
