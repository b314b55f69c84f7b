// Containers on networks in the real guest (booted once for this file):
// each in its own network namespace, on a bridge per network, reaching the
// others of its network by name, and --network none with only lo. The
// guest's own tools (ip, ping, wget, busybox httpd) are the witnesses.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { sh } from '../../src/api/shell-script.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import type { Machine } from '../../src/api/index.ts';

describe('container networks in the guest', () => {
  let machine: Machine;
  let guest: GuestShell;
  let engine: ContainerEngine;

  beforeAll(async () => {
    machine = await bootDefaultGuest();
    guest = machineShell(machine);
    const store = ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-')));
    // Networking without a card: bridges and namespaces in the guest work all the same; only the way out is missing.
    engine = new ContainerEngine(guest, store, undefined, { dns: '10.0.2.3', guestIp: '10.0.2.15' });
  }, 180_000);

  afterAll(() => machine?.stop());

  it('puts two containers of a user network on its bridge, where one fetches from the other by name', async () => {
    engine.createNetwork('app');
    await engine.run('busybox', { name: 'web', network: 'app', detach: true, cmd: ['sh', '-c', 'mkdir /www && echo hello from web > /www/index.html && httpd -f -p 80 -h /www'] });
    await engine.run('busybox', { name: 'client', network: 'app', detach: true, cmd: ['sleep', '1000'] });
    const [web, client] = [await engine.inspect('web'), await engine.inspect('client')];
    expect(web.network).toMatchObject({ mode: 'app', ip: '172.18.0.2' });
    expect(client.network).toMatchObject({ mode: 'app', ip: '172.18.0.3' });
    // Each has a network namespace of its own, not the guest's.
    const ns = (c: typeof web) => (c.isolation as { namespaces: Record<string, { container: string; guest: string }> }).namespaces.net!;
    expect(ns(web).container).not.toBe(ns(web).guest);
    expect(ns(web).container).not.toBe(ns(client).container);
    // The client's eth0 has its address; its default route is the bridge.
    const addr = await engine.exec('client', ['sh', '-c', 'ip -4 -o addr show eth0; ip route']);
    expect(addr.stdout).toContain('inet 172.18.0.3/16');
    expect(addr.stdout).toContain('default via 172.18.0.1 dev eth0');
    // By name, in both directions: web was there first, client was added to its hosts.
    let got = await engine.exec('client', ['sh', '-c', 'i=0; until wget -q -O - http://web/; do i=$((i+1)); [ $i -gt 20 ] && exit 1; sleep 0.5; done']);
    expect([got.exitCode, got.stdout]).toEqual([0, 'hello from web\n']);
    got = await engine.exec('web', ['ping', '-c', '1', '-W', '5', 'client']);
    expect(got.exitCode, got.stdout + got.stderr).toBe(0);
    expect(got.stdout).toContain('172.18.0.3');
    // Networks isolate: a container of the default bridge network reaches neither by name nor on its own bridge's peers.
    await engine.run('busybox', { name: 'other', detach: true, cmd: ['sleep', '1000'] });
    expect((await engine.inspect('other')).network).toMatchObject({ mode: 'bridge', ip: '172.17.0.2' });
    expect((await engine.exec('other', ['ping', '-c', '1', '-W', '2', 'web'])).exitCode).not.toBe(0);
    // The network is in use until its containers go.
    await expect(engine.removeNetwork('app')).rejects.toThrow(/2 container\(s\) attached/);
    for (const c of ['web', 'client', 'other']) await engine.rm(c, true);
    await engine.removeNetwork('app');
    expect(engine.listNetworks().map((n) => n.name)).toEqual(['bridge']);
    // Removing a container removed its veth and namespace in the guest.
    expect((await guest.run(sh`ls /run/netns; ip -o link | grep -c gbv || true`)).stdout.trim()).toBe('0');
  }, 300_000);

  it('gives a --network none container only lo, up', async () => {
    const r = await engine.run('busybox', { network: 'none', rm: true, cmd: ['sh', '-c', "ip -o link | cut -d: -f2 | tr -d ' '; ip -o link show lo | grep -c UP"] });
    expect([r.exitCode, r.stdout]).toEqual([0, 'lo\n1\n']);
  }, 120_000);

  it('--rm: the name is free and ps -a leaves the container out as soon as its output is back; the guest removes the rest after', async () => {
    const first = await engine.run('busybox', { name: 'once', rm: true, cmd: ['sh', '-c', 'ip -o -4 addr show eth0 | wc -l'] });
    expect([first.exitCode, first.stdout]).toEqual([0, '1\n']);
    expect((await engine.ps(true)).map((c) => c.name)).not.toContain('once');
    const again = await engine.run('busybox', { name: 'once', rm: true, cmd: ['echo', 'again'] });
    expect([again.exitCode, again.stdout]).toEqual([0, 'again\n']);
    await engine.settled();
    // Both gone from the guest: bundles, namespaces, veths, cgroups.
    const left = await guest.run(sh`ls /run/glassbox/containers /run/netns /sys/fs/cgroup/glassbox; ip -o link | grep gbv || true`);
    for (const id of [first.id, again.id]) expect(left.stdout).not.toContain(id.slice(0, 11));
  }, 120_000);

  it('refuses an unknown network, a mode taken as a name, and -p without a way to publish', async () => {
    await expect(engine.run('busybox', { network: 'nosuch', cmd: ['true'] })).rejects.toThrow('network nosuch not found');
    expect(() => engine.createNetwork('host')).toThrow(/network mode/);
    await expect(engine.run('busybox', { cmd: ['true'], publish: [{ hostIp: '127.0.0.1', hostPort: 18080, containerPort: 80, protocol: 'tcp' }] })).rejects.toThrow(
      'cannot publish ports',
    );
    expect(await engine.ps(true)).toEqual([]);
  }, 120_000);
});
