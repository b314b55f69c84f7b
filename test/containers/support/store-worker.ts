// One side of a store race (store-races.test.ts): a process that loads,
// removes or builds images in a shared store over and over until its time
// is up, then prints what it did as JSON. Failures the race makes legitimate
// (an image removed before it could be used) are counted, anything else ends
// the worker with status 1.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageNotFoundError, ImageStore } from '../../../src/containers/store/image-store.ts';
import { DockerfileError } from '../../../src/containers/builder/dockerfile.ts';
import { build } from '../../../src/containers/builder/builder.ts';
import type { ContainerEngine } from '../../../src/containers/engine/containers.ts';

const [home, action, seconds, archivePath] = process.argv.slice(2) as [string, 'load' | 'rmi' | 'build', string, string];
const store = ImageStore.open(home);
const until = Date.now() + Number(seconds) * 1000;
const counts = { done: 0, refused: 0 };
const expected = (e: unknown) => e instanceof ImageNotFoundError || e instanceof DockerfileError;

// The base image's archive, saved before the race, to load again and again.
const archive = readFileSync(archivePath);
const engine = { image: (ref: string) => store.image(ref) } as unknown as ContainerEngine;
const context = mkdtempSync(join(tmpdir(), 'glassbox-race-ctx-'));

for (let i = 0; Date.now() < until; i++) {
  try {
    if (action === 'load') {
      await store.load(archive);
    } else if (action === 'rmi') {
      for (const img of store.list()) store.rmi(img.name ?? img.id);
    } else {
      writeFileSync(join(context, 'f'), `${process.pid} ${i}`);
      await build(engine, store, join(home, 'build-cache.json'), { tag: `built:${i % 3}`, context, dockerfile: 'FROM busybox\nCOPY f /f\n', progress: () => {} });
    }
    counts.done++;
  } catch (e) {
    if (!expected(e)) throw e;
    counts.refused++;
  }
}
process.stdout.write(JSON.stringify(counts));
