// Containers on the real guest (booted once for this file): crun in the
// guest's namespaces and cgroups, observed from inside the container and from
// the guest around it.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { sessionShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';

const NAMESPACES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];

describe('containers in the guest', () => {
  let guest: GuestShell;
  let engine: ContainerEngine;

  beforeAll(async () => {
    guest = sessionShell(await bootDefaultGuest());
    engine = new ContainerEngine(guest, ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-'))));
  }, 120_000);

  it('runs a command with its stdout, stderr and exit status; it is PID 1 under the hostname given', async () => {
    const r = await engine.run('busybox', { cmd: ['sh', '-c', 'echo "pid=$$ host=$(hostname) env=$GREETING cwd=$(pwd)"; echo oops >&2; exit 3'], hostname: 'box1', env: ['GREETING=hi'], workdir: '/tmp', rm: true });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'pid=1 host=box1 env=hi cwd=/tmp\n', stderr: 'oops\n' });
    expect((await guest.run('hostname')).stdout.trim()).not.toBe('box1');
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
    const seen = await guest.run(`tr '\\0' ' ' < /proc/${iso.pidInGuest}/cmdline; echo; readlink /proc/${iso.pidInGuest}/ns/net; cut -d: -f3 /proc/${iso.pidInGuest}/cgroup`);
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
    const layers = await guest.run(`ls /var/lib/glassbox/layers/*/etc/mark /run/glassbox/containers/*/upper/etc/mark 2>/dev/null`);
    expect(layers.stdout.trim()).toBe(`/run/glassbox/containers/${a.id}/upper/etc/mark`);

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
    await guest.run('sleep 1');
    const s = await engine.stats('forks');
    expect(s['pids.max']).toBe('5');
    expect(Number(s['pids.current'])).toBeLessThanOrEqual(5);
    expect(Number(s['pids.events.max'])).toBeGreaterThan(0);
    expect((await engine.logs('forks')).stderr).toMatch(/can't fork/);
    await engine.rm('forks', true);
  }, 120_000);

  it('--cpus 0.2 throttles a busy loop, as cpu.stat counts', async () => {
    await engine.run('busybox', { cmd: ['sh', '-c', 'while :; do :; done'], cpus: 0.2, detach: true, name: 'spin' });
    await guest.run('sleep 2');
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
    const left = await guest.run('ls /run/glassbox/containers; ls -d /sys/fs/cgroup/glassbox/*/ 2>/dev/null; mount | grep -c overlay');
    expect(left.stdout.trim()).toBe('0');
  }, 120_000);
});
