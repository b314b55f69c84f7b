// Containers on the real guest (booted once for this file): crun in the
// guest's namespaces and cgroups, observed from inside the container and from
// the guest around it.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { sh } from '../../src/api/shell-script.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { build } from '../../src/containers/builder/builder.ts';

const NAMESPACES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];

describe('containers in the guest', () => {
  let guest: GuestShell;
  let engine: ContainerEngine;
  let store: ImageStore;
  let home: string;

  beforeAll(async () => {
    guest = machineShell(await bootDefaultGuest());
    home = mkdtempSync(join(tmpdir(), 'glassbox-home-'));
    store = ImageStore.open(home);
    engine = new ContainerEngine(guest, store);
  }, 120_000);

  it('runs a command with its stdout, stderr and exit status; it is PID 1 under the hostname given', async () => {
    const r = await engine.run('busybox', {
      cmd: ['sh', '-c', 'echo "pid=$$ host=$(hostname) env=$GREETING cwd=$(pwd)"; echo oops >&2; exit 3'],
      hostname: 'box1',
      env: ['GREETING=hi'],
      workdir: '/tmp',
      rm: true,
    });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'pid=1 host=box1 env=hi cwd=/tmp\n', stderr: 'oops\n' });
    expect((await guest.run(sh`hostname`)).stdout.trim()).not.toBe('box1');
    expect(await engine.ps(true)).toEqual([]);
  }, 120_000);

  it('isolates a detached container: namespaces, PID, network, files; inspect agrees with the guest', async () => {
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'a', network: 'none' });
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'b' });
    const a = await engine.inspect('a');
    expect(a.state.status).toBe('running');
    const iso = a.isolation as { namespaces: Record<string, { container: string; guest: string }>; pidInGuest: number; pidInside: number; cgroup: string };
    for (const n of NAMESPACES) {
      expect(iso.namespaces[n]!.container).toMatch(new RegExp(`^${n}:\\[\\d+\\]$`));
      expect(iso.namespaces[n]!.container, n).not.toBe(iso.namespaces[n]!.guest);
    }
    expect(iso.pidInside).toBe(1);
    // The guest's own view of that PID: the container's sleep, in the container's cgroup.
    const seen = await guest.run(sh`tr '\\0' ' ' < /proc/${iso.pidInGuest}/cmdline; echo; readlink /proc/${iso.pidInGuest}/ns/net; cut -d: -f3 /proc/${iso.pidInGuest}/cgroup`);
    expect(seen.stdout.split('\n').slice(0, 3)).toEqual(['sleep 1000 ', iso.namespaces.net!.container, iso.cgroup]);
    expect(iso.cgroup).toMatch(new RegExp(`^/glassbox/${a.id}/ctr$`));

    // --network none: only lo; without it the container has the guest's network namespace.
    const links = await engine.exec('a', ['sh', '-c', "ip -o link | cut -d: -f2 | tr -d ' '"]);
    expect(links.stdout.trim().split('\n')).toEqual(['lo']);
    const b = await engine.inspect('b');
    expect((b.isolation as typeof iso).namespaces.net!.container).toBe(iso.namespaces.net!.guest);

    // A file written in one container is in its upper dir only: not in the other, not in the image layer.
    expect((await engine.exec('a', ['sh', '-c', 'echo secret > /etc/mark && cat /etc/mark'])).stdout).toBe('secret\n');
    expect((await engine.exec('b', ['cat', '/etc/mark'])).exitCode).not.toBe(0);
    const layers = await guest.run(sh`ls /var/lib/glassbox/layers/*/etc/mark /var/lib/glassbox/rw/*/upper/etc/mark 2>/dev/null`);
    expect(layers.stdout.trim()).toBe(`/var/lib/glassbox/rw/${a.id}/upper/etc/mark`);

    // IPC: a POSIX message queue (a file in the IPC namespace's mqueue fs) made in one container is not in the other's.
    expect((await engine.exec('a', ['sh', '-c', 'touch /dev/mqueue/q1 && cat /dev/mqueue/q1'])).stdout).toMatch(/^QSIZE:0/);
    expect((await engine.exec('b', ['ls', '/dev/mqueue'])).stdout).toBe('');
  }, 300_000);

  it('--memory 8m: an allocation beyond it is OOM-killed, inspect and stats show it, other containers live on', async () => {
    const r = await engine.run('busybox', { cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=20M', 'count=1'], memory: 8 << 20, name: 'oom' });
    expect(r.exitCode).toBe(137);
    const i = await engine.inspect('oom');
    expect(i.state).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true });
    expect(Number(i.limits['memory.events.oom_kill'])).toBeGreaterThanOrEqual(1);
    expect(Number(i.limits['memory.peak'])).toBeLessThanOrEqual(8 << 20);
    expect((await engine.inspect('a')).state.status).toBe('running');
    expect((await engine.exec('b', ['echo', 'alive'])).stdout).toBe('alive\n');
    await engine.rm('oom');
  }, 120_000);

  it('--pids-limit 5 stops a fork bomb at 5 processes', async () => {
    // The bomb runs in a child shell, which dies when fork fails; the container's init then execs a sleep to stay up.
    const bomb = 'while :; do sleep 1000 & done';
    await engine.run('busybox', { cmd: ['sh', '-c', `sh -c '${bomb}'; exec sleep 1000`], pidsLimit: 5, detach: true, name: 'forks' });
    await guest.run(sh`sleep 1`);
    const s = await engine.stats('forks');
    expect(s['pids.max']).toBe('5');
    expect(Number(s['pids.current'])).toBeLessThanOrEqual(5);
    expect(Number(s['pids.events.max'])).toBeGreaterThan(0);
    expect((await engine.logs('forks')).stderr).toMatch(/can't fork/);
    await engine.rm('forks', true);
  }, 120_000);

  it('--cpus 0.2 throttles a busy loop, as cpu.stat counts', async () => {
    await engine.run('busybox', { cmd: ['sh', '-c', 'while :; do :; done'], cpus: 0.2, detach: true, name: 'spin' });
    await guest.run(sh`sleep 2`);
    const s = await engine.stats('spin');
    expect(s['cpu.max']).toBe('20000 100000');
    expect(Number(s['cpu.stat.nr_throttled'])).toBeGreaterThan(0);
    expect(Number(s['cpu.stat.throttled_usec'])).toBeGreaterThan(0);
    // Over the periods it ran, it used about a fifth of one CPU at most.
    expect(Number(s['cpu.stat.usage_usec'])).toBeLessThan(Number(s['cpu.stat.nr_periods']) * 100_000 * 0.3);
    await engine.rm('spin', true);
  }, 120_000);

  it('stop ends a container; rm removes every trace of it in the guest', async () => {
    await engine.kill('b');
    expect((await engine.inspect('b')).state).toMatchObject({ status: 'exited', exitCode: 137 });
    await expect(engine.rm('a')).rejects.toThrow(/is running/);
    await engine.stop('a', 1);
    for (const c of ['a', 'b']) await engine.rm(c);
    expect(await engine.ps(true)).toEqual([]);
    const left = await guest.run(sh`ls /run/glassbox/containers; ls -d /sys/fs/cgroup/glassbox/*/ 2>/dev/null; mount | grep -c overlay`);
    expect(left.stdout.trim()).toBe('0');
  }, 120_000);

  describe('build', () => {
    const DOCKERFILE = [
      '# every instruction glassbox builds',
      'FROM busybox',
      'ENV GREETING="hello there" WHO=builder',
      'WORKDIR /app',
      'COPY hello.sh ./',
      'RUN echo "built by $WHO in $(pwd)" > built.txt && \\',
      '    rm /bin/vi',
      'ENTRYPOINT ["/bin/sh"]',
      'CMD ["/app/hello.sh"]',
    ].join('\n');
    let context: string;

    const doBuild = async (dockerfile: string, tag = 'hello:1') => {
      const lines: string[] = [];
      const result = await build(engine, store, join(home, 'build-cache.json'), { tag, context, dockerfile, progress: (l) => lines.push(l) });
      return { result, log: lines.join('\n') };
    };

    beforeAll(() => {
      context = mkdtempSync(join(tmpdir(), 'glassbox-context-'));
      writeFileSync(join(context, 'hello.sh'), 'echo "$GREETING from $(pwd): $(cat built.txt)"\n', { mode: 0o755 });
    });

    it('builds an image from every supported instruction, and it runs', async () => {
      const { result, log } = await doBuild(DOCKERFILE);
      expect(log).toMatch(/^Step 1\/7 : FROM busybox$/m);
      expect(log).toMatch(/^Step 5\/7 : RUN echo/m);
      expect(log).not.toMatch(/Using cache/);
      expect(result.name).toBe('hello:1');
      const r = await engine.run('hello:1', { rm: true });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'hello there from /app: built by builder in /app\n', stderr: '' });
      // The RUN's deletion is a whiteout in its layer: vi is gone from the built image, still in the base.
      expect((await engine.run('hello:1', { cmd: ['-c', 'test -e /bin/vi'], rm: true })).exitCode).toBe(1);
      expect((await engine.run('busybox', { cmd: ['test', '-e', '/bin/vi'], rm: true })).exitCode).toBe(0);
      expect(store.manifestOf(store.resolve('hello:1').manifest).layers).toHaveLength(4);
    }, 300_000);

    it('a second build hits the cache at every step and gives the same image', async () => {
      const first = store.resolve('hello:1').manifest.digest;
      const { result, log } = await doBuild(DOCKERFILE);
      expect(log.match(/Using cache/g)).toHaveLength(3);
      expect(result.manifest.digest).toBe(first);
      // a changed COPY source misses the cache from that step on
      writeFileSync(join(context, 'hello.sh'), 'echo changed\n', { mode: 0o755 });
      const changed = await doBuild(DOCKERFILE, 'hello:2');
      expect(changed.log.match(/Using cache/g)).toHaveLength(1);
      expect((await engine.run('hello:2', { rm: true })).stdout).toBe('changed\n');
    }, 300_000);

    it('stops at a failing RUN or a bad instruction with its line, leaving no image', async () => {
      const before = store.list();
      await expect(doBuild('FROM busybox\nRUN echo partial > /x\nRUN exit 3\n', 'broken:1')).rejects.toThrow(/^Dockerfile line 3: RUN exited with status 3$/);
      await expect(doBuild('FROM busybox\n\nHEALTHCHECK CMD true\n', 'broken:1')).rejects.toThrow(/^Dockerfile line 3: unsupported instruction HEALTHCHECK/);
      await expect(doBuild('FROM busybox\nCMD ["unterminated"\n', 'broken:1')).rejects.toThrow(/^Dockerfile line 2: malformed JSON array/);
      expect(store.list()).toEqual(before);
      expect(await engine.ps(true)).toEqual([]);
    }, 300_000);

    it('save then load round-trips the built image to identical digests', async () => {
      const archive = await store.save(['hello:1']);
      const other = ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-')));
      await other.load(archive);
      expect(other.resolve('hello:1')).toEqual(store.resolve('hello:1'));
    });
  });
});
