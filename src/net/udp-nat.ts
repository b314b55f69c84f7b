// Outbound UDP through the outside's sockets: one datagram socket per
// guest source address and port, so replies find their way back; an idle
// flow's socket closes after a minute, as NATs time UDP out.

import type { Outside, OutsideUdp } from './outside.ts';

const IDLE_MS = 60_000;

interface Flow {
  socket: OutsideUdp;
  timer: ReturnType<typeof setTimeout>;
}

/** Delivers a host reply to the guest: from which address and port, to which guest port. */
export type UdpReply = (guestIp: number, guestPort: number, fromHost: string, fromPort: number, payload: Uint8Array) => void;

export class UdpNat {
  private readonly flows = new Map<string, Flow>();

  constructor(
    private readonly outside: Outside,
    private readonly reply: UdpReply,
  ) {}

  /** Throws OutsideRefused when the outside has no UDP. */
  send(guestIp: number, guestPort: number, hostAddress: string, hostPort: number, payload: Uint8Array): void {
    const key = `${guestIp}:${guestPort}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const socket = this.outside.openUdp(
        (from, fromPort, payload) => {
          this.touch(key);
          this.reply(guestIp, guestPort, from, fromPort, payload);
        },
        () => this.drop(key),
      );
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
