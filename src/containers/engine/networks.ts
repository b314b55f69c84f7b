// Container networks, as the engine knows them: Docker's "bridge" network
// and the ones `network create` adds, each a bridge in the guest with a /16
// of its own (172.17.0.0/16 for "bridge", 172.18.0.0/16 and up for the
// rest), and the addresses handed to containers on them. The user-defined
// ones outlive the engine when it gives a store (the daemon's networks.json);
// the addresses are the engine's own, as its guest's bridges are.

import { ContainerError } from './container-error.ts';
import type { GuestNetwork } from './network-scripts.ts';

/** A published port: host address and port to a port of the container. */
export interface PortMapping {
  hostIp: string;
  /** 0 asks for a free port; the engine records the one it got. */
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** Listens on the host for a container's published ports (Node: through the user-mode network). */
export interface PortPublisher {
  /** Starts listening; resolves with the ports as bound (a free port chosen for 0), or rejects naming the port that failed. */
  publish(containerId: string, guestIp: string, ports: PortMapping[]): Promise<PortMapping[]>;
  unpublish(containerId: string): void;
}

/** The ports a run publishes: -p's, and with -P each port the image exposes (TCP or UDP), on a free loopback port. */
export function portsToPublish(given: PortMapping[] | undefined, all: boolean | undefined, exposed: Record<string, object> | undefined): PortMapping[] {
  const ports = [...(given ?? [])];
  if (all) {
    // In port order (an object's keys come integer-like first, which "9000" is and "443/tcp" is not).
    const keys = Object.keys(exposed ?? {}).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const key of keys) {
      const [port, proto = 'tcp'] = key.split('/');
      const containerPort = Number(port);
      if (
        (proto === 'tcp' || proto === 'udp') &&
        Number.isInteger(containerPort) &&
        containerPort > 0 &&
        containerPort < 65536 &&
        !ports.some((p) => p.containerPort === containerPort && p.protocol === proto)
      ) {
        ports.push({ hostIp: '127.0.0.1', hostPort: 0, containerPort, protocol: proto });
      }
    }
  }
  return ports;
}

export const DEFAULT_NETWORK = 'bridge';
/** DEFAULT_NETWORK's subnet index: 172.17.0.0/16. */
export const DEFAULT_NETWORK_INDEX = 0;
/** Modes that are not networks: the guest's own namespace, or none but lo. */
export const NETWORK_MODES = ['host', 'none'] as const;
const MAX_NETWORKS = 15; // 172.17 to 172.31
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** A user-defined network as kept between engines. */
export interface SavedNetwork {
  name: string;
  /** Its subnet: 172.(17 + index).0.0/16. */
  index: number;
  created: string;
}

/** Where the user-defined networks are kept between engines. */
export interface NetworkStore {
  load(): SavedNetwork[];
  save(networks: SavedNetwork[]): void;
}

interface Network extends SavedNetwork {
  /** Host numbers in use (2 and up; 1 is the gateway). */
  used: Set<number>;
}

export interface NetworkInfo {
  name: string;
  driver: 'bridge';
  subnet: string;
  gateway: string;
  created: string;
}

/** The bridge and gateway in the guest of the network with subnet 172.(17 + index).0.0/16 (index 0: DEFAULT_NETWORK's). */
export function guestNetwork(index: number): GuestNetwork {
  return { bridge: `gb${index}`, gateway: `172.${17 + index}.0.1`, prefix: 16 };
}

export class NetworkTable {
  private readonly networks = new Map<string, Network>();

  constructor(private readonly store?: NetworkStore) {
    this.networks.set(DEFAULT_NETWORK, { name: DEFAULT_NETWORK, index: DEFAULT_NETWORK_INDEX, created: new Date().toISOString(), used: new Set() });
    // What an earlier engine kept; a record this table would not have made (a bad name, a subnet out of range or taken) is left out.
    for (const saved of store?.load() ?? []) {
      const clash = [...this.networks.values()].some((n) => n.name === saved.name || n.index === saved.index);
      if (this.nameProblem(saved.name) || clash || saved.index < 1 || saved.index >= MAX_NETWORKS) continue;
      this.networks.set(saved.name, { name: saved.name, index: saved.index, created: saved.created, used: new Set() });
    }
  }

  create(name: string): NetworkInfo {
    const problem = this.nameProblem(name);
    if (problem) throw new ContainerError(problem);
    if (this.networks.has(name)) throw new ContainerError(`network with name ${name} already exists`);
    const taken = new Set([...this.networks.values()].map((n) => n.index));
    const index = [...Array(MAX_NETWORKS).keys()].find((i) => !taken.has(i));
    if (index === undefined) throw new ContainerError(`no subnet left: at most ${MAX_NETWORKS} networks`);
    const n = { name, index, created: new Date().toISOString(), used: new Set<number>() };
    this.networks.set(name, n);
    this.save();
    return this.info(n);
  }

  remove(name: string): void {
    const n = this.get(name);
    if (name === DEFAULT_NETWORK) throw new ContainerError(`${name} is a pre-defined network and cannot be removed`);
    if (n.used.size) throw new ContainerError(`network ${name} has ${n.used.size} container(s) attached: remove them first`);
    this.networks.delete(name);
    this.save();
  }

  private nameProblem(name: string): string | undefined {
    if (!NAME.test(name)) return `"${name}" is not a network name: letters, digits, "_", "." and "-", starting with a letter or digit`;
    if ((NETWORK_MODES as readonly string[]).includes(name) || name === 'default') return `"${name}" is a network mode, not a name a network can take`;
    return undefined;
  }

  private save(): void {
    this.store?.save([...this.networks.values()].filter((n) => n.name !== DEFAULT_NETWORK).map(({ name, index, created }) => ({ name, index, created })));
  }

  list(): NetworkInfo[] {
    return [...this.networks.values()].map((n) => this.info(n));
  }

  /** The guest's view of a network: its bridge and gateway. */
  guest(name: string): GuestNetwork {
    return guestNetwork(this.get(name).index);
  }

  /** A free address on the network for a container. */
  allocate(name: string): string {
    const n = this.get(name);
    let host = 2;
    while (n.used.has(host)) host++;
    if (host > 65534) throw new ContainerError(`network ${name} is full`);
    n.used.add(host);
    return `172.${17 + n.index}.${host >> 8}.${host & 255}`;
  }

  release(name: string, ip: string): void {
    const [, , c, d] = ip.split('.').map(Number);
    this.networks.get(name)?.used.delete(c! * 256 + d!);
  }

  private get(name: string): Network {
    const n = this.networks.get(name);
    if (!n) throw new ContainerError(`network ${name} not found`);
    return n;
  }

  private info(n: Network): NetworkInfo {
    return { name: n.name, driver: 'bridge', subnet: `172.${17 + n.index}.0.0/16`, gateway: `172.${17 + n.index}.0.1`, created: n.created };
  }
}
