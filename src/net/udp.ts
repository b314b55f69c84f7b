// UDP datagrams (RFC 768).

import { transportChecksum } from '../devices/inet-checksum.ts';
import { PROTO_UDP } from './ipv4.ts';

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** The datagram (payload a view), or null when it is malformed or its checksum is wrong. */
export function parseUdp(src: number, dst: number, p: Uint8Array): UdpDatagram | null {
  if (p.length < 8) return null;
  const length = (p[4]! << 8) | p[5]!;
  if (length < 8 || length > p.length) return null;
  const seg = p.subarray(0, length);
  const sum = (p[6]! << 8) | p[7]!;
  if (sum !== 0 && transportChecksum(src, dst, PROTO_UDP, seg) !== 0) return null;
  return { srcPort: (p[0]! << 8) | p[1]!, dstPort: (p[2]! << 8) | p[3]!, payload: seg.subarray(8) };
}

export function buildUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + payload.length);
  p.set([srcPort >>> 8, srcPort & 255, dstPort >>> 8, dstPort & 255, p.length >>> 8, p.length & 255]);
  p.set(payload, 8);
  const c = transportChecksum(src, dst, PROTO_UDP, p) || 0xffff; // 0 means "no checksum"
  p[6] = c >>> 8;
  p[7] = c & 255;
  return p;
}
