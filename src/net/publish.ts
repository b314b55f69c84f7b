// Publishing a guest port on the host (-p HOSTPORT:PORT[/udp]): a TCP
// listener on the host whose connections the user-mode network forwards into
// the guest, as QEMU's hostfwd does, or a UDP socket whose datagrams it
// forwards (and the guest's answers back). Loopback only unless an address
// is asked for.

import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { ipToString } from './addresses.ts';
import { socketStream } from './node-outside.ts';
import type { UserNet } from './user-net.ts';

export interface Publication {
  /** The host address listened on (127.0.0.1 unless asked). */
  hostAddress: string;
  /** The host port; 0 picks a free one. */
  hostPort: number;
  /** Where in the guest connections go. */
  guestIp: number;
  guestPort: number;
  protocol?: 'tcp' | 'udp';
}

/** A publication's host end, listening. */
export interface Listener {
  close(): void;
}

/** Why a listen failed, in words that name the port. */
function listenError(p: Publication, e: NodeJS.ErrnoException): Error {
  const where = `${p.hostAddress}:${p.hostPort}`;
  if (e.code === 'EADDRINUSE') return new Error(`cannot publish ${where}: the port is already in use`);
  if (e.code === 'EACCES') return new Error(`cannot publish ${where}: ports below 1024 need root (or CAP_NET_BIND_SERVICE)`);
  if (e.code === 'EADDRNOTAVAIL') return new Error(`cannot publish ${where}: no interface on this host has that address`);
  return new Error(`cannot publish ${where}: ${e.message}`);
}

/** Listens on the host and forwards each connection to the guest; resolves with the listener (its port when 0 was asked). */
export function publishTcp(net: UserNet, p: Publication): Promise<{ server: Server; hostPort: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true }, (socket) => net.forwardTcp(socketStream(socket), p.guestIp, p.guestPort));
    server.once('error', (e) => reject(listenError(p, e as NodeJS.ErrnoException)));
    server.listen(p.hostPort, p.hostAddress, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : p.hostPort;
      server.on('error', () => {}); // after listening, errors belong to connections
      resolve({ server, hostPort: port });
    });
  });
}

/** Binds a UDP socket on the host whose datagrams go to the guest; resolves with it (its port when 0 was asked). */
export function publishUdp(net: UserNet, p: Publication): Promise<{ server: Listener; hostPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (e) => reject(listenError(p, e as NodeJS.ErrnoException)));
    socket.on('message', (payload, client) => net.forwardUdp(socket, client, p.guestIp, p.guestPort, payload));
    socket.bind(p.hostPort, p.hostAddress, () => {
      socket.on('error', () => {}); // after binding, a send's error belongs to that datagram
      resolve({ server: { close: () => socket.close() }, hostPort: socket.address().port });
    });
  });
}

/** Publishes a port by its protocol (TCP unless UDP is asked). */
export function publish(net: UserNet, p: Publication): Promise<{ server: Listener; hostPort: number }> {
  return p.protocol === 'udp' ? publishUdp(net, p) : publishTcp(net, p);
}

export function describePublication(p: Publication): string {
  return `${p.hostAddress}:${p.hostPort} -> ${ipToString(p.guestIp)}:${p.guestPort}/${p.protocol ?? 'tcp'}`;
}
