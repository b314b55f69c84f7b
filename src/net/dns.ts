// The DNS server at the stack's DNS address: it answers the guest's A
// queries through the host's own resolver (node:dns lookup, so /etc/hosts and
// the host's resolv.conf both apply, as for any host program), NXDOMAIN for
// names the host cannot resolve, and an empty answer for other types (AAAA:
// the link has no IPv6), so resolvers fall back at once instead of timing out.
// The wire format is dns-packet's.

import { lookup } from 'node:dns/promises';
import dnsPacket from 'dns-packet';

/** Resolves a name to IPv4 addresses; [] when it has none. */
export type Resolve4 = (name: string) => Promise<string[]>;

export const hostResolve4: Resolve4 = async (name) => {
  try {
    return (await lookup(name, { family: 4, all: true })).map((a) => a.address);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME') return [];
    throw e;
  }
};

/** The response to one query datagram, or null when it is not a query we can decode. */
export async function dnsAnswer(query: Uint8Array, resolve4: Resolve4): Promise<Uint8Array | null> {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(Buffer.from(query));
  } catch {
    return null;
  }
  if (q.type !== 'query' || !q.questions?.length) return null;
  const answers: dnsPacket.Answer[] = [];
  let rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' = 'NOERROR';
  for (const question of q.questions) {
    if (question.type !== 'A') continue;
    try {
      const addresses = await resolve4(question.name);
      if (addresses.length === 0) rcode = 'NXDOMAIN';
      for (const data of addresses) answers.push({ type: 'A', name: question.name, ttl: 60, data });
    } catch {
      rcode = 'SERVFAIL';
    }
  }
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcodeBits[rcode];
  return dnsPacket.encode({ type: 'response', id: q.id, flags, questions: q.questions, answers });
}

const rcodeBits = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };
