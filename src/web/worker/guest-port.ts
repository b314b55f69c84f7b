// One connection into a guest port, carried over a MessageChannel to the
// page's Service Worker (port-messages.ts): the stream user-net.ts's
// connectToGuest gives on one side, the channel on the other. The guest's
// bytes flow only as far ahead of the Service Worker's credit as
// RELAY_WINDOW: past it the stream is paused, and the guest's TCP window
// closes behind it. The other way, the Service Worker is told how much of
// what it sent the connection has taken (a request's body streams against
// that: port-messages.ts).

import type { HostStream } from '../../net/host-stream.ts';
import { RELAY_WINDOW, type FromGuest, type ToGuest } from '../port-messages.ts';

/** Relays `stream` and `channel` both ways until either end drops; `where` names the port in messages ("its port 8080"). */
export function bridgeGuestPort(stream: HostStream, channel: MessagePort, where: string): void {
  const send = (m: FromGuest) => channel.postMessage(m);
  /** Bytes sent that the Service Worker has not credited yet. */
  let ahead = 0;
  /** Bytes of the Service Worker's written to the connection, and of those the ones it was told were taken. */
  let written = 0;
  let told = 0;
  const tellTaken = () => {
    const taken = written - stream.buffered;
    if (taken > told) send({ taken: taken - told });
    told = Math.max(told, taken);
  };
  stream.listen({
    data: (data) => {
      send({ data });
      ahead += data.length;
      if (ahead >= RELAY_WINDOW) stream.pause();
    },
    end: () => send({ end: true }),
    abort: () => {
      send({ abort: `the guest refused or reset the connection to ${where} (does a server listen there?)` });
      channel.close();
    },
    drain: tellTaken,
  });
  channel.onmessage = (e: MessageEvent<ToGuest>) => {
    const m = e.data;
    if ('credit' in m) {
      ahead -= m.credit;
      if (stream.paused && ahead < RELAY_WINDOW) stream.resume();
    } else if ('data' in m) {
      stream.write(m.data);
      written += m.data.length;
      tellTaken();
    } else if ('end' in m) stream.end();
    else {
      stream.destroy();
      channel.close();
    }
  };
}

/** Answers a channel that cannot be connected with why, and closes it. */
export function refuseGuestPort(channel: MessagePort, why: string): void {
  channel.postMessage({ abort: why } satisfies FromGuest);
  channel.close();
}
