// ICMP (RFC 792): the stack answers pings to the addresses it owns, so
// `ping 10.0.2.2` in the guest shows the link works (pings beyond it would
// need raw sockets on the host, which an unprivileged process lacks), and it
// says "destination unreachable" for a UDP datagram it has no way out for (a
// browser page's), so the guest's program gets an error at once instead of
// waiting out its own timeout.

import { checksum } from '../devices/inet-checksum.ts';

const ECHO_REPLY = 0;
const DEST_UNREACHABLE = 3;
const ECHO_REQUEST = 8;
/** Communication administratively prohibited (RFC 1812 5.2.7.1): Linux makes it a hard error, EHOSTUNREACH, on a connected socket. */
export const UNREACHABLE_PROHIBITED = 13;

/** The echo reply to an ICMP message, or null when it is not an echo request. */
export function echoReply(icmp: Uint8Array): Uint8Array | null {
  if (icmp.length < 8 || icmp[0] !== ECHO_REQUEST || checksum(icmp) !== 0) return null;
  const reply = icmp.slice();
  reply[0] = ECHO_REPLY;
  reply[2] = reply[3] = 0;
  return withChecksum(reply);
}

/** Destination unreachable with `code` for an IPv4 datagram: its header and first 8 bytes of payload quoted, as the sender's stack matches them to a socket. */
export function unreachable(datagram: Uint8Array, code: number): Uint8Array {
  const quoted = datagram.subarray(0, (datagram[0]! & 15) * 4 + 8);
  const message = new Uint8Array(8 + quoted.length);
  message[0] = DEST_UNREACHABLE;
  message[1] = code;
  message.set(quoted, 8);
  return withChecksum(message);
}

function withChecksum(message: Uint8Array): Uint8Array {
  const c = checksum(message);
  message[2] = c >>> 8;
  message[3] = c & 255;
  return message;
}
