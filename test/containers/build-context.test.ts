// COPY from the build context on the host (no guest: a Dockerfile without
// RUN builds entirely on the host). The context's links must never lead the
// builder outside it, and its special files must never be read; the layers
// are checked with GNU tar, not glassbox's own tar code.

import { describe, it, expect, beforeEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { build } from '../../src/containers/builder/builder.ts';
import type { ContainerEngine } from '../../src/containers/engine/containers.ts';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `glassbox-${prefix}-`));
const SECRET = 'host-secret-7f3a9c';

describe('COPY from the build context', () => {
  let store: ImageStore;
  let home: string;
  let ctx: string;
  let outside: string;

  beforeEach(() => {
    home = tmp('ctx-home');
    store = ImageStore.open(home);
    ctx = tmp('ctx');
    // A host file and directory outside the context, as /etc/shadow would be.
    outside = tmp('outside');
    writeFileSync(join(outside, 'shadow'), SECRET);
    mkdirSync(join(outside, 'tree'));
    writeFileSync(join(outside, 'tree', 'key'), SECRET);
  });

  // FROM reads the store only; a build without RUN or COPY --from needs nothing else from the engine.
  const engine = () => ({ image: (ref: string) => store.image(ref) }) as unknown as ContainerEngine;
  const doBuild = (dockerfile: string) => build(engine(), store, join(home, 'build-cache.json'), { tag: 'ctx:1', context: ctx, dockerfile, progress: () => {} });
  /** GNU tar's listing of the image's top layer, and one member's contents. */
  const topLayer = () => {
    const m = store.manifestOf(store.resolve('ctx:1').manifest);
    const blob = join(store.root, 'blobs/sha256', m.layers[m.layers.length - 1]!.digest.slice(7));
    return {
      list: execFileSync('tar', ['-tvzf', blob], { encoding: 'utf8' }),
      cat: (member: string) => execFileSync('tar', ['-xzOf', blob, member], { encoding: 'utf8' }),
    };
  };

  it('refuses a named source that links outside the context: the link is resolved inside it', async () => {
    symlinkSync(join(outside, 'shadow'), join(ctx, 'shadow'));
    await expect(doBuild('FROM busybox\nCOPY shadow /s\n')).rejects.toThrow(/^Dockerfile line 2: COPY source shadow does not exist in the build context$/);
    symlinkSync('/', join(ctx, 'root'));
    await expect(doBuild(`FROM busybox\nCOPY root${outside}/tree/key /k\n`)).rejects.toThrow(/does not exist in the build context/);
    expect(store.list().map((i) => i.name)).toEqual(['busybox:latest']);
  });

  it('copies links inside a copied directory as links, reading nothing outside', async () => {
    mkdirSync(join(ctx, 'app'));
    writeFileSync(join(ctx, 'app', 'own'), 'mine');
    symlinkSync(join(outside, 'shadow'), join(ctx, 'app', 'shadow'));
    symlinkSync(join(outside, 'tree'), join(ctx, 'app', 'tree'));
    symlinkSync('/', join(ctx, 'app', 'all'));
    await doBuild('FROM busybox\nCOPY app /app\n');
    const layer = topLayer();
    expect(layer.list).toMatch(new RegExp(`^l\\S+ \\S+ +0 .* app/shadow -> ${outside}/shadow$`, 'm'));
    expect(layer.list).toMatch(new RegExp(`^l\\S+ \\S+ +0 .* app/tree -> ${outside}/tree$`, 'm'));
    expect(layer.list).toMatch(/^l\S+ \S+ +0 .* app\/all -> \/$/m);
    expect(layer.list).not.toMatch(/app\/tree\/key/);
    expect(layer.cat('app/own')).toBe('mine');
    expect(execFileSync('sh', ['-c', `gzip -dc '${join(store.root, 'blobs/sha256')}'/* 2>/dev/null | grep -c ${SECRET} || true`], { encoding: 'utf8' }).trim()).toBe('0');
  });

  it('follows a link inside the context, relative or absolute (the context as its root), as Docker does', async () => {
    mkdirSync(join(ctx, 'etc'));
    writeFileSync(join(ctx, 'etc', 'conf'), 'inside');
    symlinkSync('etc/conf', join(ctx, 'rel'));
    symlinkSync('/etc/conf', join(ctx, 'abs'));
    symlinkSync('/etc', join(ctx, 'dir'));
    await doBuild('FROM busybox\nCOPY rel abs /out/\nCOPY dir/conf /c\n');
    const m = store.manifestOf(store.resolve('ctx:1').manifest);
    const blob = (i: number) => join(store.root, 'blobs/sha256', m.layers[i]!.digest.slice(7));
    const n = m.layers.length;
    expect(execFileSync('tar', ['-xzOf', blob(n - 2), 'out/rel'], { encoding: 'utf8' })).toBe('inside');
    expect(execFileSync('tar', ['-xzOf', blob(n - 2), 'out/abs'], { encoding: 'utf8' })).toBe('inside');
    expect(execFileSync('tar', ['-xzOf', blob(n - 1), 'c'], { encoding: 'utf8' })).toBe('inside');
  });

  it('refuses a FIFO in the context by name instead of blocking on it', async () => {
    mkdirSync(join(ctx, 'app'));
    execFileSync('mkfifo', [join(ctx, 'app', 'pipe')]);
    await expect(doBuild('FROM busybox\nCOPY app /app\n')).rejects.toThrow(/^Dockerfile line 2: COPY source app\/pipe is not a regular file, directory or symbolic link/);
    await expect(doBuild('FROM busybox\nCOPY app/pipe /p\n')).rejects.toThrow(/COPY source app\/pipe is not a regular file/);
  }, 10_000);

  it('refuses a source that climbs out of the context by name', async () => {
    await expect(doBuild('FROM busybox\nCOPY ../x /x\n')).rejects.toThrow(/^Dockerfile line 2: COPY source \.\.\/x is outside the build context$/);
  });
});
