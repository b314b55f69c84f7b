// Published UDP ports, the guest's side: a datagram a host socket received
// for a published port goes to the guest from the gateway, from a gateway
// port of its own per host client, so the guest's answer to that port finds
// the client again (UDP has no connection to carry it back). A client's
// flow is forgotten after a minute without traffic, as NATs time UDP out.

import type { RemoteInfo, Socket } from 'node:dgram';

const IDLE_MS = 60_000;
const FIRST_PORT = 40000;

interface Flow {
  socket: Socket;
  client: RemoteInfo;
  guestIp: number;
  guestPort: number;
  gatewayPort: number;
  timer: ReturnType<typeof setTimeout>;
}

/** Sends a datagram to the guest from the gateway's `gatewayPort`. */
export type ToGuest = (gatewayPort: number, guestIp: number, guestPort: number, payload: Uint8Array) => void;

export class UdpForwards {
  private readonly byGatewayPort = new Map<number, Flow>();
  private readonly byClient = new Map<string, Flow>();
  private nextPort = FIRST_PORT;

  constructor(private readonly toGuest: ToGuest) {}

  /** A datagram the published port's host socket received from `client`. */
  fromHost(socket: Socket, client: RemoteInfo, guestIp: number, guestPort: number, payload: Uint8Array): void {
    const key = keyOf({ client, guestIp, guestPort });
    let flow = this.byClient.get(key);
    if (!flow || flow.socket !== socket) {
      if (flow) this.forget(flow);
      flow = { socket, client, guestIp, guestPort, gatewayPort: this.freePort(), timer: this.idleTimer(key) };
      this.byClient.set(key, flow);
      this.byGatewayPort.set(flow.gatewayPort, flow);
    } else {
      this.touch(flow, key);
    }
    this.toGuest(flow.gatewayPort, guestIp, guestPort, payload);
  }

  /** A datagram the guest sent to the gateway's port: true when it answers a forwarded client (and went to it). */
  fromGuest(guestIp: number, guestPort: number, gatewayPort: number, payload: Uint8Array): boolean {
    const flow = this.byGatewayPort.get(gatewayPort);
    if (!flow || flow.guestIp !== guestIp || flow.guestPort !== guestPort) return false;
    this.touch(flow, keyOf(flow));
    flow.socket.send(payload, flow.client.port, flow.client.address, () => {}); // a closed publication drops it
    return true;
  }

  get size(): number {
    return this.byClient.size;
  }

  close(): void {
    for (const flow of [...this.byClient.values()]) this.forget(flow);
  }

  private freePort(): number {
    for (;;) {
      const port = this.nextPort;
      this.nextPort = port >= 65535 ? FIRST_PORT : port + 1;
      if (!this.byGatewayPort.has(port)) return port;
    }
  }

  private idleTimer(key: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      const flow = this.byClient.get(key);
      if (flow) this.forget(flow);
    }, IDLE_MS);
    t.unref?.();
    return t;
  }

  private touch(flow: Flow, key: string): void {
    clearTimeout(flow.timer);
    flow.timer = this.idleTimer(key);
  }

  private forget(flow: Flow): void {
    clearTimeout(flow.timer);
    this.byClient.delete(keyOf(flow));
    this.byGatewayPort.delete(flow.gatewayPort);
  }
}

function keyOf(f: Pick<Flow, 'client' | 'guestIp' | 'guestPort'>): string {
  return `${f.client.address}:${f.client.port}>${f.guestIp}:${f.guestPort}`;
}
