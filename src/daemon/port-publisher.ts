// Published ports in the engine process: a host listener (or UDP socket) per
// port, whose connections (datagrams) the user-mode network forwards into the guest (to the
// container's own address on its bridge, which the guest routes on).

import { parseIp } from '../net/addresses.ts';
import { publish, type Listener } from '../net/publish.ts';
import type { UserNet } from '../net/user-net.ts';
import type { PortMapping, PortPublisher } from '../containers/engine/networks.ts';

export class UserNetPublisher implements PortPublisher {
  private readonly servers = new Map<string, Listener[]>();

  constructor(private readonly net: UserNet) {}

  async publish(containerId: string, guestIp: string, ports: PortMapping[]): Promise<PortMapping[]> {
    const bound: PortMapping[] = [];
    const servers: Listener[] = [];
    try {
      for (const p of ports) {
        const { server, hostPort } = await publish(this.net, {
          hostAddress: p.hostIp,
          hostPort: p.hostPort,
          guestIp: parseIp(guestIp),
          guestPort: p.containerPort,
          protocol: p.protocol,
        });
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
