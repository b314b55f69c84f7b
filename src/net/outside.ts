// What the user-mode network reaches beyond the guest's link: the host's
// TCP and UDP sockets and its resolver in Node (node-outside.ts), nothing in
// a browser page (browser-outside.ts), which has no sockets. The stack
// itself (user-net.ts and its protocols) is the same on both.

import type { HostStream } from './host-stream.ts';

/** A UDP socket of the outside, for one guest flow. */
export interface OutsideUdp {
  send(payload: Uint8Array, port: number, address: string): void;
  close(): void;
}

/** A datagram the outside received for a flow: from which address and port. */
export type OutsideDatagram = (from: string, fromPort: number, payload: Uint8Array) => void;

/** Why the outside has no way to a destination, in words for whoever looks (the inspector, a log). */
export class OutsideRefused extends Error {}

export interface Outside {
  /** Opens a TCP connection to host:port; `connected` once it is. Throws OutsideRefused when there is no way out. */
  connectTcp(host: string, port: number, connected: () => void): HostStream;
  /** A UDP socket whose datagrams come back through `received`; `failed` when it breaks. Throws OutsideRefused when there is none. */
  openUdp(received: OutsideDatagram, failed: () => void): OutsideUdp;
  /** The answer to one DNS query datagram, or null when it is none we can answer. */
  answerDns(query: Uint8Array): Promise<Uint8Array | null>;
}
