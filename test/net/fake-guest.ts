// A guest on the other end of a UserNet, driven by the test frame by frame:
// it sends frames it builds by hand and waits (with a deadline naming what it
// waited for) for the frames the stack delivers. Every frame both ways is
// kept for a pcap that tshark then checks independently of our parsers.

import { pcapHeader, pcapRecord } from '../../src/net/pcap.ts';
import { GATEWAY_MAC, UserNet } from '../../src/net/user-net.ts';
import { nodeOutside } from '../../src/net/node-outside.ts';
import type { Outside } from '../../src/net/outside.ts';
import { parseEthernet } from '../../src/net/ethernet.ts';
import { parseIpv4, PROTO_TCP, PROTO_UDP, buildIpv4 } from '../../src/net/ipv4.ts';
import { buildEthernet, ETHERTYPE_IPV4 } from '../../src/net/ethernet.ts';
import { parseTcp, buildTcp, type OutgoingSegment, type TcpSegment } from '../../src/net/tcp-segment.ts';
import { parseUdp, buildUdp, type UdpDatagram } from '../../src/net/udp.ts';
import { parseMac } from '../../src/net/addresses.ts';
import type { Resolve4 } from '../../src/net/dns.ts';

export const GUEST_MAC = parseMac('52:54:00:12:34:56');

export class FakeGuest {
  readonly net: UserNet;
  readonly inbox: Uint8Array[] = [];
  readonly pcap: Uint8Array[] = [pcapHeader()];
  private waiters: (() => void)[] = [];
  private time = 1_700_000_000_000;

  /** On the host's outside (its sockets, and `resolve4` or the host's resolver) unless another is given. */
  constructor(options: { resolve4?: Resolve4; outside?: Outside; refused?: (why: string) => void } = {}) {
    this.net = new UserNet(options.outside ?? nodeOutside(options), { guestMac: GUEST_MAC, refused: options.refused });
    this.net.capture = (f) => this.pcap.push(pcapRecord((this.time += 1), f));
    this.net.deliver = (f) => {
      this.inbox.push(f);
      for (const w of this.waiters.splice(0)) w();
    };
  }

  send(frame: Uint8Array): void {
    this.net.receive(frame);
  }

  sendIp(src: number, dst: number, protocol: number, payload: Uint8Array): void {
    this.send(buildEthernet(GATEWAY_MAC, GUEST_MAC, ETHERTYPE_IPV4, buildIpv4(src, dst, protocol, payload)));
  }

  sendTcp(src: number, dst: number, s: OutgoingSegment): void {
    this.sendIp(src, dst, PROTO_TCP, buildTcp(src, dst, s));
  }

  sendUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): void {
    this.sendIp(src, dst, PROTO_UDP, buildUdp(src, dst, srcPort, dstPort, payload));
  }

  /** The first delivered frame `pick` maps to a value (it is taken from the inbox). */
  async next<T>(what: string, pick: (frame: Uint8Array) => T | null, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = 0; i < this.inbox.length; i++) {
        const v = pick(this.inbox[i]!);
        if (v !== null) {
          this.inbox.splice(i, 1);
          return v;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the stack never delivered ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  nextTcp(what: string, port: number, pred: (s: TcpSegment) => boolean = () => true): Promise<TcpSegment> {
    return this.next(what, (f) => {
      const ip = ipOf(f);
      if (!ip || ip.protocol !== PROTO_TCP) return null;
      const s = parseTcp(ip.src, ip.dst, ip.payload);
      return s && s.dstPort === port && pred(s) ? s : null;
    });
  }

  nextUdp(what: string, port: number): Promise<UdpDatagram & { src: number }> {
    return this.next(what, (f) => {
      const ip = ipOf(f);
      if (!ip || ip.protocol !== PROTO_UDP) return null;
      const u = parseUdp(ip.src, ip.dst, ip.payload);
      return u && u.dstPort === port ? { ...u, src: ip.src } : null;
    });
  }

  pcapBytes(): Buffer {
    return Buffer.concat(this.pcap);
  }
}

function ipOf(frame: Uint8Array) {
  const eth = parseEthernet(frame);
  if (!eth || eth.type !== ETHERTYPE_IPV4) return null;
  const ip = parseIpv4(eth.payload);
  return typeof ip === 'string' ? null : ip;
}
