// A DHCP server for the one guest on the link (RFC 2131, options RFC 2132):
// DISCOVER gets an OFFER, REQUEST an ACK, always of the same address, with
// the gateway, the DNS server and a lease of a day. The guest's udhcpc asks
// at boot; nothing else on the link needs an address from us.

import { readIp, writeIp } from './addresses.ts';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const MAGIC = 0x63825363;
const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const ACK = 5;
const NAK = 6;
const RELEASE = 7;

export interface DhcpConfig {
  serverIp: number;
  clientIp: number;
  netmask: number;
  gateway: number;
  dns: number;
  leaseSeconds: number;
}

interface DhcpRequest {
  type: number;
  xid: Uint8Array;
  chaddr: Uint8Array;
  flags: number;
  requestedIp: number | null;
}

function parse(p: Uint8Array): DhcpRequest | null {
  if (p.length < 240 || p[0] !== 1 /* BOOTREQUEST */ || readIp(p, 236) !== MAGIC) return null;
  let type = 0;
  let requestedIp: number | null = null;
  for (let i = 240; i < p.length; ) {
    const code = p[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = p[i + 1] ?? 0;
    if (i + 2 + len > p.length) return null;
    if (code === 53 && len === 1) type = p[i + 2]!;
    if (code === 50 && len === 4) requestedIp = readIp(p, i + 2);
    i += 2 + len;
  }
  return { type, xid: p.slice(4, 8), chaddr: p.slice(28, 44), flags: (p[10]! << 8) | p[11]!, requestedIp };
}

function reply(req: DhcpRequest, type: number, c: DhcpConfig): Uint8Array {
  const p = new Uint8Array(300);
  p[0] = 2; // BOOTREPLY
  p[1] = 1; // Ethernet
  p[2] = 6;
  p.set(req.xid, 4);
  p[10] = req.flags >>> 8;
  p[11] = req.flags & 255;
  if (type !== NAK) writeIp(p, 16, c.clientIp); // yiaddr
  writeIp(p, 20, c.serverIp); // siaddr
  p.set(req.chaddr, 28);
  writeIp(p, 236, MAGIC);
  let i = 240;
  const option = (code: number, bytes: number[]) => {
    p[i++] = code;
    p[i++] = bytes.length;
    for (const b of bytes) p[i++] = b;
  };
  const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  option(53, [type]);
  option(54, ip(c.serverIp));
  if (type !== NAK) {
    option(51, ip(c.leaseSeconds));
    option(1, ip(c.netmask));
    option(3, ip(c.gateway));
    option(6, ip(c.dns));
  }
  p[i++] = 255;
  return p;
}

/** The server's answer to a client's message, or null when it needs none. */
export function dhcpAnswer(payload: Uint8Array, c: DhcpConfig): Uint8Array | null {
  const req = parse(payload);
  if (!req) return null;
  if (req.type === DISCOVER) return reply(req, OFFER, c);
  if (req.type === REQUEST) return reply(req, req.requestedIp === null || req.requestedIp === c.clientIp ? ACK : NAK, c);
  if (req.type === RELEASE) return null;
  return null;
}
