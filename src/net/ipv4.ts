// IPv4 datagrams (RFC 791). The stack sends unfragmented datagrams with no
// options; it accepts options but not fragments (the guest's path MTU is the
// link's, so it never needs to fragment what it sends us).

import { readIp, writeIp } from './addresses.ts';
import { checksum } from '../devices/inet-checksum.ts';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  payload: Uint8Array;
}

/** Why a datagram was not taken, or the datagram (payload is a view of `p`). */
export function parseIpv4(p: Uint8Array): Ipv4Packet | string {
  if (p.length < 20 || p[0]! >> 4 !== 4) return 'not IPv4';
  const headerLength = (p[0]! & 15) * 4;
  const totalLength = (p[2]! << 8) | p[3]!;
  if (headerLength < 20 || totalLength < headerLength || totalLength > p.length) return 'bad length';
  if (checksum(p, 0, headerLength) !== 0) return 'bad header checksum';
  const fragment = ((p[6]! << 8) | p[7]!) & 0x3fff; // MF and the offset
  if (fragment !== 0) return 'fragment';
  return { src: readIp(p, 12), dst: readIp(p, 16), protocol: p[9]!, ttl: p[8]!, payload: p.subarray(headerLength, totalLength) };
}

let nextId = 1;

export function buildIpv4(src: number, dst: number, protocol: number, payload: Uint8Array, ttl = 64): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  const length = p.length;
  const id = nextId++ & 0xffff;
  p.set([0x45, 0, length >>> 8, length & 255, id >>> 8, id & 255, 0x40 /* DF */, 0, ttl, protocol]);
  writeIp(p, 12, src);
  writeIp(p, 16, dst);
  const c = checksum(p, 0, 20);
  p[10] = c >>> 8;
  p[11] = c & 255;
  p.set(payload, 20);
  return p;
}
