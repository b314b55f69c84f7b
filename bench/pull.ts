// Pull throughput from a local registry: `glassbox pull` next to `skopeo
// copy` of the same image from the same docker-registry (Debian's CNCF
// distribution server on a loopback port), in one run, alternating, each
// into an empty destination. The image is made here: LAYERS layers of
// incompressible data (so the bytes on the wire are what is measured), pushed
// by skopeo. Both sides verify every blob's digest; glassbox also checks each
// layer's diff_id (decompressing it), as it does on every pull; skopeo copy
// does not, so a third line adds that work to skopeo's: its copy, then each
// blob it wrote through `gzip -d | sha256sum` (what checking diff_ids costs
// with the system's tools).
// With --debian the image is instead the i386 Debian userland the container
// tests run (test/support/debian-image.ts: Debian's packages, compressible
// like real images are).
//
//   npm run bench:pull [-- --layers 3 --mib 32 --runs 3] [-- --debian]

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../src/containers/store/archive.ts';
import { sha256 } from '../src/containers/store/sha256.ts';
import { projectPath } from '../src/paths.ts';
import { startRegistry } from '../test/support/registry-server.ts';
import { debianImage } from '../test/support/debian-image.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '3' },
    mib: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    debian: { type: 'boolean', default: false },
  },
});
const LAYERS = Number(values.layers);
const MIB = Number(values.mib);
const RUNS = Number(values.runs);

/** An OCI layout of LAYERS layers, each a tar of one MIB MiB file of random bytes, gzip'd. */
async function makeLayout(dir: string): Promise<number> {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (data: Uint8Array) => {
    const digest = sha256(data);
    writeFileSync(join(dir, 'blobs/sha256', digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const tar = await writeTar([[`data${i}.bin`, randomBytes(MIB << 20)]]);
    diffIds.push(sha256(tar));
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(tar, { level: 1 })) });
  }
  const config = put(Buffer.from(JSON.stringify({ architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} })));
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
    }),
  );
  return layers.reduce((n, l) => n + l.size, 0) + config.size + manifest.size;
}

/** Bytes on the wire for the image of an OCI layout: its manifest, config and layers. */
function layoutBytes(dir: string): number {
  const blob = (digest: string) => readFileSync(join(dir, 'blobs/sha256', digest.slice(7)));
  const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0];
  const manifest = JSON.parse(blob(top.digest).toString());
  return top.size + manifest.config.size + manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
}

/** Wall and CPU seconds (user + system, the command's and its children's, from the shell's `times`) of one command. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { wall: number; cpu: number } {
  const start = performance.now();
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null; s=$?; times; exit $s', 'bash', cmd, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
    encoding: 'utf8',
  });
  const wall = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  // `times` prints the shell's own user and system time, then its children's: "0m1.234s 0m0.567s".
  const children = r.stdout
    .trim()
    .split('\n')
    .at(-1)!
    .match(/(\d+)m([\d.]+)s/g)!;
  const cpu = children.reduce((n, t) => {
    const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
    return n + Number(m) * 60 + Number(sec);
  }, 0);
  return { wall, cpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'glassbox-bench-pull-'));
const registry = await startRegistry();
try {
  const debian = values.debian ? debianImage() : undefined;
  const source = debian ? `oci:${debian.layout}:${debian.tag}` : `oci:${join(work, 'layout')}:bench`;
  const bytes = debian ? layoutBytes(debian.layout) : await makeLayout(join(work, 'layout'));
  const ref = `${registry.host}/bench:1`;
  execFileSync('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', source, `docker://${ref}`], { stdio: 'ignore' });
  const glassbox: { wall: number; cpu: number }[] = [];
  const skopeo: { wall: number; cpu: number }[] = [];
  const skopeoDiffIds: { wall: number; cpu: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const home = join(work, `home${run}`);
    glassbox.push(timed(process.execPath, [projectPath('bin', 'glassbox.mjs'), 'pull', '-q', ref], { ...process.env, GLASSBOX_HOME: home }));
    rmSync(home, { recursive: true });
    const dest = join(work, `skopeo${run}`);
    skopeo.push(timed('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:bench`]));
    rmSync(dest, { recursive: true });
    const copy = `skopeo --insecure-policy copy --src-tls-verify=false docker://${ref} oci:${dest}:bench`;
    // Not every blob is gzip (config, manifest): their gzip -d fails, and costs nothing to speak of.
    skopeoDiffIds.push(timed('sh', ['-c', `${copy} && for f in ${dest}/blobs/sha256/*; do gzip -dc "$f" 2>/dev/null | sha256sum; done`]));
    rmSync(dest, { recursive: true });
  }
  const mb = bytes / 1e6;
  // On a machine shared with other work, wall time mostly measures the scheduler; CPU time is what each tool spends.
  const line = (name: string, runs: { wall: number; cpu: number }[]) => {
    const t = runs.map((r) => r.wall);
    return `${name.padEnd(28)} ${median(t).toFixed(2).padStart(6)} s   ${(mb / median(t)).toFixed(1).padStart(6)} MB/s   cpu ${median(runs.map((r) => r.cpu)).toFixed(2)} s   (runs: ${t.map((x) => x.toFixed(2)).join(', ')})`;
  };
  const what = debian ? `the i386 Debian userland (${source})` : `${LAYERS} layers x ${MIB} MiB of random data`;
  console.log(
    `image: ${what}, ${mb.toFixed(1)} MB on the wire, from docker-registry on ${registry.host}; median of ${RUNS}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(line('glassbox pull', glassbox));
  console.log(line('skopeo copy docker:// oci:', skopeo));
  console.log(line('skopeo copy + gzip -d | sha256', skopeoDiffIds));
  const ratios = (peer: { wall: number; cpu: number }[]) => {
    const of = (f: (r: { wall: number; cpu: number }) => number) => (median(glassbox.map(f)) / median(peer.map(f))).toFixed(2);
    return `wall time ${of((r) => r.wall)}, cpu time ${of((r) => r.cpu)}`;
  };
  console.log(`ratio glassbox / skopeo: ${ratios(skopeo)}`);
  console.log(`ratio glassbox / (skopeo + diff_ids): ${ratios(skopeoDiffIds)}`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
