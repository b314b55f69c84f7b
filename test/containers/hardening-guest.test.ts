// Containers as an attacker's (issue 25), on the real guest booted once for
// this file: no device a container reaches, not even one its image ships,
// lets it speak for the guest agent; COPY --from never leaves the stage's
// root; a host queue keeps the agent's command limit from users.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { sh } from '../../src/api/shell-script.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { build } from '../../src/containers/builder/builder.ts';
import { sha256 } from '../../src/containers/store/sha256.ts';
import { MEDIA_CONFIG, MEDIA_LAYER_GZIP, MEDIA_MANIFEST } from '../../src/containers/store/oci.ts';
import { FrameType, encodeFrame } from '../../src/agent/protocol.ts';
import type { Machine } from '../../src/api/machine.ts';

/** The agent's start-up announcement (HELLO_REPLY, id 0), which tells a host that every pending request is lost. */
function forgedHello(): Uint8Array {
  const name = new TextEncoder().encode('glassbox-agent');
  const p = new Uint8Array(12 + name.length);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, 1, true);
  dv.setUint16(2, 3, true);
  dv.setUint32(4, 65536, true);
  dv.setUint32(8, 16, true);
  p.set(name, 12);
  return encodeFrame(FrameType.HELLO_REPLY, 0, p);
}

/** A shell command writing `bytes` to `path` with printf's octal escapes. */
const printfTo = (bytes: Uint8Array, path: string) => `printf '${Array.from(bytes, (b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}' > ${path}`;

/** A one-entry layer tar: a character device node, or a file of `data`. */
async function oneEntryLayer(header: Parameters<ReturnType<typeof pack>['entry']>[0], data?: Buffer): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  if (data) p.entry({ ...header, size: data.length }, data);
  else p.entry(header);
  p.finalize();
  await collected;
  return Buffer.concat(chunks);
}

const deviceLayer = (name: string, major: number, minor: number) =>
  oneEntryLayer({ name, type: 'character-device', devmajor: major, devminor: minor, mode: 0o666, mtime: new Date(0) });

/** Adds to `store` an image named `name`: busybox with the layer `tar` (gzip'd) on top. */
function addLayerImage(store: ImageStore, name: string, tar: Buffer): void {
  const base = store.image('busybox');
  const blob = gzipSync(tar);
  const layer = { mediaType: MEDIA_LAYER_GZIP, digest: sha256(blob), size: blob.length };
  const config = Buffer.from(JSON.stringify({ ...base.config, rootfs: { type: 'layers', diff_ids: [...base.diffIds, sha256(tar)] } }));
  const configDesc = { mediaType: MEDIA_CONFIG, digest: sha256(config), size: config.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config: configDesc, layers: [...base.layers, layer] }));
  const manifestDesc = { mediaType: MEDIA_MANIFEST, digest: sha256(manifest), size: manifest.length };
  store.add({
    blobs: new Map([
      [layer.digest, blob],
      [configDesc.digest, config],
      [manifestDesc.digest, manifest],
    ]),
    images: [{ name, manifest: manifestDesc }],
  });
}

describe('containers cannot reach the guest agent or the guest', () => {
  let machine: Machine;
  let guest: GuestShell;
  let engine: ContainerEngine;
  let store: ImageStore;
  let home: string;

  beforeAll(async () => {
    machine = await bootDefaultGuest();
    guest = machineShell(machine);
    home = mkdtempSync(join(tmpdir(), 'glassbox-harden-guest-'));
    store = ImageStore.open(home);
    engine = new ContainerEngine(guest, store);
  }, 120_000);
  afterAll(() => machine?.stop());

  it("root in a container makes no device node: the agent's COM2 (4:65) stays out of reach, and a request in flight is unaffected", async () => {
    const inFlight = guest.run(sh`sleep 3; echo survived`);
    const r = await engine.run('busybox', { cmd: ['sh', '-c', `mknod /tmp/s1 c 4 65 && ${printfTo(forgedHello(), '/tmp/s1')}; echo "status $?"; ls /dev`], rm: true });
    expect(r.stderr).toMatch(/mknod: \/tmp\/s1: Operation not permitted/);
    expect(r.stdout).toMatch(/^status 1\n/);
    // crun's /dev holds Docker's devices only: no ttyS*, kmsg, mem.
    expect(r.stdout.split('\n').slice(1).filter(Boolean).sort()).toEqual([
      'core',
      'fd',
      'full',
      'mqueue',
      'null',
      'ptmx',
      'pts',
      'random',
      'shm',
      'stderr',
      'stdin',
      'stdout',
      'tty',
      'urandom',
      'zero',
    ]);
    expect(await inFlight).toMatchObject({ exitCode: 0, stdout: 'survived\n' });
  }, 120_000);

  it('a device node shipped in an image cannot be opened, by an unprivileged user or by root; the forged agent frame never arrives', async () => {
    addLayerImage(store, 'devnode:1', await deviceLayer('agent', 4, 65));

    const inFlight = guest.run(sh`sleep 3; echo survived`);
    const attack = `ls -l /agent; ${printfTo(forgedHello(), '/agent')}; echo "write $?"; head -c 1 /agent; echo "read $?"`;
    for (const user of ['1000:1000', '0:0']) {
      const r = await engine.run('devnode:1', { cmd: ['sh', '-c', attack], user, rm: true });
      // EPERM: the device cgroup's answer (crun's eBPF program), not a file permission's (EACCES).
      expect(r.stdout, user).toMatch(/^crw-rw-rw- +1 root +root +4, +65 .* \/agent\nwrite 1\nread 1\n$/);
      expect(r.stderr, user).toBe("sh: can't create /agent: Operation not permitted\nhead: /agent: Operation not permitted\n");
    }
    expect(await inFlight).toMatchObject({ exitCode: 0, stdout: 'survived\n' });
    expect((await guest.run(sh`echo still`)).stdout).toBe('still\n');
  }, 180_000);

  it("a layer bigger than the guest's free space fails to unpack by name and leaves nothing behind: the space is free again, the next run works", async () => {
    const available = async () => Number((await guest.run(sh`df -k / | awk 'NR == 2 { print $4 }'`)).stdout);
    // busybox's own layers, under the one that overflows, unpacked first: they stay, as they should.
    expect(await engine.run('busybox', { cmd: ['echo', 'before'], rm: true })).toMatchObject({ exitCode: 0, stdout: 'before\n' });
    // The guest's root (a tmpfs) filled to its last 24 MiB first, so that the layer that overflows it stays small to unpack.
    await guest.run(sh`dd if=/dev/zero of=/filler bs=1024 count=$(( $(df -k / | awk 'NR == 2 { print $4 }') - (24 << 10) ))`);
    try {
      const before = await available();
      expect(before).toBeGreaterThan(20 << 10);
      // 16 MiB more zeros than the guest's root has room for (a few KiB gzip'd).
      addLayerImage(store, 'toobig:1', await oneEntryLayer({ name: 'zeros', mode: 0o644, mtime: new Date(0) }, Buffer.alloc((before + (16 << 10)) * 1024)));
      await expect(engine.run('toobig:1', { cmd: ['true'], rm: true })).rejects.toThrow(/unpacking layer sha256:[0-9a-f]{64}: exit 1: .*No space left on device/s);
      // What the failed unpack wrote is gone (a few KiB of the guest's own may come and go meanwhile).
      expect(await available()).toBeGreaterThan(before - 1024);
      expect(await engine.run('busybox', { cmd: ['echo', 'after'], rm: true })).toMatchObject({ exitCode: 0, stdout: 'after\n' });
    } finally {
      await guest.run(sh`rm -f /filler`);
    }
  }, 300_000);

  it('COPY --from resolves links inside the stage: "x -> /" names the stage\'s root, never the guest\'s', async () => {
    await guest.run(sh`echo guest-secret > /tmp/gb-guest-secret`);
    const progress = () => {};
    const ctx = mkdtempSync(join(tmpdir(), 'glassbox-harden-ctx-'));
    const doBuild = (dockerfile: string) => build(engine, store, join(home, 'build-cache.json'), { tag: 'leak:1', context: ctx, dockerfile, progress });
    const stage = 'FROM busybox AS s\nRUN ln -s / /x && ln -s /x/etc /e && echo stage-own > /own\n';
    await expect(doBuild(`${stage}FROM busybox\nCOPY --from=s /x/tmp/gb-guest-secret /leak\n`)).rejects.toThrow(
      /^Dockerfile line 4: exporting files of .*: \/x\/tmp\/gb-guest-secret does not exist in that stage$/,
    );
    await expect(doBuild(`${stage}FROM busybox\nCOPY --from=s /x/run/glassbox/containers /leak\n`)).rejects.toThrow(/does not exist in that stage/);
    // The same links reach the stage's own files.
    await doBuild(`${stage}FROM busybox\nCOPY --from=s /x/own /e/passwd /got/\n`);
    const inImage = await engine.run('leak:1', { cmd: ['sh', '-c', 'cat /got/own; md5sum < /got/passwd'], rm: true });
    const stagePasswd = await engine.run('busybox', { cmd: ['sh', '-c', 'md5sum < /etc/passwd'], rm: true });
    expect(inImage.stdout).toBe(`stage-own\n${stagePasswd.stdout}`);
  }, 300_000);

  it("an image's account files are read inside its root, capped: a link to /dev/zero or to a guest file gives no user", async () => {
    await guest.run(sh`echo "eve:x:4242:4242::/:/bin/sh" > /tmp/gb-guest-passwd`);
    const ctx = mkdtempSync(join(tmpdir(), 'glassbox-harden-ctx-'));
    const doBuild = (tag: string, link: string) =>
      build(engine, store, join(home, 'build-cache.json'), { tag, context: ctx, dockerfile: `FROM busybox\nRUN ln -sf ${link} /etc/passwd\n`, progress: () => {} });
    await doBuild('zero:1', '/dev/zero');
    await doBuild('guestfile:1', '/tmp/gb-guest-passwd');
    const started = Date.now();
    await expect(engine.run('zero:1', { cmd: ['id'], user: 'nobody', rm: true })).rejects.toThrow(
      /^unable to find user nobody: no matching entries in the container's \/etc\/passwd$/,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    await expect(engine.run('guestfile:1', { cmd: ['id'], user: 'eve', rm: true })).rejects.toThrow(/unable to find user eve/);
    // Numeric users need no account file and still work (a program of the image that reads its /etc/passwd reads /dev/zero, its own affair).
    expect((await engine.run('zero:1', { cmd: ['sh', '-c', 'echo $(cat /proc/self/status | grep ^Uid | cut -f2)'], user: '7:7', rm: true })).stdout).toBe('7\n');
    expect(await engine.ps(true)).toEqual([]);
  }, 600_000);

  it('a container filling its writable layer leaves /run to the runtime: other containers run, log and are removed', async () => {
    await engine.run('busybox', { cmd: ['sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1M 2>/dev/null; sleep 100000'], detach: true, name: 'filler' });
    await guest.run(
      sh`i=0; until [ -e /var/lib/glassbox/rw ] && [ "$(df /var/lib/glassbox/rw | awk 'NR==2 {print $4}')" -lt 1024 ]; do i=$((i+1)); [ $i -gt 1200 ] && break; sleep 0.1; done`,
    );
    const full = await guest.run(sh`df /var/lib/glassbox/rw /run | awk 'NR>1 {print $6, $4}'`);
    const avail = Object.fromEntries(
      full.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([m, a]) => [m, Number(a)]),
    );
    expect(avail['/var/lib/glassbox/rw']).toBeLessThan(1024);
    expect(avail['/run']).toBeGreaterThan(50 * 1024);
    const r = await engine.run('busybox', { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 5'], rm: true });
    expect(r).toMatchObject({ exitCode: 5, stdout: 'out\n', stderr: 'err\n' });
    await engine.rm('filler', true);
    expect(await engine.ps(true)).toEqual([]);
    expect((await guest.run(sh`ls /var/lib/glassbox/rw /run/glassbox/containers`)).stdout.replace(/\S+:\n/g, '').trim()).toBe('');
  }, 300_000);

  it("more foreground runs than the agent's 16 commands queue on the host (12 run at once); ps and kill answer meanwhile", async () => {
    const runs = Array.from({ length: 18 }, (_, i) => engine.run('busybox', { cmd: ['sleep', '100000'], name: `q${i}`, rm: true }));
    /** The running containers' names once `n` run (they sleep until killed, so the count only grows). */
    const whenRunning = async (n: number) => {
      for (const deadline = Date.now() + 600_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
        const names = (await engine.ps()).map((c) => c.name);
        if (names.length >= n) return names;
      }
      throw new Error(`${n} containers were not running within 600 s`);
    };
    const first = await whenRunning(12);
    // Exactly the long lane's 12: the other 6 wait on the host, not in the agent.
    expect(first).toHaveLength(12);
    expect(await whenRunning(12)).toEqual(first);
    for (const name of first) await engine.kill(name);
    // Their slots go to the 6 that waited.
    const second = (await whenRunning(6)).filter((n) => !first.includes(n));
    expect(second).toHaveLength(6);
    for (const name of second) await engine.kill(name);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.exitCode)).toEqual(Array.from({ length: 18 }, () => 137));
    expect(await engine.ps(true)).toEqual([]);
  }, 900_000);
});
