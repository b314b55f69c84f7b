// One connection into a guest port, carried over a MessageChannel to the
// page's Service Worker (port-messages.ts): the stream user-net.ts's
// connectToGuest gives on one side, the channel on the other.

import type { HostStream } from '../../net/host-stream.ts';
import type { FromGuest, ToGuest } from '../port-messages.ts';

/** Relays `stream` and `channel` both ways until either end drops. */
export function bridgeGuestPort(stream: HostStream, channel: MessagePort, guestPort: number): void {
  const send = (m: FromGuest) => channel.postMessage(m);
  stream.listen({
    data: (data) => send({ data }),
    end: () => send({ end: true }),
    abort: () => {
      send({ abort: `the guest refused or reset the connection to its port ${guestPort} (does a server listen there?)` });
      channel.close();
    },
    drain: () => {},
  });
  channel.onmessage = (e: MessageEvent<ToGuest>) => {
    const m = e.data;
    if ('data' in m) stream.write(m.data);
    else if ('end' in m) stream.end();
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
