// The outside in a browser page: there is none. A page has no TCP or UDP
// sockets, so the guest's outbound connections are reset and its datagrams
// answered "destination unreachable" (user-net.ts does both when this
// refuses), each with the reason given to `refused` (the worker logs it),
// and every DNS name is answered "no such name" at once, so the guest's
// programs fail fast instead of waiting out their timeouts. What the page
// can do is reach into the guest: published ports (user-net.ts's
// connectToGuest) need no outside.

import { OutsideRefused, type Outside } from './outside.ts';

const NO_SOCKETS = 'a browser page has no TCP or UDP sockets: the guest can be reached from the page (published ports), but reaches nothing outside';

/** A DNS query datagram turned into its NXDOMAIN response (header only changes: a query has no answer records). */
export function nxdomain(query: Uint8Array): Uint8Array | null {
  const QR = 0x80;
  if (query.length < 12 || query[2] & QR || (query[2] >> 3) & 0x0f) return null; // not a standard query
  const answer = query.slice();
  answer[2] |= QR;
  answer[3] = 0x80 | 3; // recursion available, NXDOMAIN
  return answer;
}

export function browserOutside(): Outside {
  return {
    connectTcp(host, port) {
      throw new OutsideRefused(`TCP to ${host}:${port} refused: ${NO_SOCKETS}`);
    },
    openUdp() {
      throw new OutsideRefused(`UDP refused: ${NO_SOCKETS}`);
    },
    answerDns: async (query) => nxdomain(query),
  };
}
