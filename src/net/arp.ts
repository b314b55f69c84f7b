// ARP for IPv4 over Ethernet (RFC 826): the stack answers requests for the
// addresses it owns (the gateway, the DNS server) and learns the guest's MAC
// from whatever the guest sends.

import { readIp, writeIp, type Mac } from './addresses.ts';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: number;
  targetMac: Mac;
  targetIp: number;
}

/** An Ethernet/IPv4 ARP packet, or null for anything else. */
export function parseArp(p: Uint8Array): ArpPacket | null {
  if (p.length < 28) return null;
  const htype = (p[0]! << 8) | p[1]!;
  const ptype = (p[2]! << 8) | p[3]!;
  if (htype !== 1 || ptype !== 0x0800 || p[4] !== 6 || p[5] !== 4) return null;
  return {
    op: (p[6]! << 8) | p[7]!,
    senderMac: p.slice(8, 14),
    senderIp: readIp(p, 14),
    targetMac: p.slice(18, 24),
    targetIp: readIp(p, 24),
  };
}

export function buildArp(a: ArpPacket): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0, 1, 0x08, 0x00, 6, 4, a.op >>> 8, a.op & 255]);
  p.set(a.senderMac, 8);
  writeIp(p, 14, a.senderIp);
  p.set(a.targetMac, 18);
  writeIp(p, 24, a.targetIp);
  return p;
}
