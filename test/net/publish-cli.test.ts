// A published container port as a user meets it: the bundled CLI starts the
// engine (its guest on the user-mode network), runs busybox httpd in a
// container with -p, and curl on the host fetches the page through
// 127.0.0.1. Skipped, saying so, when the guest kernel has no virtio-net.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { tsharkFields, tsharkMissing } from './tshark.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { GLASSBOX_BIN, glassboxSync } from '../support/glassbox-cli.ts';
import { freePort } from '../support/registry-server.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-net-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 300_000, env: { ...process.env, GLASSBOX_HOME: home } });
/** The CLI without blocking this process's event loop (the UDP sockets of these tests live on it), with a deadline. */
const glassboxAsync = (args: string[], timeoutMs: number) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const t0 = Date.now();
    execFile(process.execPath, [GLASSBOX_BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, GLASSBOX_HOME: home } }, (e, stdout, stderr) =>
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout,
        stderr: e?.killed ? `did not answer within ${timeoutMs / 1000} s` : stderr,
        ms: Date.now() - t0,
      }),
    );
  });

/** Whether a TCP listener on the host can take 127.0.0.1:port now (it is let go at once). */
const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe('glassbox run -p', () => {
  afterAll(() => {
    glassbox(['engine', 'stop']);
  });

  it("serves a container's busybox httpd on the host port; port lists it; a second -p of that port is refused", async (ctx) => {
    const port = await freePort();
    const web = glassbox([
      'run',
      '-d',
      '--name',
      'web',
      '-p',
      `${port}:80`,
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo hello from the container > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    if (web.status === 125 && web.stderr.includes('cannot publish ports')) ctx.skip(`the engine's guest has no network: ${web.stderr.trim()}`);
    expect([web.status, web.stderr]).toEqual([0, '']);
    expect(glassbox(['port', 'web']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    // httpd may take a moment to listen: a refused connection is retried (curl's own deadline bounds each try).
    const curl = spawnSync('curl', ['-sS', '--retry', '20', '--retry-delay', '1', '--retry-all-errors', '--max-time', '60', `http://127.0.0.1:${port}/`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect([curl.status, curl.stdout]).toEqual([0, 'hello from the container\n']);
    // inspect net: a capture taken while curl fetches again holds the container's HTTP answers (tshark reads it), and the counters saw them.
    // Fetching until the capture is over: under load the inspect command may take seconds to start its capture.
    const fetching = spawn('sh', ['-c', `while :; do curl -s --max-time 30 http://127.0.0.1:${port}/ >/dev/null; sleep 0.5; done`]);
    const pcap = join(home, 'capture.pcap');
    const view = JSON.parse(glassbox(['inspect', 'net', '--engine', '--json', '--pcap', pcap, '--seconds', '4']).stdout);
    fetching.kill();
    expect(view.card.rxFrames).toBeGreaterThan(0);
    expect(view.containers).toEqual([expect.objectContaining({ name: 'web', network: 'bridge' })]);
    expect(view.containers[0].txBytes).toBeGreaterThan(0);
    if (!tsharkMissing()) {
      const answers = tsharkFields(readFileSync(pcap), 'http.response.code == 200', ['ip.src', 'http.file_data']);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers[0]![0]).toMatch(/^172\.17\.0\.\d+$/);
    }
    const again = glassbox(['run', '-d', '-p', `${port}:80`, 'busybox', 'sleep', '1']);
    expect([again.status, again.stderr]).toEqual([125, `glassbox: cannot publish 127.0.0.1:${port}: the port is already in use\n`]);
    const [inspect] = JSON.parse(glassbox(['container', 'inspect', 'web']).stdout);
    expect(inspect.NetworkSettings.IPAddress).toMatch(/^172\.17\.0\.\d+$/);
    // Stopped, it gives the port back (as Docker does): the host can bind it, another container can publish it,
    // and the stopped one cannot start while that one holds it; it binds it again when it starts.
    expect(glassbox(['stop', 'web']).status).toBe(0);
    expect(glassbox(['port', 'web']).stdout).toBe('');
    expect(await bindable(port)).toBe(true);
    const other = glassbox(['run', '-d', '--name', 'other', '-p', `${port}:80`, 'busybox', 'sleep', '1000']);
    expect([other.status, other.stderr]).toEqual([0, '']);
    const refused = glassbox(['start', 'web']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`cannot publish 127.0.0.1:${port}: the port is already in use`);
    expect(glassbox(['rm', '-f', 'other']).status).toBe(0);
    expect(glassbox(['start', 'web']).status).toBe(0);
    expect(glassbox(['port', 'web']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    const served = spawnSync('curl', ['-sS', '--retry', '20', '--retry-delay', '1', '--retry-all-errors', '--max-time', '60', `http://127.0.0.1:${port}/`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect([served.status, served.stdout]).toEqual([0, 'hello from the container\n']);
    expect(glassbox(['rm', '-f', 'web']).status).toBe(0);
    // Removed with its container: nothing listens there any more.
    const after = spawnSync('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30_000 });
    expect(after.status).not.toBe(0);
  }, 600_000);

  it('a container that ended on its own leaves its port to the next run that asks for it', async (ctx) => {
    const port = await freePort();
    const brief = glassbox(['run', '-d', '--name', 'brief', '-p', `${port}:80`, 'busybox', 'true']);
    if (brief.status === 125 && brief.stderr.includes('cannot publish ports')) ctx.skip(`the engine's guest has no network: ${brief.stderr.trim()}`);
    expect([brief.status, brief.stderr]).toEqual([0, '']);
    // Nothing has looked at it since it ended: the run asking for its port finds it ended and frees the port.
    const next = glassbox(['run', '-d', '--name', 'next', '-p', `${port}:80`, 'busybox', 'sleep', '1000']);
    expect([next.status, next.stderr]).toEqual([0, '']);
    expect(glassbox(['port', 'next']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect(glassbox(['port', 'brief']).stdout).toBe('');
    expect(glassbox(['rm', '-f', 'brief', 'next']).status).toBe(0);
  }, 600_000);

  it("forwards a published UDP port: the engine holds the host port, and datagrams sent to it reach the container's network namespace", async (ctx) => {
    // The guest image has no UDP server (its busybox nc is the TCP-only one), so the witness is the container's own kernel:
    // a datagram for a port nothing listens on is counted as Udp NoPorts in /proc/net/snmp of the namespace it reached.
    const port = await freePort();
    const r = await glassboxAsync(['run', '-d', '--name', 'udp', '-p', `${port}:7777/udp`, 'busybox', 'sleep', '1000'], 300_000);
    if (r.code === 125 && r.stderr.includes('cannot publish ports')) ctx.skip(`the engine's guest has no network: ${r.stderr.trim()}`);
    expect([r.code, r.stderr]).toEqual([0, '']);
    try {
      expect((await glassboxAsync(['port', 'udp'], 60_000)).stdout).toBe(`7777/udp -> 127.0.0.1:${port}\n`);
      const taken = createSocket('udp4');
      await expect(new Promise((resolve, reject) => (taken.once('error', reject), taken.bind(port, '127.0.0.1', () => resolve('bound'))))).rejects.toThrow('EADDRINUSE');
      taken.close();
      const noPorts = async () => {
        const snmp = (await glassboxAsync(['exec', 'udp', 'cat', '/proc/net/snmp'], 120_000)).stdout;
        const [names, values] = snmp
          .split('\n')
          .filter((l) => l.startsWith('Udp:'))
          .map((l) => l.split(/\s+/));
        return Number(values![names!.indexOf('NoPorts')]);
      };
      const before = await noPorts();
      const client = createSocket('udp4');
      try {
        for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => client.send(`datagram ${i}`, port, '127.0.0.1', () => resolve()));
        const deadline = Date.now() + 60_000;
        while ((await noPorts()) < before + 3) {
          if (Date.now() > deadline) throw new Error(`the container's namespace never counted the 3 datagrams within 60 s (NoPorts ${before} -> ${await noPorts()})`);
        }
      } finally {
        client.close();
      }
    } finally {
      await glassboxAsync(['rm', '-f', 'udp'], 120_000);
    }
  }, 600_000);

  it('a container flooding the network stalls neither the engine nor another container', async (ctx) => {
    // The sink: a TCP server on the host's loopback that takes all it is sent, which the flood reaches through 10.0.2.2
    // (busybox nc here speaks TCP only: the flood is a container sending as fast as its guest can).
    let received = 0;
    const sink = createServer((s) => s.on('data', (d) => (received += d.length)).on('error', () => {}));
    const sinkPort = await new Promise<number>((r) => sink.listen(0, '127.0.0.1', () => r((sink.address() as AddressInfo).port)));
    try {
      const calm = await glassboxAsync(['run', '-d', '--name', 'calm', 'busybox', 'sleep', '1000'], 300_000);
      expect([calm.code, calm.stderr]).toEqual([0, '']);
      const before = await glassboxAsync(['exec', 'calm', 'echo', 'alive'], 120_000);
      expect(before.stdout).toBe('alive\n');
      const flood = await glassboxAsync(['run', '-d', '--name', 'flood', 'busybox', 'sh', '-c', `nc 10.0.2.2 ${sinkPort} < /dev/zero`], 300_000);
      expect([flood.code, flood.stderr]).toEqual([0, '']);
      const t0 = Date.now();
      while (received < 1 << 20) {
        if (Date.now() - t0 > 120_000) return ctx.skip(`the flood never reached the host (${received} bytes in 120 s)`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // Flooding: the other container and the engine still answer, within a deadline (the engine's guest is one CPU shared with the flood).
      const during = await glassboxAsync(['exec', 'calm', 'echo', 'alive'], 120_000);
      expect([during.stdout, during.stderr]).toEqual(['alive\n', '']);
      const ps = await glassboxAsync(['ps'], 60_000);
      expect(ps.stdout).toContain('flood');
      const still = received;
      await new Promise((r) => setTimeout(r, 1000));
      expect(received, 'the flood was still going while the others answered').toBeGreaterThan(still);
      process.stderr.write(`flood: ${received} bytes reached the host; exec took ${before.ms} ms before the flood, ${during.ms} ms during it\n`);
    } finally {
      sink.close();
      await glassboxAsync(['rm', '-f', 'flood', 'calm'], 120_000);
    }
  }, 600_000);

  it('keeps a user-defined network across an engine restart, on the same subnet', async () => {
    const made = await glassboxAsync(['network', 'create', 'kept'], 300_000);
    expect([made.code, made.stdout, made.stderr]).toEqual([0, 'kept\n', '']);
    const before = (await glassboxAsync(['network', 'ls'], 120_000)).stdout.split('\n').find((l) => l.startsWith('kept '));
    expect(before).toMatch(/ 172\.\d+\.0\.0\/16 /);
    expect((await glassboxAsync(['engine', 'stop'], 300_000)).code).toBe(0);
    // The next command starts a new engine (a new guest, whose bridges are gone): the network is there, and a container joins it.
    const after = (await glassboxAsync(['network', 'ls'], 600_000)).stdout.split('\n').find((l) => l.startsWith('kept '));
    expect(after).toBe(before);
    const joined = await glassboxAsync(['run', '--rm', '--network', 'kept', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0'], 300_000);
    expect([joined.code, joined.stderr]).toEqual([0, '']);
    expect(joined.stdout).toMatch(new RegExp(`inet ${before!.split(/\s+/)[2]!.replace(/0\.0\/16$/, '0.2')}/16`));
    expect((await glassboxAsync(['network', 'rm', 'kept'], 120_000)).code).toBe(0);
  }, 900_000);
});
