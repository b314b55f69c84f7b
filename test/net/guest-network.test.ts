// The guest on the user-mode network (virtio-net, src/net): it takes a DHCP
// lease as it boots, resolves names through the host's resolver, reaches a web server
// this test starts on the host's loopback through 10.0.2.2, and a host port
// published to a server in the guest carries a real client's request. The
// guest kernel's own TCP/IP stack, busybox's udhcpc, wget and httpd, and the
// host's curl are the oracles.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Machine } from '../../src/api/index.ts';
import { UserNet, NET_PLAN } from '../../src/net/user-net.ts';
import { nodeOutside } from '../../src/net/node-outside.ts';
import { publishTcp } from '../../src/net/publish.ts';
import { linkAddress, linkUpScript } from '../../src/containers/engine/network-scripts.ts';
import { pcapHeader, pcapRecord } from '../../src/net/pcap.ts';
import { tsharkErrors, tsharkMissing } from './tshark.ts';

describe('the guest on the user-mode network', () => {
  let machine: Machine;
  let net: UserNet;
  let server: Server;
  let port: number;
  let noCard: string | undefined;
  const capture: Uint8Array[] = [pcapHeader()];

  beforeAll(async () => {
    server = createServer((req, res) => res.end(`hello ${req.url} from the host\n`));
    port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
    net = new UserNet(nodeOutside());
    net.capture = (f) => capture.push(pcapRecord(Date.now(), f));
    machine = await Machine.create({ network: { backend: net } });
    machine.start();
    await machine.agentReady();
    const card = await machine.exec('ls /sys/class/net', { timeoutMs: 10_000 });
    if (!card.stdout.split(/\s+/).includes('eth0')) noCard = `the guest kernel has no virtio-net driver (interfaces: ${card.stdout.trim()})`;
  }, 180_000);

  afterAll(() => {
    machine?.stop();
    net?.close();
    server?.close();
  });

  it("takes a DHCP lease of 10.0.2.15 with the gateway and DNS server at boot, which the engine's link script then keeps", async (ctx) => {
    if (noCard) return ctx.skip(noCard);
    // Nothing here asks for the lease: the boot's own udhcpc (rcS, in the background) does.
    let addr = '';
    for (let i = 0; i < 60 && !addr.includes('inet '); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      addr = (await machine.exec('ip -4 addr show dev eth0', { timeoutMs: 10_000 })).stdout;
    }
    expect(addr).toContain('inet 10.0.2.15/24');
    const r = await machine.exec('ip route; cat /etc/resolv.conf', { timeoutMs: 10_000 });
    expect(r.stdout).toContain('default via 10.0.2.2 dev eth0');
    expect(r.stdout).toContain('nameserver 10.0.2.3');
    const up = await machine.exec(linkUpScript().text, { timeoutMs: 60_000 });
    expect([up.exitCode, linkAddress(up.stdout), up.stderr]).toEqual([0, '10.0.2.15', '']);
  }, 120_000);

  it('reaches a web server on the host loopback through 10.0.2.2, and answers ping there', async (ctx) => {
    if (noCard) return ctx.skip(noCard);
    const r = await machine.exec(`wget -q -O - http://10.0.2.2:${port}/guest; ping -c 1 -W 5 10.0.2.2 >/dev/null && echo ping ok`, { timeoutMs: 60_000 });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'hello /guest from the host\nping ok\n', '']);
  }, 120_000);

  it("resolves names through the host resolver: the host's own name as the host sees it, an unknown name not at all", async (ctx) => {
    if (noCard) return ctx.skip(noCard);
    const name = hostname();
    const host = await lookup(name, { family: 4 });
    const ns = await machine.exec(`nslookup ${name} 10.0.2.3; nslookup no-such-host.invalid 10.0.2.3`, { timeoutMs: 60_000 });
    expect(ns.stdout).toContain(`Address: ${host.address}`);
    expect(ns.stdout + ns.stderr).toMatch(/NXDOMAIN|can't find|can't resolve/i);
  }, 120_000);

  it('forwards a published host port to a server in the guest: curl on the host gets its page', async (ctx) => {
    if (noCard) return ctx.skip(noCard);
    const start = await machine.exec('mkdir -p /tmp/www && echo served by the guest > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && echo started', { timeoutMs: 30_000 });
    expect(start.stdout).toBe('started\n');
    const { server: listener, hostPort } = await publishTcp(net, { hostAddress: '127.0.0.1', hostPort: 0, guestIp: NET_PLAN.guest, guestPort: 8080 });
    try {
      // curl in a child process this one does not wait on: the listener and the guest live on this event loop.
      const curl = await promisify(execFile)('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${hostPort}/`], { encoding: 'utf8', timeout: 90_000 });
      expect([curl.stdout, curl.stderr]).toEqual(['served by the guest\n', '']);
      // A bigger answer goes out in TSO segments whose checksums the card completes (the capture below checks them):
      // the host's sha256 of what curl got is the guest's of the file.
      const made = await machine.exec('head -c 300000 /bin/busybox > /tmp/www/big && sha256sum /tmp/www/big', { timeoutMs: 30_000 });
      const big = await promisify(execFile)('sh', ['-c', `curl -sS --max-time 60 http://127.0.0.1:${hostPort}/big | sha256sum`], { encoding: 'utf8', timeout: 90_000 });
      expect(big.stdout.split(' ')[0]).toBe(made.stdout.split(' ')[0]);
      expect(Math.max(...capture.map((r) => r.length - 16))).toBeGreaterThan(1514); // a frame past the MTU: a TSO segment (16: the pcap record's header)
    } finally {
      listener.close();
    }
  }, 180_000);

  it('wrote a capture that tshark reads with every checksum good', async (ctx) => {
    if (noCard) return ctx.skip(noCard);
    const missing = tsharkMissing();
    if (missing) return ctx.skip(missing);
    expect(capture.length).toBeGreaterThan(10);
    expect(tsharkErrors(Buffer.concat(capture))).toEqual([]);
  }, 120_000);
});
