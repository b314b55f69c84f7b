// The store commands against careless input (issue 25): special files and
// directories where archives belong, decompression bombs, malformed
// manifests, a damaged build cache, temp files of a killed load. No guest:
// these commands work on the store alone. The CLI runs in child processes
// with a deadline, so a command that would read forever fails the test.

import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { build } from '../../src/containers/builder/builder.ts';
import type { ContainerEngine } from '../../src/containers/engine/containers.ts';

const BIN = fileURLToPath(new URL('../../bin/glassbox.mjs', import.meta.url));
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `glassbox-${prefix}-`));

function glassbox(home: string, args: string[], timeout = 60_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: { ...process.env, GLASSBOX_HOME: home } });
  return { status: r.status, stdout: r.stdout, stderr: r.signal ? `killed by ${r.signal} at the deadline` : r.stderr };
}

/** A `docker save` archive (made with GNU tar) of one config and layer, with `repoTags` as given. */
function dockerSave(dir: string, config: object, layer: string, repoTags: unknown): string {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: repoTags, Layers: [layer] }]));
  execFileSync('tar', ['-C', dir, '-cf', join(dir, 'out.tar'), 'config.json', 'manifest.json', layer]);
  return join(dir, 'out.tar');
}

describe('store commands against careless input', () => {
  it('load refuses /dev/zero, a FIFO and a directory at once, in one line each', () => {
    const home = tmp('sh-home');
    const dir = tmp('sh-dir');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const input of ['/dev/zero', join(dir, 'fifo'), dir]) {
      const r = glassbox(home, ['load', '-i', input], 20_000);
      expect(r.stderr).toBe(`glassbox: ${input} is not a regular file (give an archive made by glassbox save or docker save)\n`);
      expect(r.status).toBe(1);
    }
    const save = glassbox(home, ['save', '-o', dir, 'busybox']);
    expect(save.stderr).toBe(`glassbox: ${dir} is a directory; give the archive's file name\n`);
    expect(readdirSync(dir)).toEqual(['fifo']);
  });

  it('refuses a decompression bomb (a few MiB of gzip that expand to 600 MiB) by name, and the store is unchanged', () => {
    const home = tmp('sh-home');
    const dir = tmp('sh-bomb');
    // 600 MiB of zeros is a valid (empty) tar; its sha256 is the layer's diff_id, so only the size gives it away.
    const diffId = execFileSync('bash', ['-c', `head -c ${600 << 20} /dev/zero | tee >(gzip -1 > '${join(dir, 'layer.tar.gz')}') | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    const archive = dockerSave(dir, { architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }, 'layer.tar.gz', ['bomb:1']);
    const before = glassbox(home, ['images']).stdout;
    const r = glassbox(home, ['load', '-i', archive], 120_000);
    expect(r.stderr).toBe('glassbox: manifest.json image 0 layer 0: expands beyond 512 MiB, more than glassbox takes (a decompression bomb?)\n');
    expect(glassbox(home, ['images']).stdout).toBe(before);
  }, 180_000);

  it('names what is wrong with a malformed manifest.json instead of a stack trace; RepoTags must be a list', () => {
    const home = tmp('sh-home');
    const dir = tmp('sh-bad');
    writeFileSync(join(dir, 'manifest.json'), '[null]');
    execFileSync('tar', ['-C', dir, '-cf', join(dir, 'null.tar'), 'manifest.json']);
    expect(glassbox(home, ['load', '-i', join(dir, 'null.tar')]).stderr).toBe('glassbox: manifest.json image 0 is not an object\n');
    const layer = join(dir, 'layer.tar');
    execFileSync('tar', ['-C', dir, '-cf', layer, 'manifest.json']);
    const diffId = execFileSync('sha256sum', [layer], { encoding: 'utf8' }).split(' ')[0];
    const archive = dockerSave(dir, { rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }, 'layer.tar', 'abc');
    const r = glassbox(home, ['load', '-i', archive]);
    expect(r.stderr).toBe('glassbox: manifest.json image 0: RepoTags must be a list of names, such as ["busybox:latest"]\n');
    expect(glassbox(home, ['images']).stdout).not.toMatch(/^[abc]\s/m);
  });

  it('removes the temp files of a process that died (a killed load) when the store opens', () => {
    const home = tmp('sh-home');
    const store = ImageStore.open(home);
    const dead = spawnSync('true').pid!;
    writeFileSync(join(store.root, 'tmp', `${dead}-0123456789abcdef`), '');
    ImageStore.open(home);
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('a damaged build cache is ignored and replaced, not fatal to every build', async () => {
    const home = tmp('sh-home');
    const store = ImageStore.open(home);
    const ctx = tmp('sh-ctx');
    writeFileSync(join(ctx, 'f'), 'x');
    const cache = join(home, 'build-cache.json');
    writeFileSync(cache, '{"truncated": ');
    const engine = { image: (ref: string) => store.image(ref) } as unknown as ContainerEngine;
    await build(engine, store, cache, { tag: 'c:1', context: ctx, dockerfile: 'FROM busybox\nCOPY f /f\n', progress: () => {} });
    expect(Object.keys(JSON.parse(readFileSync(cache, 'utf8')))).toHaveLength(1);
  });

  it('build names a Dockerfile that is a directory, and guest exec a --timeout that is no number, in one line', () => {
    const home = tmp('sh-home');
    const ctx = tmp('sh-ctx');
    mkdirSync(join(ctx, 'Dockerfile'));
    const b = glassbox(home, ['build', '-t', 'x:1', ctx]);
    expect(b.stderr).toBe(`glassbox: ${join(ctx, 'Dockerfile')} is not a file (give the Dockerfile with -f)\n`);
    expect(b.status).toBe(1);
    const t = glassbox(home, ['guest', 'exec', '--timeout', 'abc', '--', 'true']);
    expect(t.stderr).toMatch(/--timeout <seconds>.*abc.*give a number of seconds, e.g. 60 \(0: no limit\)/);
    expect(t.status).not.toBe(0);
  });

  it('the engine refuses to serve a home others may write, before booting anything', () => {
    const home = tmp('sh-open-home');
    chmodSync(home, 0o777);
    const r = glassbox(home, ['engine', 'serve'], 30_000);
    expect(r.stderr).toBe(`glassbox: ${home} is writable by others (mode 777); make it private with "chmod go-w ${home}"\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(home)).toEqual([]);
  });
});
