// One TCP connection between the guest and the host, as user-mode NAT
// does it: the guest's TCP talks to this end, which relays the byte stream to
// a host stream (host-stream.ts: a socket in Node for the guest's outbound
// connections and published ports, or a caller's stream into the guest). The link to the guest never loses a frame (the NIC
// queues them until the guest takes them), so this end keeps little of TCP's
// machinery: in-order data only (the guest retransmits anything else), the
// guest's window respected, a go-back-N retransmission on a timer for the
// rare segment the guest's own stack drops, and no window scaling.

import type { HostStream } from './host-stream.ts';
import { ACK, FIN, PSH, RST, SYN, seqDiff, type OutgoingSegment, type TcpSegment } from './tcp-segment.ts';
import { concatBytes } from '../bytes.ts';

/** What this end sends its segments through (the stack, to the guest). */
export interface TcpLink {
  send(c: TcpConnection, s: Omit<OutgoingSegment, 'srcPort' | 'dstPort'>): void;
  closed(c: TcpConnection): void;
}

export interface TcpEndpoints {
  guestIp: number;
  guestPort: number;
  /** The address the guest sees on the other end. */
  peerIp: number;
  peerPort: number;
}

type State = 'connecting' | 'syn-sent' | 'syn-received' | 'established' | 'closed';

/** Our MSS: an Ethernet MTU less the IPv4 and TCP headers. */
export const LINK_MSS = 1460;
const MAX_WINDOW = 65535;
/** Host bytes held for the guest before the host stream is paused. */
const OUTBOX_HIGH = 1 << 20;
const RETRANSMIT_MS = 400;

let nextIss = 0x1000;

export class TcpConnection {
  state: State;
  private sndUna: number;
  private sndNxt: number;
  private rcvNxt = 0;
  private peerWindow = 0;
  private mss = 536;
  /** The host's bytes from sndUna on: sent but unacknowledged, then unsent. */
  private outbox: Uint8Array = new Uint8Array(0);
  private hostEnded = false;
  private finSent = false;
  private finAcked = false;
  private guestFin = false;
  private advertised = MAX_WINDOW;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly ends: TcpEndpoints,
    private readonly host: HostStream,
    private readonly link: TcpLink,
    initial: 'connecting' | 'syn-sent',
  ) {
    this.state = initial;
    this.sndUna = this.sndNxt = (nextIss += 0x10000) >>> 0;
    host.listen({
      data: (d) => this.fromHost(d),
      // A stream that ended cleanly still has its bytes in the outbox to deliver.
      end: () => {
        this.hostEnded = true;
        this.pump();
      },
      abort: () => this.reset(),
      // A window update once the host took what had narrowed our window.
      drain: () => this.state === 'established' && this.advertised < MAX_WINDOW && this.ackNow(),
    });
    if (initial === 'syn-sent') {
      host.pause();
      this.sendSyn();
    }
  }

  /** The guest's SYN that opened an outbound connection. */
  acceptSyn(s: TcpSegment): void {
    this.rcvNxt = (s.seq + 1) >>> 0;
    this.peerWindow = s.window;
    this.mss = Math.min(s.mss ?? 536, LINK_MSS);
  }

  /** The host end connected: answer the guest's SYN. */
  hostConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'syn-received';
    this.sendSyn();
  }

  private sendSyn(): void {
    const flags = this.state === 'syn-received' ? SYN | ACK : SYN;
    this.link.send(this, { seq: this.sndUna, ack: this.rcvNxt, flags, window: MAX_WINDOW, mss: LINK_MSS });
    this.sndNxt = (this.sndUna + 1) >>> 0;
    this.arm();
  }

  /** A segment from the guest for this connection. */
  fromGuest(s: TcpSegment): void {
    if (s.flags & RST) return this.close(true);
    if (this.state === 'connecting') return; // the guest retransmits its SYN; the host's connect is still going
    if (this.state === 'syn-sent') {
      if ((s.flags & (SYN | ACK)) !== (SYN | ACK) || s.ack !== this.sndNxt) return this.reset();
      this.rcvNxt = (s.seq + 1) >>> 0;
      this.mss = Math.min(s.mss ?? 536, LINK_MSS);
      this.establish(s);
      this.ackNow();
      this.host.resume();
      return;
    }
    if (s.flags & SYN) {
      // A retransmitted SYN: our SYN-ACK was lost or is late.
      if (this.state === 'syn-received') this.sendSyn();
      return;
    }
    if (!(s.flags & ACK)) return;
    if (this.state === 'syn-received') {
      if (s.ack !== this.sndNxt) return this.reset();
      this.establish(s);
    }
    this.takeAck(s);
    this.takeData(s);
    this.pump();
  }

  private establish(s: TcpSegment): void {
    this.state = 'established';
    this.sndUna = this.sndNxt;
    this.peerWindow = s.window;
    this.disarm();
  }

  private takeAck(s: TcpSegment): void {
    this.peerWindow = s.window;
    const acked = seqDiff(s.ack, this.sndUna);
    if (acked <= 0 || seqDiff(s.ack, this.sndNxt) > 0) return;
    const dataAcked = Math.min(acked, this.outbox.length);
    this.outbox = this.outbox.subarray(dataAcked);
    if (this.finSent && s.ack === this.sndNxt) this.finAcked = true;
    this.sndUna = s.ack;
    this.disarm();
    if (this.outbox.length < OUTBOX_HIGH / 4 && this.host.paused && !this.hostEnded) this.host.resume();
    if (this.finAcked && this.guestFin) this.close(false);
  }

  private takeData(s: TcpSegment): void {
    let payload = s.payload;
    const early = seqDiff(this.rcvNxt, s.seq); // bytes of this segment we already have
    if (early < 0) {
      if (payload.length > 0 || s.flags & FIN) this.ackNow(); // out of order: a duplicate ACK asks again
      return;
    }
    const fresh = payload.length - early;
    if (fresh > 0 && !this.guestFin) {
      payload = payload.subarray(early);
      if (!this.host.destroyed) this.host.write(payload);
      this.rcvNxt = (this.rcvNxt + payload.length) >>> 0;
    }
    const finHere = (s.flags & FIN) !== 0 && seqDiff((s.seq + s.payload.length) >>> 0, this.rcvNxt) === 0;
    if (finHere && !this.guestFin) {
      this.guestFin = true;
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      this.host.end();
    }
    if (s.payload.length > 0 || s.flags & FIN) this.ackNow();
    if (this.guestFin && this.finAcked) this.close(false);
  }

  private fromHost(d: Uint8Array): void {
    this.outbox = this.outbox.length ? concatBytes([this.outbox, d]) : d;
    if (this.outbox.length > OUTBOX_HIGH) this.host.pause();
    this.pump();
  }

  /** Sends what the guest's window allows, then our FIN once the host has ended and all is sent. */
  private pump(): void {
    if (this.state !== 'established') return;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndUna);
      const room = this.peerWindow - offset;
      const unsent = this.outbox.length - offset;
      if (unsent <= 0 || room <= 0) break;
      const n = Math.min(unsent, room, this.mss);
      const payload = this.outbox.subarray(offset, offset + n);
      this.link.send(this, { seq: this.sndNxt, ack: this.rcvNxt, flags: ACK | PSH, window: this.window(), payload });
      this.sndNxt = (this.sndNxt + n) >>> 0;
    }
    if (this.hostEnded && !this.finSent && seqDiff(this.sndNxt, this.sndUna) === this.outbox.length) {
      this.link.send(this, { seq: this.sndNxt, ack: this.rcvNxt, flags: FIN | ACK, window: this.window() });
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      this.finSent = true;
    }
    if (seqDiff(this.sndNxt, this.sndUna) > 0) this.arm();
  }

  /** Our receive window: what the host end has not yet taken off our hands. */
  private window(): number {
    this.advertised = MAX_WINDOW - Math.min(this.host.buffered, MAX_WINDOW);
    return this.advertised;
  }

  private ackNow(): void {
    this.link.send(this, { seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, window: this.window() });
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.retransmit(), RETRANSMIT_MS);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state !== 'closed' && seqDiff(this.sndNxt, this.sndUna) > 0) this.arm();
  }

  /** Go back to the first unacknowledged byte (or the SYN) and send again. */
  private retransmit(): void {
    this.timer = null;
    if (this.state === 'closed') return;
    if (this.state === 'syn-sent' || this.state === 'syn-received') return this.sendSyn();
    this.sndNxt = this.sndUna;
    if (this.finSent && !this.finAcked) this.finSent = false;
    if (this.peerWindow === 0) this.peerWindow = 1; // a window probe
    this.pump();
  }

  /** Aborts both ends: RST to the guest, the host stream destroyed. */
  reset(): void {
    if (this.state === 'closed') return;
    this.link.send(this, { seq: this.sndNxt, ack: this.rcvNxt, flags: RST | ACK, window: 0 });
    this.close(true);
  }

  private close(abort: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (abort) this.host.destroy();
    this.link.closed(this);
  }
}
