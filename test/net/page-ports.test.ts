// The page's published ports (src/web/worker/page-ports.ts): what a request
// for ports/PORT/ reaches, and the refusals the engine turns into a run's
// error (engine/containers.ts connect).

import { expect, test } from 'vitest';
import { PagePorts } from '../../src/web/worker/page-ports.ts';
import { parseIp } from '../../src/net/addresses.ts';
import type { PortMapping } from '../../src/containers/engine/networks.ts';

const GUEST = parseIp('10.0.2.15');
const tcp = (hostPort: number, containerPort: number): PortMapping => ({ hostIp: '127.0.0.1', hostPort, containerPort, protocol: 'tcp' });

test("a published page port leads to the container's address and port; any other is the guest's own; unpublishing gives it back", async () => {
  const ports = new PagePorts();
  expect(await ports.publish('a', '172.17.0.2', [tcp(8090, 80), tcp(0, 443)])).toEqual([
    { hostIp: 'page', hostPort: 8090, containerPort: 80, protocol: 'tcp' },
    { hostIp: 'page', hostPort: 32768, containerPort: 443, protocol: 'tcp' },
  ]);
  expect(ports.target(8090, GUEST)).toMatchObject({ ip: parseIp('172.17.0.2'), port: 80 });
  expect(ports.target(32768, GUEST)).toMatchObject({ ip: parseIp('172.17.0.2'), port: 443 });
  expect(ports.target(8080, GUEST)).toEqual({ ip: GUEST, port: 8080 });
  ports.unpublish('a');
  expect(ports.target(8090, GUEST)).toEqual({ ip: GUEST, port: 8090 });
});

test('a page port taken (by another container, or twice in one run) and a UDP port are refused, and a refused run takes none', async () => {
  const ports = new PagePorts();
  await ports.publish('a', '172.17.0.2', [tcp(8090, 80)]);
  await expect(ports.publish('b', '172.17.0.3', [tcp(9000, 80), tcp(8090, 80)])).rejects.toThrow('cannot publish page port 8090: the port is already in use');
  expect(ports.target(9000, GUEST)).toEqual({ ip: GUEST, port: 9000 });
  await expect(ports.publish('b', '172.17.0.3', [tcp(9000, 80), tcp(9000, 81)])).rejects.toThrow('cannot publish page port 9000: the port is already in use');
  await expect(ports.publish('b', '172.17.0.3', [{ ...tcp(53, 53), protocol: 'udp' }])).rejects.toThrow(/cannot publish 53\/udp: .* only TCP ports/);
});
