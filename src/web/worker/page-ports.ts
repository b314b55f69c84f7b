// Published ports in a browser tab: the container engine's PortPublisher
// (engine/networks.ts) where the "host" is the page. A page cannot listen on
// anything; what it has is ports/PORT/ through its Service Worker. So a
// container run with -p PORT:CPORT is recorded here as PORT -> its address
// on its bridge and CPORT, and the page's requests for ports/PORT/ open a
// connection there through the user-mode network, as the Node engine's host
// listeners do (daemon/port-publisher.ts); the guest routes it on to the
// container. A port nobody published is the guest's own port of that number.

import { parseIp } from '../../net/addresses.ts';
import type { PortMapping, PortPublisher } from '../../containers/engine/networks.ts';

/** Where a page port leads in the guest. */
export interface PortTarget {
  ip: number;
  port: number;
}

/** Page ports handed out for -p 0:CPORT and -P, as Docker takes host ports from the ephemeral range. */
const FIRST_FREE = 32768;
const LAST_FREE = 60999;

export class PagePorts implements PortPublisher {
  private readonly table = new Map<number, PortTarget & { containerId: string }>();

  async publish(containerId: string, guestIp: string, ports: PortMapping[]): Promise<PortMapping[]> {
    const bound: PortMapping[] = [];
    const asked = new Set<number>();
    for (const p of ports) {
      // Checked before any is taken, so a refused run leaves none behind.
      if (p.protocol !== 'tcp')
        throw new Error(`cannot publish ${p.containerPort}/${p.protocol}: a page reaches guest ports over HTTP through its Service Worker, so only TCP ports`);
      if (p.hostPort !== 0 && (this.table.has(p.hostPort) || asked.has(p.hostPort))) throw new Error(`cannot publish page port ${p.hostPort}: the port is already in use`);
      asked.add(p.hostPort);
    }
    for (const p of ports) {
      const hostPort = p.hostPort || this.free();
      this.table.set(hostPort, { containerId, ip: parseIp(guestIp), port: p.containerPort });
      // The page has no addresses to listen on: the port is the page's ports/PORT/.
      bound.push({ ...p, hostIp: 'page', hostPort });
    }
    return bound;
  }

  unpublish(containerId: string): void {
    for (const [port, t] of this.table) if (t.containerId === containerId) this.table.delete(port);
  }

  /** Where a request for ports/PORT/ goes: the container that published it, else the guest's own port. */
  target(port: number, guestIp: number): PortTarget {
    return this.table.get(port) ?? { ip: guestIp, port };
  }

  private free(): number {
    for (let port = FIRST_FREE; port <= LAST_FREE; port++) if (!this.table.has(port)) return port;
    throw new Error(`no page port left between ${FIRST_FREE} and ${LAST_FREE}`);
  }
}
