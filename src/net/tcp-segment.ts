// TCP segments (RFC 793, options RFC 7323 / RFC 879): the header fields the
// NAT uses, the MSS option, and building a segment with its checksum.

import { transportChecksum } from '../devices/inet-checksum.ts';
import { PROTO_TCP } from './ipv4.ts';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** The header fields both ways. */
interface SegmentHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
}

export interface TcpSegment extends SegmentHeader {
  /** The MSS option of a SYN, or null. */
  mss: number | null;
  payload: Uint8Array;
}

/** The segment (payload a view), or null when it is malformed or its checksum is wrong. */
export function parseTcp(src: number, dst: number, p: Uint8Array): TcpSegment | null {
  if (p.length < 20) return null;
  const offset = (p[12]! >> 4) * 4;
  if (offset < 20 || offset > p.length) return null;
  if (transportChecksum(src, dst, PROTO_TCP, p) !== 0) return null;
  let mss: number | null = null;
  for (let i = 20; i < offset; ) {
    const kind = p[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = p[i + 1] ?? 0;
    if (len < 2 || i + len > offset) break;
    if (kind === 2 && len === 4) mss = (p[i + 2]! << 8) | p[i + 3]!;
    i += len;
  }
  const u32 = (at: number) => ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
  return {
    srcPort: (p[0]! << 8) | p[1]!,
    dstPort: (p[2]! << 8) | p[3]!,
    seq: u32(4),
    ack: u32(8),
    flags: p[13]! & 0x3f,
    window: (p[14]! << 8) | p[15]!,
    mss,
    payload: p.subarray(offset),
  };
}

export interface OutgoingSegment extends SegmentHeader {
  mss?: number;
  payload?: Uint8Array;
}

export function buildTcp(src: number, dst: number, s: OutgoingSegment): Uint8Array {
  const header = s.mss === undefined ? 20 : 24;
  const payload = s.payload ?? new Uint8Array(0);
  const p = new Uint8Array(header + payload.length);
  const put32 = (at: number, v: number) => p.set([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255], at);
  p.set([s.srcPort >>> 8, s.srcPort & 255, s.dstPort >>> 8, s.dstPort & 255]);
  put32(4, s.seq >>> 0);
  put32(8, s.ack >>> 0);
  p[12] = (header / 4) << 4;
  p[13] = s.flags;
  p[14] = s.window >>> 8;
  p[15] = s.window & 255;
  if (s.mss !== undefined) p.set([2, 4, s.mss >>> 8, s.mss & 255], 20);
  p.set(payload, header);
  const c = transportChecksum(src, dst, PROTO_TCP, p);
  p[16] = c >>> 8;
  p[17] = c & 255;
  return p;
}

/** a - b in sequence space (RFC 1982 style): negative when a is before b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
