// The host end of the guest's network (src/net), driven with frames a guest
// would send, against real servers this test starts on the host's loopback.
// tshark decodes the capture of each exchange with checksums validated: the
// oracle for the bytes the stack wrote.

import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, test } from 'vitest';
import { FakeGuest, GUEST_MAC } from './fake-guest.ts';
import { socketStream } from '../../src/net/node-outside.ts';
import { browserOutside } from '../../src/net/browser-outside.ts';
import { tsharkErrors, tsharkFields, tsharkMissing } from './tshark.ts';
import { BROADCAST_MAC } from '../../src/net/addresses.ts';
import { buildEthernet, ETHERTYPE_ARP } from '../../src/net/ethernet.ts';
import { NET_PLAN } from '../../src/net/user-net.ts';
import { PROTO_ICMP } from '../../src/net/ipv4.ts';
import { ACK, FIN, PSH, RST, SYN } from '../../src/net/tcp-segment.ts';
import { publishUdp } from '../../src/net/publish.ts';

const noTshark = tsharkMissing();
const GUEST = NET_PLAN.guest;
const GW = NET_PLAN.gateway;
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function guest(options: ConstructorParameters<typeof FakeGuest>[0] = {}): FakeGuest {
  const g = new FakeGuest(options);
  cleanups.push(() => g.net.close());
  return g;
}

function listen(server: Server): Promise<number> {
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A BOOTP/DHCP client message, laid out by hand from RFC 2131. */
function dhcpMessage(type: number, xid: number, requested?: string): Uint8Array {
  const m = new Uint8Array(300);
  m.set([1, 1, 6, 0, xid >>> 24, (xid >>> 16) & 255, (xid >>> 8) & 255, xid & 255]);
  m[10] = 0x80; // broadcast flag
  m.set(GUEST_MAC, 28);
  m.set([0x63, 0x82, 0x53, 0x63, 53, 1, type], 236);
  let i = 243;
  if (requested) m.set([50, 4, ...requested.split('.').map(Number)], (i += 6) - 6);
  m[i] = 255;
  return m;
}

describe.skipIf(noTshark)('user-mode network stack', () => {
  test('DHCP: DISCOVER gets an OFFER and REQUEST an ACK of 10.0.2.15 with the gateway and DNS server', async () => {
    const g = guest();
    g.sendUdp(0, 0xffffffff, 68, 67, dhcpMessage(1, 0x1234));
    await g.nextUdp('a DHCP OFFER', 68);
    g.sendUdp(0, 0xffffffff, 68, 67, dhcpMessage(3, 0x1234, '10.0.2.15'));
    await g.nextUdp('a DHCP ACK', 68);
    const rows = tsharkFields(g.pcapBytes(), 'dhcp && udp.srcport == 67', [
      'dhcp.option.dhcp',
      'dhcp.ip.your',
      'dhcp.option.router',
      'dhcp.option.domain_name_server',
      'dhcp.option.subnet_mask',
      'dhcp.id',
    ]);
    expect(rows).toEqual([
      ['2', '10.0.2.15', '10.0.2.2', '10.0.2.3', '255.255.255.0', '0x00001234'],
      ['5', '10.0.2.15', '10.0.2.2', '10.0.2.3', '255.255.255.0', '0x00001234'],
    ]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('ARP: the gateway and the DNS server answer with the stack MAC; other addresses do not', async () => {
    const g = guest();
    const request = (target: string) => {
      const a = new Uint8Array(28);
      a.set([0, 1, 8, 0, 6, 4, 0, 1, ...GUEST_MAC, 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, ...target.split('.').map(Number)]);
      g.send(buildEthernet(BROADCAST_MAC, GUEST_MAC, ETHERTYPE_ARP, a));
    };
    request('10.0.2.2');
    request('10.0.2.3');
    request('10.0.2.99');
    await g.next('two ARP replies', () => (g.inbox.length >= 2 ? true : null));
    const rows = tsharkFields(g.pcapBytes(), 'arp.opcode == 2', ['arp.src.proto_ipv4', 'arp.src.hw_mac', 'arp.dst.proto_ipv4']);
    expect(rows).toEqual([
      ['10.0.2.2', '52:55:0a:00:02:02', '10.0.2.15'],
      ['10.0.2.3', '52:55:0a:00:02:02', '10.0.2.15'],
    ]);
  });

  test('DNS: a query to 10.0.2.3 is answered through the resolver, an unknown name with NXDOMAIN', async () => {
    const g = guest({ resolve4: async (name: string) => (name === 'localhost' ? ['127.0.0.1'] : []) });
    // Queries for localhost (id 1) and no.such.name.invalid (id 2), laid out by hand from RFC 1035.
    const query = (id: number, labels: string[]) => new Uint8Array([0, id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels.flatMap((l) => [l.length, ...Buffer.from(l)]), 0, 0, 1, 0, 1]);
    g.sendUdp(GUEST, NET_PLAN.dns, 5353, 53, query(1, ['localhost']));
    g.sendUdp(GUEST, NET_PLAN.dns, 5354, 53, query(2, ['no', 'such', 'name', 'invalid']));
    await g.nextUdp('the answer for localhost', 5353);
    await g.nextUdp('the answer for no.such.name.invalid', 5354);
    const rows = tsharkFields(g.pcapBytes(), 'dns.flags.response == 1', ['dns.id', 'dns.flags.rcode', 'dns.qry.name', 'dns.a']);
    expect(rows).toEqual([
      ['0x0001', '0', 'localhost', '127.0.0.1'],
      ['0x0002', '3', 'no.such.name.invalid', ''],
    ]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('the real host resolver answers for localhost', async () => {
    const g = guest();
    g.sendUdp(GUEST, NET_PLAN.dns, 5353, 53, new Uint8Array([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, ...Buffer.from('localhost'), 0, 0, 1, 0, 1]));
    await g.nextUdp('the answer for localhost', 5353);
    expect(tsharkFields(g.pcapBytes(), 'dns.flags.response == 1', ['dns.a'])).toEqual([['127.0.0.1']]);
  });

  test('TCP out: the guest fetches from an HTTP server on the host loopback through 10.0.2.2', async () => {
    const body = 'x'.repeat(20_000) + 'END';
    const server = createServer((s) => {
      s.once('data', () => s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    });
    const port = await listen(server);
    const g = guest();
    const gp = 33000;
    g.sendTcp(GUEST, GW, { srcPort: gp, dstPort: port, seq: 1000, ack: 0, flags: SYN, window: 8192, mss: 1460 });
    const synAck = await g.nextTcp('the SYN-ACK', gp, (s) => (s.flags & (SYN | ACK)) === (SYN | ACK));
    expect(synAck.ack).toBe(1001);
    let ours = (synAck.seq + 1) >>> 0;
    g.sendTcp(GUEST, GW, { srcPort: gp, dstPort: port, seq: 1001, ack: ours, flags: ACK, window: 8192 });
    const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
    g.sendTcp(GUEST, GW, { srcPort: gp, dstPort: port, seq: 1001, ack: ours, flags: ACK | PSH, window: 8192, payload: request });
    let seq = 1001 + request.length;
    const received: Uint8Array[] = [];
    let fin = false;
    while (!fin) {
      const s = await g.nextTcp('the response (in order, within our 8 KiB window)', gp, (s) => s.seq === ours && (s.payload.length > 0 || (s.flags & FIN) !== 0));
      received.push(s.payload.slice());
      ours = (ours + s.payload.length + (s.flags & FIN ? 1 : 0)) >>> 0;
      fin = (s.flags & FIN) !== 0;
      g.sendTcp(GUEST, GW, { srcPort: gp, dstPort: port, seq, ack: ours, flags: ACK | (fin ? FIN : 0), window: 8192 });
    }
    seq++;
    const text = Buffer.concat(received).toString();
    expect(text.startsWith('HTTP/1.0 200 OK')).toBe(true);
    expect(text.endsWith(body)).toBe(true);
    await g.next('the connection gone', () => (g.net.flows.tcp === 0 ? true : null));
    // tshark reassembles the stream and finds the HTTP response, with every checksum good.
    expect(tsharkFields(g.pcapBytes(), 'http.response', ['http.response.code', 'http.content_length'])).toEqual([['200', String(body.length)]]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
    // Filling the guest's window exactly is what a sender should do; nothing else (no retransmission, loss or reordering).
    expect(tsharkFields(g.pcapBytes(), 'tcp.analysis.flags && !tcp.analysis.window_full', ['frame.number', '_ws.expert.message'])).toEqual([]);
  });

  test('TCP out: a refused connection is reset, and so is a segment of no connection', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r())); // now nothing listens there
    const g = guest();
    g.sendTcp(GUEST, GW, { srcPort: 33001, dstPort: port, seq: 5, ack: 0, flags: SYN, window: 8192 });
    const rst = await g.nextTcp('the RST for the refused connection', 33001);
    expect(rst.flags & RST).toBe(RST);
    expect(rst.ack).toBe(6);
    g.sendTcp(GUEST, GW, { srcPort: 33002, dstPort: 80, seq: 5, ack: 77, flags: ACK, window: 8192 });
    const stray = await g.nextTcp('the RST for a stray ACK', 33002);
    expect([stray.flags & RST, stray.seq]).toEqual([RST, 77]);
  });

  /** A caller on the host's side of a published port: writes, ends, and hears the guest's bytes up to their end. */
  interface Caller {
    write(text: string): void;
    end(): void;
    /** What the guest sent, once it ended its side. */
    received: Promise<string>;
  }

  /** A Node client through a host listener (publish.ts's way), or a stream with no socket (the browser page's way). */
  const callers: Record<string, (g: FakeGuest) => Promise<Caller>> = {
    'a connection a host listener accepted': async (g) => {
      const listener = createServer((socket) => g.net.forwardTcp(socketStream(socket), GUEST, 80));
      const port = await listen(listener);
      const client = connect(port, '127.0.0.1');
      cleanups.push(() => client.destroy());
      const got: Buffer[] = [];
      client.on('data', (d: Buffer) => got.push(d));
      const received = new Promise<string>((r) => client.on('end', () => r(Buffer.concat(got).toString())));
      return { write: (t) => client.write(t), end: () => client.end(), received };
    },
    'a caller stream with no socket (connectToGuest)': async (g) => {
      const stream = g.net.connectToGuest(GUEST, 80);
      let got = '';
      const received = new Promise<string>((r) =>
        stream.listen({ data: (d) => (got += Buffer.from(d).toString()), end: () => r(got), abort: () => r(`aborted after ${JSON.stringify(got)}`), drain: () => {} }),
      );
      return { write: (t) => stream.write(Buffer.from(t)), end: () => stream.end(), received };
    },
  };

  test.each(Object.keys(callers))('TCP in: %s is forwarded to the guest port (published port)', async (kind) => {
    const g = guest();
    const client = await callers[kind](g);
    client.write('hello guest');
    const syn = await g.nextTcp('the SYN to guest port 80', 80, (s) => (s.flags & (SYN | ACK)) === SYN);
    expect(syn.mss).toBe(1460);
    const peer = syn.srcPort;
    let ours = 9000;
    let theirs = (syn.seq + 1) >>> 0;
    g.sendTcp(GUEST, GW, { srcPort: 80, dstPort: peer, seq: ours, ack: theirs, flags: SYN | ACK, window: 8192, mss: 1460 });
    ours++;
    const data = await g.nextTcp('the client bytes', 80, (s) => s.payload.length > 0);
    expect(Buffer.from(data.payload).toString()).toBe('hello guest');
    theirs = (theirs + data.payload.length) >>> 0;
    const reply = Buffer.from('hello host');
    g.sendTcp(GUEST, GW, { srcPort: 80, dstPort: peer, seq: ours, ack: theirs, flags: ACK | PSH | FIN, window: 8192, payload: reply });
    expect(await client.received).toBe('hello host');
    client.end();
    const fin = await g.nextTcp('the FIN after the client ended', 80, (s) => (s.flags & FIN) !== 0);
    g.sendTcp(GUEST, GW, { srcPort: 80, dstPort: peer, seq: ours + reply.length + 1, ack: fin.seq + 1, flags: ACK, window: 8192 });
    await g.next('the connection gone', () => (g.net.flows.tcp === 0 ? true : null));
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('the browser outside: outbound TCP is reset and UDP answered "destination unreachable", each with its reason; DNS names get NXDOMAIN at once', async () => {
    const reasons: string[] = [];
    const g = guest({ outside: browserOutside(), refused: (why: string) => reasons.push(why) });
    g.sendTcp(GUEST, GW, { srcPort: 33010, dstPort: 8080, seq: 5, ack: 0, flags: SYN, window: 8192 });
    const rst = await g.nextTcp('the RST for a connection the page cannot make', 33010);
    expect([rst.flags & RST, rst.ack]).toEqual([RST, 6]);
    g.sendUdp(GUEST, GW, 40002, 9999, Buffer.from('lost'));
    await g.next('the ICMP error for the datagram the page cannot send', (f) => (f[23] === PROTO_ICMP ? true : null));
    expect(reasons).toEqual([
      expect.stringMatching(/^TCP to 127\.0\.0\.1:8080 refused: a browser page has no TCP or UDP sockets/),
      expect.stringMatching(/^UDP refused: a browser page/),
    ]);
    expect(g.net.flows).toEqual({ tcp: 0, udp: 0 });
    g.sendUdp(GUEST, NET_PLAN.dns, 5355, 53, new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1]));
    await g.nextUdp('the answer for example.com', 5355);
    expect(tsharkFields(g.pcapBytes(), 'dns.flags.response == 1', ['dns.id', 'dns.flags.rcode', 'dns.qry.name', 'dns.flags.recavail'])).toEqual([
      ['0x0007', '3', 'example.com', '1'],
    ]);
    // Type 3 code 13 from the gateway, quoting the guest's datagram (its ports), with every checksum right.
    expect(tsharkFields(g.pcapBytes(), 'icmp', ['ip.src', 'icmp.type', 'icmp.code', 'udp.srcport', 'udp.dstport'])).toEqual([['10.0.2.2,10.0.2.15', '3', '13', '40002', '9999']]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('UDP out: a datagram to 10.0.2.2 reaches a host socket, and its reply comes back from 10.0.2.2', async () => {
    const echo = createSocket('udp4');
    cleanups.push(() => echo.close());
    echo.on('message', (m: Buffer, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    const port = await new Promise<number>((r) => echo.bind(0, '127.0.0.1', () => r(echo.address().port)));
    const g = guest();
    g.sendUdp(GUEST, GW, 40001, port, Buffer.from('ping'));
    const reply = await g.nextUdp('the echo', 40001);
    expect([Buffer.from(reply.payload).toString(), reply.src, reply.srcPort]).toEqual(['echo:ping', GW, port]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('UDP in: datagrams to a published UDP port reach the guest port, each client from a gateway port of its own, and the answers find their clients', async () => {
    const g = guest();
    const { server, hostPort } = await publishUdp(g.net, { hostAddress: '127.0.0.1', hostPort: 0, guestIp: GUEST, guestPort: 7777, protocol: 'udp' });
    cleanups.push(() => server.close());
    const clients = [createSocket('udp4'), createSocket('udp4')];
    for (const c of clients) cleanups.push(() => c.close());
    const answers = clients.map((c) => new Promise<string>((r) => c.once('message', (m) => r(m.toString()))));
    clients[0]!.send('from a', hostPort, '127.0.0.1');
    const first = await g.nextUdp("the first client's datagram", 7777);
    clients[1]!.send('from b', hostPort, '127.0.0.1');
    const second = await g.nextUdp("the second client's datagram", 7777);
    expect([Buffer.from(first.payload).toString(), first.src, Buffer.from(second.payload).toString(), second.src]).toEqual(['from a', GW, 'from b', GW]);
    expect(first.srcPort).not.toBe(second.srcPort);
    // The guest answers each to the port it came from, the second first.
    g.sendUdp(GUEST, GW, 7777, second.srcPort, Buffer.from('to b'));
    g.sendUdp(GUEST, GW, 7777, first.srcPort, Buffer.from('to a'));
    expect(await Promise.all(answers)).toEqual(['to a', 'to b']);
    expect(g.net.flows.udp).toBe(2);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });

  test('ICMP: the gateway answers a ping', async () => {
    const g = guest();
    const echo = new Uint8Array([8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4]);
    const sum = echo.reduce((a, _, i) => (i % 2 ? a : a + ((echo[i]! << 8) | (echo[i + 1] ?? 0))), 0);
    const c = ~((sum & 0xffff) + (sum >>> 16)) & 0xffff;
    echo[2] = c >>> 8;
    echo[3] = c & 255;
    g.sendIp(GUEST, GW, 1, echo);
    await g.next('the echo reply', () => (g.inbox.length > 0 ? true : null));
    expect(tsharkFields(g.pcapBytes(), 'icmp.type == 0', ['ip.src', 'icmp.seq', 'icmp.resp_to'])).toEqual([['10.0.2.2', '1', '1']]);
    expect(tsharkErrors(g.pcapBytes())).toEqual([]);
  });
});
