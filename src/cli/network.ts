// The network commands: -p for run, `network create|ls|rm`, `port`. The
// engine does the work (src/containers/engine/networks.ts); this parses and
// prints as Docker does.

import { Command, InvalidArgumentError } from 'commander';
import type { EngineRequest } from '../daemon/protocol.ts';
import type { NetworkInfo, PortMapping } from '../containers/engine/networks.ts';
import { table } from './table.ts';

type Call = <T>(req: EngineRequest) => Promise<T | undefined>;

const port = (v: string, what: string, zero = false): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535 || (n === 0 && !zero)) throw new InvalidArgumentError(`${what} "${v}" is not a port number (1 to 65535)`);
  return n;
};

/**
 * Docker's -p forms: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]. Without a host
 * port a free one is picked; without an address, 127.0.0.1 (glassbox listens
 * beyond loopback only when asked, unlike Docker).
 */
export function parsePublish(spec: string): PortMapping {
  const [addr, protocol = 'tcp', ...rest] = spec.split('/');
  if ((protocol !== 'tcp' && protocol !== 'udp') || rest.length) throw new InvalidArgumentError(`-p ${spec}: the protocol is tcp or udp, not "${[protocol, ...rest].join('/')}"`);
  const parts = addr!.split(':');
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new InvalidArgumentError(`-p ${spec}: give [IP:][HOSTPORT:]CONTAINERPORT, e.g. 8080:80 or 0.0.0.0:8080:80`);
  }
  const containerPort = port(parts[parts.length - 1]!, `-p ${spec}: the container port`);
  const hostPort = parts.length >= 2 && parts[parts.length - 2] !== '' ? port(parts[parts.length - 2]!, `-p ${spec}: the host port`) : 0;
  const hostIp = parts.length === 3 ? parts[0]! : '127.0.0.1';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp) || hostIp.split('.').some((b) => Number(b) > 255)) {
    throw new InvalidArgumentError(`-p ${spec}: "${hostIp}" is not an IPv4 address to listen on`);
  }
  return { hostIp, hostPort, containerPort, protocol };
}

export function collectPublish(v: string, prev: PortMapping[]): PortMapping[] {
  return [...prev, parsePublish(v)];
}

/** One line per port, as `docker port` prints them. */
export function portLines(ports: PortMapping[]): string {
  return ports.map((p) => `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}\n`).join('');
}

export function defineNetworkCommands(program: Command, call: Call): void {
  program
    .command('port')
    .description("list a container's published ports")
    .argument('<container>')
    .action(async (container: string) => {
      const ports = await call<PortMapping[]>({ op: 'port', container });
      if (ports) process.stdout.write(portLines(ports));
    });

  const network = new Command('network').description('container networks: a bridge in the guest each, containers on one reach each other by name');
  network
    .command('create')
    .argument('<name>')
    .description('create a network')
    .action(async (name: string) => {
      const n = await call<NetworkInfo>({ op: 'network-create', name });
      if (n) process.stdout.write(`${n.name}\n`);
    });
  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .action(async () => {
      const list = await call<(NetworkInfo & { containers: string[] })[]>({ op: 'network-ls' });
      if (!list) return;
      process.stdout.write(
        table([['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'CONTAINERS'], ...list.map((n) => [n.name, n.driver, n.subnet, n.gateway, String(n.containers.length)])]),
      );
    });
  network
    .command('rm')
    .alias('remove')
    .argument('<name...>')
    .description('remove networks')
    .action(async (names: string[]) => {
      for (const name of names) if ((await call({ op: 'network-rm', name })) !== undefined) process.stdout.write(`${name}\n`);
    });
  program.addCommand(network);
}
