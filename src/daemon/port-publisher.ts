// Published ports in the engine process: a host listener per port, whose
// connections the user-mode network forwards into the guest (to the
// container's own address on its bridge, which the guest routes on).

import type { Server } from 'node:net';
import { parseIp } from '../net/addresses.ts';
import { publishTcp } from '../net/publish.ts';
import type { UserNet } from '../net/user-net.ts';
import type { PortMapping, PortPublisher } from '../containers/engine/networks.ts';

export class UserNetPublisher implements PortPublisher {
  private readonly servers = new Map<string, Server[]>();

  constructor(private readonly net: UserNet) {}

  async publish(containerId: string, guestIp: string, ports: PortMapping[]): Promise<PortMapping[]> {
    const bound: PortMapping[] = [];
    const servers: Server[] = [];
    try {
      for (const p of ports) {
        const { server, hostPort } = await publishTcp(this.net, { hostAddress: p.hostIp, hostPort: p.hostPort, guestIp: parseIp(guestIp), guestPort: p.containerPort });
        servers.push(server);
        bound.push({ ...p, hostPort });
      }
    } catch (e) {
      for (const s of servers) s.close();
      throw e;
    }
    this.servers.set(containerId, servers);
    return bound;
  }

  unpublish(containerId: string): void {
    for (const s of this.servers.get(containerId) ?? []) s.close();
    this.servers.delete(containerId);
  }
}
