// Outbound UDP through the host's sockets: one host datagram socket per
// guest source address and port, so replies find their way back; an idle
// flow's socket closes after a minute, as NATs time UDP out.

import { createSocket, type Socket } from 'node:dgram';

const IDLE_MS = 60_000;

interface Flow {
  socket: Socket;
  timer: ReturnType<typeof setTimeout>;
}

/** Delivers a host reply to the guest: from which address and port, to which guest port. */
export type UdpReply = (guestIp: number, guestPort: number, fromHost: string, fromPort: number, payload: Uint8Array) => void;

export class UdpNat {
  private readonly flows = new Map<string, Flow>();

  constructor(private readonly reply: UdpReply) {}

  send(guestIp: number, guestPort: number, hostAddress: string, hostPort: number, payload: Uint8Array): void {
    const key = `${guestIp}:${guestPort}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const socket = createSocket('udp4');
      socket.on('message', (msg, rinfo) => {
        this.touch(key);
        this.reply(guestIp, guestPort, rinfo.address, rinfo.port, msg);
      });
      socket.on('error', () => this.drop(key));
      socket.unref();
      flow = { socket, timer: this.idleTimer(key) };
      this.flows.set(key, flow);
    } else {
      this.touch(key);
    }
    flow.socket.send(payload, hostPort, hostAddress);
  }

  get size(): number {
    return this.flows.size;
  }

  close(): void {
    for (const key of [...this.flows.keys()]) this.drop(key);
  }

  private idleTimer(key: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => this.drop(key), IDLE_MS);
    t.unref?.();
    return t;
  }

  private touch(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    clearTimeout(flow.timer);
    flow.timer = this.idleTimer(key);
  }

  private drop(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    clearTimeout(flow.timer);
    this.flows.delete(key);
    flow.socket.close();
  }
}
