// A guest with a network card is parked as one without is (see Machine's
// mayPark): under the virtual clock, when the host waits on it without a
// deadline, the guest has only kept time for ten minutes of guest time, and
// no connection, flow or lookup of its card is open. It stops running (its
// instruction count stands still), and a connection to a published port
// wakes it: curl on the host gets the guest httpd's page.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Machine } from '../../src/api/index.ts';
import { UserNet, NET_PLAN } from '../../src/net/user-net.ts';
import { nodeOutside } from '../../src/net/node-outside.ts';
import { publishTcp } from '../../src/net/publish.ts';
import { linkUpScript } from '../../src/containers/engine/network-scripts.ts';

let machine: Machine;
let net: UserNet;
let noCard: string | undefined;

beforeAll(async () => {
  net = new UserNet(nodeOutside());
  machine = await Machine.create({ network: { backend: net } });
  machine.start();
  await machine.agentReady();
  const up = await machine.exec(linkUpScript().text, { timeoutMs: 60_000 });
  if (up.exitCode !== 0) noCard = `the guest's network did not come up: ${up.stderr.trim()}`;
}, 300_000);

afterAll(() => {
  machine?.stop();
  net?.close();
});

it('parks a networked guest with nothing open, and a connection to a published port wakes it', async (ctx) => {
  if (noCard) return ctx.skip(noCard);
  const start = await machine.exec('mkdir -p /tmp/www && echo woken by the host > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && echo started', { timeoutMs: 30_000 });
  expect(start.stdout).toBe('started\n');
  const { server, hostPort } = await publishTcp(net, { hostAddress: '127.0.0.1', hostPort: 0, guestIp: NET_PLAN.guest, guestPort: 8080 });
  try {
    // The host waits without a deadline on a command blocked for good.
    machine.exec('mkfifo /run/never && cat /run/never', { timeoutMs: 0 }).catch(() => {});
    const deadline = Date.now() + 300_000;
    let parkedAt = machine.instructions;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      if (machine.instructions === parkedAt && net.flows.tcp === 0) break;
      if (Date.now() > deadline) throw new Error(`the guest never parked within 300 s (instructions still moving: ${machine.instructions})`);
      parkedAt = machine.instructions;
    }
    const curl = await promisify(execFile)('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${hostPort}/`], { encoding: 'utf8', timeout: 90_000 });
    expect([curl.stdout, curl.stderr]).toEqual(['woken by the host\n', '']);
    expect(machine.instructions).toBeGreaterThan(parkedAt);
  } finally {
    server.close();
  }
}, 600_000);
