// ICMP echo (RFC 792): the stack answers pings to the addresses it owns, so
// `ping 10.0.2.2` in the guest shows the link works. Pings beyond it would
// need raw sockets on the host, which an unprivileged process lacks.

import { checksum } from '../devices/inet-checksum.ts';

const ECHO_REPLY = 0;
const ECHO_REQUEST = 8;

/** The echo reply to an ICMP message, or null when it is not an echo request. */
export function echoReply(icmp: Uint8Array): Uint8Array | null {
  if (icmp.length < 8 || icmp[0] !== ECHO_REQUEST || checksum(icmp) !== 0) return null;
  const reply = icmp.slice();
  reply[0] = ECHO_REPLY;
  reply[2] = reply[3] = 0;
  const c = checksum(reply);
  reply[2] = c >>> 8;
  reply[3] = c & 255;
  return reply;
}
