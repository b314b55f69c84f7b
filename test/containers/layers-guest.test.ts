// Images of several layers on the real guest (booted once for this file):
// deletions and directories replaced wholesale, in images glassbox builds
// (multi-stage, with COPY --from and USER) and in a docker save archive; users
// by name; and the engine's state when its calls overlap.

import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { sh as gsh } from '../../src/api/shell-script.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { tarFiles } from './support/tar-files.ts';
import { build } from '../../src/containers/builder/builder.ts';

const BUSYBOX_LAYOUT = fileURLToPath(new URL('../../guest-images/dist/oci/busybox', import.meta.url));

const DOCKERFILE = [
  'FROM busybox AS base',
  'RUN mkdir /etc/x && echo old > /etc/x/a && echo old > /etc/x/b && echo gone > /etc/gone && echo keep > /etc/keep',
  // the deletion, the directory replaced wholesale, and an account to run as
  'RUN rm /etc/gone && rm -rf /etc/x && mkdir /etc/x && echo new > /etc/x/c && \\',
  '    echo "alice:x:1234:1234::/home/alice:/bin/sh" >> /etc/passwd && \\',
  '    echo "alice:x:1234:" >> /etc/group && echo "staff:x:2345:alice" >> /etc/group',
  'FROM busybox AS tools',
  'RUN mkdir -p /out/sub && echo built > /out/artifact && echo deep > /out/sub/file',
  'FROM base',
  'COPY --from=tools /out /opt/',
  'COPY --from=1 /out/artifact /usr/local/bin/artifact',
  'USER alice',
  'CMD ["id"]',
].join('\n');

/** The file names in a gzip'd layer blob. */
async function layerNames(blob: Uint8Array): Promise<string[]> {
  return [...(await tarFiles(gunzipSync(blob))).keys()].sort();
}

describe('layers, users and overlapping calls on the guest', () => {
  let guest: GuestShell;
  let engine: ContainerEngine;
  let store: ImageStore;
  let home: string;
  /** Every command the engine sends to the guest (the real guest's shell, observed). */
  const sent: string[] = [];

  beforeAll(async () => {
    const shell = machineShell(await bootDefaultGuest());
    guest = { run: (command, opts) => (sent.push(String(command)), shell.run(command, opts)) };
    home = mkdtempSync(join(tmpdir(), 'glassbox-home-'));
    store = ImageStore.open(home);
    engine = new ContainerEngine(guest, store);
  }, 120_000);

  const doBuild = (dockerfile: string, tag: string) => build(engine, store, join(home, 'build-cache.json'), { tag, context: home, dockerfile, progress: () => {} });
  const sh = async (image: string, script: string, user?: string) => engine.run(image, { cmd: ['sh', '-c', script], rm: true, user });

  describe('a multi-stage build', () => {
    beforeAll(async () => {
      await doBuild(DOCKERFILE, 'layered:1');
    }, 300_000);

    it('runs with the deleted file gone, the replaced directory holding only its new content, and files from the other stage', async () => {
      const r = await sh('layered:1', 'ls /etc/x; cat /etc/x/c /etc/keep; test -e /etc/gone || echo no-gone; cat /opt/artifact /opt/sub/file /usr/local/bin/artifact');
      expect(r).toMatchObject({ exitCode: 0, stdout: 'c\nnew\nkeep\nno-gone\nbuilt\ndeep\nbuilt\n', stderr: '' });
    }, 120_000);

    it('save writes OCI whiteouts: .wh.gone beside it, .wh..wh..opq in the replaced directory only', async () => {
      const saved = await tarFiles(await store.save(['layered:1']));
      const manifestDigest = store.resolve('layered:1').manifest.digest;
      const manifest = JSON.parse(new TextDecoder().decode(saved.get(`blobs/sha256/${manifestDigest.slice(7)}`))) as { layers: { digest: string }[] };
      const blob = (i: number) => saved.get(`blobs/sha256/${manifest.layers[i]!.digest.slice(7)}`)!;
      // layers: busybox, RUN, RUN, COPY --from, COPY --from
      expect(manifest.layers).toHaveLength(5);
      const names = await layerNames(blob(2));
      expect(names).toEqual(['etc/.wh.gone', 'etc/group', 'etc/passwd', 'etc/x/.wh..wh..opq', 'etc/x/c']);
      expect(await layerNames(blob(3))).toEqual(['opt/artifact', 'opt/sub/file']);
      expect(await layerNames(blob(4))).toEqual(['usr/local/bin/artifact']);
    });

    it('skopeo and umoci, reading the saved image, apply its layers to the same root the container sees', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'glassbox-umoci-'));
      writeFileSync(join(dir, 'saved.tar'), await store.save(['layered:1']));
      const tool = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8' });
      tool('skopeo', '--insecure-policy', 'copy', 'oci-archive:saved.tar', 'oci:layout:layered');
      tool('umoci', 'unpack', '--rootless', '--image', 'layout:layered', 'bundle');
      const listing = tool(
        'sh',
        '-c',
        'cd bundle/rootfs && ls etc/x; cat etc/x/c etc/keep; test -e etc/gone || echo no-gone; cat opt/artifact opt/sub/file usr/local/bin/artifact',
      );
      expect(listing).toBe('c\nnew\nkeep\nno-gone\nbuilt\ndeep\nbuilt\n');
    });

    // busybox's id lists the supplementary groups only: the primary group is in gid=
    it("runs as the image's USER by name, with its groups; --user takes name:group, uid and uid:gid; an unknown user is refused", async () => {
      expect((await engine.run('layered:1', { rm: true })).stdout).toBe('uid=1234(alice) gid=1234(alice) groups=2345(staff)\n');
      expect((await sh('layered:1', 'id -u; id -g', 'alice:staff')).stdout).toBe('1234\n2345\n');
      expect((await sh('layered:1', 'id -u; id -g', '1234')).stdout).toBe('1234\n1234\n');
      expect((await sh('layered:1', 'id -u; id -g', '77:88')).stdout).toBe('77\n88\n');
      expect((await sh('busybox', 'id -u; id -g', 'nobody')).stdout).toBe('65534\n65534\n');
      await expect(sh('layered:1', 'true', 'bob')).rejects.toThrow(/^unable to find user bob: no matching entries in the container's \/etc\/passwd$/);
      await expect(sh('layered:1', 'true', 'alice:wheel')).rejects.toThrow(/^unable to find group wheel/);
      // exec runs as the container's user, as in Docker (crun exec alone would run as root)
      await engine.run('layered:1', { cmd: ['sleep', '1000'], detach: true, name: 'as-alice', user: 'alice:staff' });
      expect((await engine.exec('as-alice', ['sh', '-c', 'id -u; id -g'])).stdout).toBe('1234\n2345\n');
      await engine.rm('as-alice', true);
      expect(await engine.ps(true)).toEqual([]);
    }, 120_000);

    it('names the line of a misused stage', async () => {
      await expect(doBuild('FROM busybox AS a\nFROM busybox AS a\n', 'bad:1')).rejects.toThrow(/^Dockerfile line 2: stage name a is already used/);
      await expect(doBuild('FROM busybox AS a\nCOPY --from=a /bin/sh /x\n', 'bad:1')).rejects.toThrow(/^Dockerfile line 2: COPY --from=a names the stage it is in$/);
      await expect(doBuild('FROM busybox\nCOPY --from=later /x /x\nFROM busybox AS later\n', 'bad:1')).rejects.toThrow(
        /^Dockerfile line 2: COPY --from=later names a stage defined later, at line 3$/,
      );
      await expect(doBuild('FROM busybox\nCOPY --from=nosuch /x /x\n', 'bad:1')).rejects.toThrow(/^Dockerfile line 2: no image nosuch:latest/);
      await expect(doBuild('FROM busybox AS a\nRUN true\nFROM busybox\nCOPY --from=a /no/such /x\n', 'bad:1')).rejects.toThrow(
        /^Dockerfile line 4: .*\/no\/such does not exist in that stage$/,
      );
      expect(store.list().map((i) => i.name)).not.toContain('bad:1');
      expect((await guest.run(gsh`ls /run/glassbox/copy`)).stdout).toBe('');
    }, 300_000);
  });

  describe('a docker save archive with a deletion and an opaque directory', () => {
    beforeAll(async () => {
      // Layers as Docker keeps them unpacked (whiteouts as empty .wh. files) packed by GNU tar, over the
      // base image's own layer, in the docker save layout: manifest.json, the config, one layer.tar each.
      const dir = mkdtempSync(join(tmpdir(), 'glassbox-save-'));
      const put = (path: string, text: string) => (mkdirSync(join(dir, path, '..'), { recursive: true }), writeFileSync(join(dir, path), text));
      put('l1/data/a', 'a\n');
      put('l1/data/b', 'b\n');
      put('l2/data/.wh..wh..opq', '');
      put('l2/data/c', 'c\n');
      put('l3/bin/.wh.vi', '');
      const base = JSON.parse(readFileSync(join(BUSYBOX_LAYOUT, 'index.json'), 'utf8')).manifests[0].digest.slice(7);
      const blob = (hex: string) => readFileSync(join(BUSYBOX_LAYOUT, 'blobs/sha256', hex));
      const manifest = JSON.parse(blob(base).toString()) as { config: { digest: string }; layers: { digest: string }[] };
      const layers = [gunzipSync(blob(manifest.layers[0]!.digest.slice(7)))];
      for (const l of ['l1', 'l2', 'l3']) {
        layers.push(execFileSync('tar', ['-cf', '-', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', join(dir, l), '.']));
      }
      const config = JSON.parse(blob(manifest.config.digest.slice(7)).toString());
      config.rootfs.diff_ids = layers.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
      const save = join(dir, 'save');
      layers.forEach((t, i) => (mkdirSync(join(save, String(i)), { recursive: true }), writeFileSync(join(save, `${i}/layer.tar`), t)));
      writeFileSync(join(save, 'config.json'), JSON.stringify(config));
      writeFileSync(join(save, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['whiteouts:1'], Layers: layers.map((_, i) => `${i}/layer.tar`) }]));
      execFileSync('tar', ['-cf', join(dir, 'image.tar'), '-C', save, '.']);
      await store.load(readFileSync(join(dir, 'image.tar')));
    }, 120_000);

    it('two overlapping runs of the new image unpack its layers once, and both see the opaque directory and the deletion', async () => {
      sent.length = 0;
      const script = 'ls /data; test -e /bin/vi || echo no-vi';
      const [a, b] = await Promise.all([sh('whiteouts:1', script), sh('whiteouts:1', script)]);
      expect(a).toMatchObject({ exitCode: 0, stdout: 'c\nno-vi\n' });
      expect(b).toMatchObject({ exitCode: 0, stdout: 'c\nno-vi\n' });
      // three new layers (the base one is unpacked already), each unpacked by one command
      expect(sent.filter((c) => c.includes('tar -xf'))).toHaveLength(3);
      expect((await guest.run(gsh`ls -d /var/lib/glassbox/layers/*.tmp /var/lib/glassbox/opaque.* 2>/dev/null`)).stdout).toBe('');
    }, 120_000);
  });

  describe('overlapping calls', () => {
    it('a name is taken once', async () => {
      const both = await Promise.allSettled([1, 2].map(() => engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'twin' })));
      expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message).toBe('the name twin is already in use');
      expect((await engine.ps()).map((c) => c.name)).toEqual(['twin']);
      await engine.rm('twin', true);
    }, 120_000);

    it('ps, exec and stats answer while a foreground run is in progress', async () => {
      const fg = engine.run('busybox', { cmd: ['sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.1; done; echo finished'], name: 'fg' });
      // Listed once its container exists: polled by time, not by a count of ps calls, which a faster ps used up before the run had started.
      const deadline = Date.now() + 60_000;
      while (!(await engine.ps()).some((c) => c.name === 'fg')) {
        if (Date.now() > deadline) throw new Error('ps did not list the foreground run "fg" within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      // The pid is out before /tmp/go exists: once it does, the run's loop may end the container, and the exec with it.
      expect((await engine.exec('fg', ['sh', '-c', 'echo $$; touch /tmp/go'])).stdout).toMatch(/^\d+\n$/);
      expect((await engine.stats('fg'))['pids.current']).toMatch(/^\d+$/);
      expect(await fg).toMatchObject({ exitCode: 0, stdout: 'finished\n' });
      await engine.rm('fg');
    }, 120_000);
  });
});
