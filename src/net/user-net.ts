// The host end of the guest's network link: a user-mode router with NAT, in
// the manner of QEMU's user networking. The guest's NIC hands it Ethernet
// frames; it answers ARP for its own addresses, DHCP and DNS itself, pings to
// its addresses, and carries TCP and UDP out through the outside it is given
// (outside.ts: the host's sockets in Node, none in a browser page), so the
// guest needs no privileges on the host and nothing listens on the host
// unless a port is published (forwardTcp, connectToGuest).
//
// The plan (QEMU's): 10.0.2.0/24, the gateway 10.0.2.2 (which is the host's
// loopback: a connection to 10.0.2.2:8080 reaches 127.0.0.1:8080), the DNS
// server 10.0.2.3, the guest 10.0.2.15. Any other source address the guest
// sends from is routed too: containers on a bridge in the guest keep their
// own addresses, and this end sends their replies to the guest's MAC, which
// routes them on (no NAT needed inside the guest).

import type { NetBackend } from '../devices/virtio/net.ts';
import { BROADCAST_MAC, ipToString, parseIp, parseMac, sameMac, type Mac } from './addresses.ts';
import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from './arp.ts';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, dhcpAnswer } from './dhcp.ts';
import { buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { echoReply, unreachable, UNREACHABLE_PROHIBITED } from './icmp.ts';
import { buildIpv4, parseIpv4, PROTO_ICMP, PROTO_TCP, PROTO_UDP } from './ipv4.ts';
import { streamPair, type HostStream } from './host-stream.ts';
import { OutsideRefused, type Outside } from './outside.ts';
import { TcpConnection, type TcpEndpoints, type TcpLink } from './tcp-connection.ts';
import { ACK, buildTcp, RST, SYN, parseTcp, type TcpSegment } from './tcp-segment.ts';
import { buildUdp, parseUdp } from './udp.ts';
import { UdpNat } from './udp-nat.ts';
import { UdpForwards } from './udp-forward.ts';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';

export const NET_PLAN = {
  network: parseIp('10.0.2.0'),
  netmask: parseIp('255.255.255.0'),
  gateway: parseIp('10.0.2.2'),
  dns: parseIp('10.0.2.3'),
  guest: parseIp('10.0.2.15'),
} as const;

/** The MAC this end answers with (locally administered). */
export const GATEWAY_MAC: Mac = parseMac('52:55:0a:00:02:02');

const LOOPBACK = '127.0.0.1';
const FIRST_FORWARD_PORT = 40000;

export interface UserNetOptions {
  /** Hears why the outside refused a guest's connection or datagram (a browser page has no sockets). */
  refused?: (why: string) => void;
  /** The guest NIC's MAC, when known before the guest sends anything (else learned from its frames). */
  guestMac?: Mac;
}

/** Frames and bytes each way, and what was dropped (malformed, unroutable). */
export interface LinkCounters {
  fromGuestFrames: number;
  fromGuestBytes: number;
  toGuestFrames: number;
  toGuestBytes: number;
  dropped: number;
}

export class UserNet implements TcpLink, NetBackend {
  /** Where frames for the guest go (the NIC's receive side). */
  deliver: (frame: Uint8Array) => void = () => {};
  /** Sees every frame both ways (a packet capture). */
  capture: ((frame: Uint8Array) => void) | null = null;
  readonly counters: LinkCounters = { fromGuestFrames: 0, fromGuestBytes: 0, toGuestFrames: 0, toGuestBytes: 0, dropped: 0 };

  private guestMac: Mac | null = null;
  private readonly tcp = new Map<string, TcpConnection>();
  private readonly udp: UdpNat;
  private readonly udpForwards: UdpForwards;
  private nextForwardPort = FIRST_FORWARD_PORT;
  private lookups = 0;
  private closedAll = false;

  constructor(
    private readonly outside: Outside,
    private readonly options: UserNetOptions = {},
  ) {
    this.guestMac = options.guestMac ?? null;
    this.udp = new UdpNat(outside, (guestIp, guestPort, from, fromPort, payload) => {
      const src = from === LOOPBACK ? NET_PLAN.gateway : parseIp(from);
      this.sendIp(src, guestIp, PROTO_UDP, buildUdp(src, guestIp, fromPort, guestPort, payload));
    });
    this.udpForwards = new UdpForwards((gatewayPort, guestIp, guestPort, payload) => {
      const src = NET_PLAN.gateway;
      this.sendIp(src, guestIp, PROTO_UDP, buildUdp(src, guestIp, gatewayPort, guestPort, payload));
    });
  }

  /** A frame the guest sent. */
  receive(frame: Uint8Array): void {
    if (this.closedAll) return;
    this.counters.fromGuestFrames++;
    this.counters.fromGuestBytes += frame.length;
    this.capture?.(frame);
    const eth = parseEthernet(frame);
    if (!eth) return this.drop();
    if (!sameMac(eth.dst, GATEWAY_MAC) && !sameMac(eth.dst, BROADCAST_MAC)) return; // not for us
    this.guestMac = eth.src.slice();
    if (eth.type === ETHERTYPE_ARP) return this.arp(eth.payload);
    if (eth.type !== ETHERTYPE_IPV4) return this.drop();
    const ip = parseIpv4(eth.payload);
    if (typeof ip === 'string') return this.drop();
    if (ip.protocol === PROTO_UDP) return this.udpIn(ip.src, ip.dst, ip.payload, eth.payload);
    if (ip.protocol === PROTO_TCP) return this.tcpIn(ip.src, ip.dst, ip.payload);
    if (ip.protocol === PROTO_ICMP && this.ownsAddress(ip.dst)) {
      const reply = echoReply(ip.payload);
      if (reply) return this.sendIp(ip.dst, ip.src, PROTO_ICMP, reply);
    }
    this.drop();
  }

  /**
   * Forwards a connection a host listener accepted to guestIp:guestPort (a
   * published port). The guest sees it come from the gateway; the stream is
   * paused until the guest accepts, and aborted if it refuses.
   */
  forwardTcp(stream: HostStream, guestIp: number, guestPort: number): void {
    if (this.closedAll) return stream.destroy();
    const ends = { guestIp, guestPort, peerIp: NET_PLAN.gateway, peerPort: this.forwardPort() };
    this.tcp.set(keyOf(ends), new TcpConnection(ends, stream, this, 'syn-sent'));
  }

  /**
   * Opens a connection into guestIp:guestPort for a caller with no socket
   * (the browser page's requests to a published port): the caller's end of
   * the byte stream, whose bytes are sent once the guest accepts, and which
   * is aborted if it refuses.
   */
  connectToGuest(guestIp: number, guestPort: number): HostStream {
    const [caller, ours] = streamPair();
    this.forwardTcp(ours, guestIp, guestPort);
    return caller;
  }

  /**
   * Forwards a datagram a published UDP port's host socket received to
   * guestIp:guestPort; the guest's answer goes back to `client` through
   * `socket`. The guest sees it come from the gateway.
   */
  forwardUdp(socket: UdpSocket, client: RemoteInfo, guestIp: number, guestPort: number, payload: Uint8Array): void {
    if (!this.closedAll) this.udpForwards.fromHost(socket, client, guestIp, guestPort, payload);
  }

  /** Open TCP connections and UDP flows, outbound and published (for the inspector and tests). */
  get flows(): { tcp: number; udp: number } {
    return { tcp: this.tcp.size, udp: this.udp.size + this.udpForwards.size };
  }

  stats(): Record<string, number> {
    return { ...this.counters, tcpFlows: this.tcp.size, udpFlows: this.flows.udp, lookups: this.lookups };
  }

  /** Whether the guest may be waiting on a host answer: a lookup, a connection, a UDP flow. */
  hostWaiting(): boolean {
    return this.lookups > 0 || this.tcp.size > 0 || this.flows.udp > 0;
  }

  /** Closes every host socket; the link drops whatever comes after. */
  close(): void {
    this.closedAll = true;
    for (const c of [...this.tcp.values()]) c.reset();
    this.udp.close();
    this.udpForwards.close();
  }

  send(c: TcpConnection, s: Parameters<TcpLink['send']>[1]): void {
    const { guestIp, guestPort, peerIp, peerPort } = c.ends;
    this.sendIp(peerIp, guestIp, PROTO_TCP, buildTcp(peerIp, guestIp, { ...s, srcPort: peerPort, dstPort: guestPort }));
  }

  closed(c: TcpConnection): void {
    this.tcp.delete(keyOf(c.ends));
  }

  private ownsAddress(ip: number): boolean {
    return ip === NET_PLAN.gateway || ip === NET_PLAN.dns;
  }

  private arp(payload: Uint8Array): void {
    const a = parseArp(payload);
    if (!a || a.op !== ARP_REQUEST || !this.ownsAddress(a.targetIp)) return;
    const reply = buildArp({ op: ARP_REPLY, senderMac: GATEWAY_MAC, senderIp: a.targetIp, targetMac: a.senderMac, targetIp: a.senderIp });
    this.emit(a.senderMac, ETHERTYPE_ARP, reply);
  }

  /** A UDP datagram from the guest (`datagram`: all of it, which an ICMP error quotes). */
  private udpIn(src: number, dst: number, payload: Uint8Array, datagram: Uint8Array): void {
    const u = parseUdp(src, dst, payload);
    if (!u) return this.drop();
    if (u.dstPort === DHCP_SERVER_PORT) {
      const answer = dhcpAnswer(u.payload, {
        serverIp: NET_PLAN.gateway,
        clientIp: NET_PLAN.guest,
        netmask: NET_PLAN.netmask,
        gateway: NET_PLAN.gateway,
        dns: NET_PLAN.dns,
        leaseSeconds: 86400,
      });
      // The client has no address yet: the answer goes to the broadcast address.
      if (answer) this.sendIp(NET_PLAN.gateway, 0xffffffff, PROTO_UDP, buildUdp(NET_PLAN.gateway, 0xffffffff, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, answer));
      return;
    }
    if (dst === NET_PLAN.dns) {
      if (u.dstPort !== 53) return this.drop();
      this.lookups++;
      const query = u.payload.slice();
      void this.outside.answerDns(query).then(
        (answer) => {
          this.lookups--;
          if (answer && !this.closedAll) this.sendIp(dst, src, PROTO_UDP, buildUdp(dst, src, 53, u.srcPort, answer));
        },
        () => this.lookups--,
      );
      return;
    }
    if (dst === NET_PLAN.gateway && this.udpForwards.fromGuest(src, u.srcPort, u.dstPort, u.payload.slice())) return;
    const host = this.hostAddress(dst);
    if (host === null) return this.drop();
    try {
      this.udp.send(src, u.srcPort, host, u.dstPort, u.payload.slice());
    } catch (e) {
      if (!(e instanceof OutsideRefused)) throw e;
      this.options.refused?.(e.message);
      this.drop();
      // Said to the guest too, from the gateway, as a router on the way would.
      this.sendIp(NET_PLAN.gateway, src, PROTO_ICMP, unreachable(datagram, UNREACHABLE_PROHIBITED));
    }
  }

  private tcpIn(src: number, dst: number, payload: Uint8Array): void {
    const s = parseTcp(src, dst, payload);
    if (!s) return this.drop();
    const ends = { guestIp: src, guestPort: s.srcPort, peerIp: dst, peerPort: s.dstPort };
    const existing = this.tcp.get(keyOf(ends));
    if (existing) return existing.fromGuest(s);
    if ((s.flags & (SYN | ACK | RST)) !== SYN) return this.refuse(ends, s);
    const host = this.hostAddress(dst);
    if (host === null) return this.refuse(ends, s);
    let c: TcpConnection | undefined;
    let stream: HostStream;
    try {
      stream = this.outside.connectTcp(host, s.dstPort, () => c?.hostConnected());
    } catch (e) {
      if (!(e instanceof OutsideRefused)) throw e;
      this.options.refused?.(e.message);
      return this.refuse(ends, s);
    }
    c = new TcpConnection(ends, stream, this, 'connecting');
    c.acceptSyn(s);
    this.tcp.set(keyOf(ends), c);
  }

  /** RST for a segment no connection takes (RFC 793's reset generation). */
  private refuse(e: TcpEndpoints, s: TcpSegment): void {
    if (s.flags & RST) return;
    const seq = s.flags & ACK ? s.ack : 0;
    const ack = (s.seq + s.payload.length + (s.flags & SYN ? 1 : 0)) >>> 0;
    const segment = buildTcp(e.peerIp, e.guestIp, { srcPort: e.peerPort, dstPort: e.guestPort, seq, ack, flags: RST | ACK, window: 0 });
    this.sendIp(e.peerIp, e.guestIp, PROTO_TCP, segment);
  }

  /** The host address a guest destination maps to, or null when it is ours or on the link. */
  private hostAddress(dst: number): string | null {
    if (dst === NET_PLAN.gateway) return LOOPBACK;
    if ((dst & NET_PLAN.netmask) >>> 0 === NET_PLAN.network) return null;
    if (dst >>> 24 === 127 || dst === 0xffffffff || dst >>> 28 === 14) return null; // loopback, broadcast, multicast
    return ipToString(dst);
  }

  private forwardPort(): number {
    for (;;) {
      const port = this.nextForwardPort;
      this.nextForwardPort = port >= 65535 ? FIRST_FORWARD_PORT : port + 1;
      if (![...this.tcp.values()].some((c) => c.ends.peerPort === port && c.ends.peerIp === NET_PLAN.gateway)) return port;
    }
  }

  private sendIp(src: number, dst: number, protocol: number, payload: Uint8Array): void {
    const mac = dst === 0xffffffff ? BROADCAST_MAC : this.guestMac;
    if (!mac) return this.drop();
    this.emit(mac, ETHERTYPE_IPV4, buildIpv4(src, dst, protocol, payload));
  }

  private emit(dst: Mac, type: number, payload: Uint8Array): void {
    if (this.closedAll) return;
    const frame = buildEthernet(dst, GATEWAY_MAC, type, payload);
    this.counters.toGuestFrames++;
    this.counters.toGuestBytes += frame.length;
    this.capture?.(frame);
    this.deliver(frame);
  }

  private drop(): void {
    this.counters.dropped++;
  }
}

function keyOf(e: TcpEndpoints): string {
  return `${e.guestIp}:${e.guestPort}>${e.peerIp}:${e.peerPort}`;
}
