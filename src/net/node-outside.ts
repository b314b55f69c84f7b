// The outside in Node: the host's own sockets (net, dgram) and its resolver,
// so the guest reaches what any host program reaches.

import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { dnsAnswer, hostResolve4, type Resolve4 } from './dns.ts';
import type { HostStream, HostStreamEvents } from './host-stream.ts';
import type { Outside } from './outside.ts';

/** A Node socket as a host stream; a close that did not end cleanly aborts. */
export function socketStream(socket: Socket): HostStream {
  let ended = false;
  return {
    listen(ev: HostStreamEvents) {
      socket.on('data', (d: Buffer) => ev.data(d));
      socket.on('end', () => {
        ended = true;
        ev.end();
      });
      socket.on('error', () => ev.abort());
      socket.on('close', () => ended || ev.abort());
      socket.on('drain', () => ev.drain());
    },
    write: (bytes) => void (socket.destroyed || socket.write(bytes)),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    get paused() {
      return socket.isPaused();
    },
    get buffered() {
      return socket.writableLength;
    },
    get destroyed() {
      return socket.destroyed;
    },
  };
}

/** The host's sockets and resolver (`resolve4`, default the host's, answers the guest's DNS queries). */
export function nodeOutside(options: { resolve4?: Resolve4 } = {}): Outside {
  const resolve4 = options.resolve4 ?? hostResolve4;
  return {
    connectTcp(host, port, connected) {
      const socket = connect({ host, port, allowHalfOpen: true });
      socket.once('connect', connected);
      return socketStream(socket);
    },
    openUdp(received, failed) {
      const socket = createSocket('udp4');
      socket.on('message', (msg, rinfo) => received(rinfo.address, rinfo.port, msg));
      socket.on('error', failed);
      socket.unref();
      return { send: (payload, port, address) => socket.send(payload, port, address), close: () => socket.close() };
    },
    answerDns: (query) => dnsAnswer(query, resolve4),
  };
}
