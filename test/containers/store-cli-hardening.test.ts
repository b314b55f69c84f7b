// The store commands against careless input (issue 25): special files and
// directories where archives belong, decompression bombs, malformed
// manifests, a damaged build cache, temp files of a killed load. No guest:
// these commands work on the store alone. The CLI runs in child processes
// with a deadline, so a command that would read forever fails the test.

import { describe, it, expect } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { build } from '../../src/containers/builder/builder.ts';
import type { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { within } from '../support/deadline.ts';
import { Rng } from '../support/rng.ts';

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

/** `n` bytes of seeded noise. */
function noise(seed: number, n: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Array.from({ length: n }, () => rng.below(256)));
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

  it('loads a 500 MiB archive streamed, the process staying under 256 MiB of RSS, and leaves no staged file behind', async () => {
    const home = tmp('sh-home');
    const dir = tmp('sh-big');
    // One uncompressed layer of 500 MiB of zeros (under the 512 MiB layer cap), generated here:
    // an archive held in memory, as load did before, would pass the bound by itself.
    const diffId = execFileSync(
      'bash',
      ['-c', `head -c ${500 << 20} /dev/zero > '${dir}/big' && tar -C '${dir}' -cf '${dir}/layer.tar' big && rm '${dir}/big' && sha256sum '${dir}/layer.tar'`],
      { encoding: 'utf8' },
    ).split(' ')[0];
    const archive = dockerSave(dir, { architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }, 'layer.tar', ['big:1']);
    rmSync(join(dir, 'layer.tar'));
    const child = spawn(process.execPath, [BIN, 'load', '-i', archive], { env: { ...process.env, GLASSBOX_HOME: home } });
    let peakKiB = 0;
    const sample = setInterval(() => {
      try {
        peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]));
      } catch {
        // ended meanwhile
      }
    }, 50);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const status = await within(new Promise<number | null>((r) => child.on('close', r)), 150_000, 'the end of glassbox load of a 500 MiB archive');
    clearInterval(sample);
    rmSync(dir, { recursive: true });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB / 1024).toBeLessThan(256);
    expect(glassbox(home, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.split('\n')).toContain('big:1');
    expect(readdirSync(join(home, 'images', 'tmp'))).toEqual([]);
  }, 240_000);

  it('names garbage as what it is, and a failed load leaves no staged file behind', () => {
    const home = tmp('sh-home');
    const dir = tmp('sh-garbage');
    const cases: [string, Buffer, RegExp][] = [
      ['random', noise(7, 1 << 20), /^glassbox: archive: damaged or truncated tar archive \(.+\)\n$/],
      ['gzip-then-random', Buffer.concat([Buffer.from([0x1f, 0x8b]), noise(8, 1 << 20)]), /^glassbox: archive: not a valid gzip stream \(.+\)\n$/],
      ['short', Buffer.from('hello'), /^glassbox: archive: not a tar archive \(5 bytes\)\n$/],
      ['zeros', Buffer.alloc(1 << 20), /^glassbox: neither an OCI image layout \(no oci-layout file\) nor a docker save archive \(no manifest\.json\)\n$/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      const r = glassbox(home, ['load', '-i', join(dir, name)]);
      expect(r.stderr, name).toMatch(message);
      expect(r.status, name).toBe(1);
      expect(readdirSync(join(home, 'images', 'tmp')), name).toEqual([]);
    }
  });

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
    // A load stages the archive's files in a directory of its own.
    mkdirSync(join(store.root, 'tmp', `${dead}-fedcba9876543210`));
    writeFileSync(join(store.root, 'tmp', `${dead}-fedcba9876543210`, '0'), 'staged');
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
