// Ethernet II frames (IEEE 802.3 with an EtherType): destination, source,
// type, payload. The virtio-net device hands whole frames without the FCS.

import type { Mac } from './addresses.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHER_HEADER = 14;

export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  type: number;
  payload: Uint8Array;
}

/** The frame's fields (views into `frame`), or null when it is too short to be one. */
export function parseEthernet(frame: Uint8Array): EthernetFrame | null {
  if (frame.length < ETHER_HEADER) return null;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    type: (frame[12]! << 8) | frame[13]!,
    payload: frame.subarray(ETHER_HEADER),
  };
}

export function buildEthernet(dst: Mac, src: Mac, type: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETHER_HEADER + payload.length);
  frame.set(dst, 0);
  frame.set(src, 6);
  frame[12] = type >>> 8;
  frame[13] = type & 255;
  frame.set(payload, ETHER_HEADER);
  return frame;
}
