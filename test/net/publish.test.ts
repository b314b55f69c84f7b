// Publishing a port: -p as Docker spells it, and the listener's refusals
// named for the user (a port in use, a privileged port without root).

import { createServer, type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parsePublish } from '../../src/cli/network.ts';
import { publishTcp, publishUdp } from '../../src/net/publish.ts';
import { createSocket } from 'node:dgram';
import { UserNet, NET_PLAN } from '../../src/net/user-net.ts';
import { nodeOutside } from '../../src/net/node-outside.ts';
import { portsToPublish } from '../../src/containers/engine/networks.ts';

describe('-p parsing', () => {
  test("takes Docker's forms, loopback unless an address is given", () => {
    expect(parsePublish('18080:80')).toEqual({ hostIp: '127.0.0.1', hostPort: 18080, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('0.0.0.0:8080:80/tcp')).toEqual({ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('80')).toEqual({ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('127.0.0.2::80')).toEqual({ hostIp: '127.0.0.2', hostPort: 0, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('5353:53/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' });
  });

  test('refuses malformed specs, naming what is wrong', () => {
    expect(() => parsePublish('18080:')).toThrow('give [IP:][HOSTPORT:]CONTAINERPORT');
    expect(() => parsePublish('a:80')).toThrow('the host port "a" is not a port number');
    expect(() => parsePublish('8080:70000')).toThrow('the container port "70000" is not a port number');
    expect(() => parsePublish('8080:80/sctp')).toThrow('-p 8080:80/sctp: the protocol is tcp or udp, not "sctp"');
    expect(() => parsePublish('8080:80/udp/tcp')).toThrow('the protocol is tcp or udp, not "udp/tcp"');
    expect(() => parsePublish('300.1.1.1:8080:80')).toThrow('"300.1.1.1" is not an IPv4 address');
    expect(() => parsePublish('1:2:3:4')).toThrow('give [IP:][HOSTPORT:]CONTAINERPORT');
  });
});

test('-P adds each exposed port, TCP or UDP, on a free loopback port, after the -p ones and not twice', () => {
  const given = [parsePublish('8080:80')];
  const exposed = { '80/tcp': {}, '443/tcp': {}, '53/udp': {}, '9000': {} };
  expect(portsToPublish(given, true, exposed)).toEqual([
    given[0],
    { hostIp: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' },
    { hostIp: '127.0.0.1', hostPort: 0, containerPort: 443, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 0, containerPort: 9000, protocol: 'tcp' },
  ]);
  expect(portsToPublish(given, false, exposed)).toEqual(given);
  expect(portsToPublish(undefined, true, undefined)).toEqual([]);
});

describe('publishing', () => {
  test('a UDP host port already in use is refused with its address too', async () => {
    const busy = createSocket('udp4');
    const port = await new Promise<number>((r) => busy.bind(0, '127.0.0.1', () => r(busy.address().port)));
    const net = new UserNet(nodeOutside());
    try {
      await expect(publishUdp(net, { hostAddress: '127.0.0.1', hostPort: port, guestIp: NET_PLAN.guest, guestPort: 53, protocol: 'udp' })).rejects.toThrow(
        `cannot publish 127.0.0.1:${port}: the port is already in use`,
      );
    } finally {
      busy.close();
      net.close();
    }
  });

  test('a host port already in use is refused with its address', async () => {
    const busy = createServer();
    const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as AddressInfo).port)));
    const net = new UserNet(nodeOutside());
    try {
      await expect(publishTcp(net, { hostAddress: '127.0.0.1', hostPort: port, guestIp: NET_PLAN.guest, guestPort: 80 })).rejects.toThrow(
        `cannot publish 127.0.0.1:${port}: the port is already in use`,
      );
    } finally {
      busy.close();
      net.close();
    }
  });

  test('a privileged host port as a user without root is refused saying so', (ctx) => {
    // The refusal comes from the host kernel: run the publish as an unprivileged user (nobody) to meet it.
    if (process.getuid?.() !== 0) ctx.skip('needs root to run a child as nobody');
    const probe = fileURLToPath(new URL('./publish-privileged.mts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, tsx, probe], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) ctx.skip(`setpriv could not run (${r.error.message})`);
    expect(r.stdout.trim()).toBe('cannot publish 127.0.0.1:81: ports below 1024 need root (or CAP_NET_BIND_SERVICE)');
  }, 90_000);
});
