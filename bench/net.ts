// npm run bench:net — a web server in the guest, published on a host port,
// loaded from the host: HTTP download MB/s (curl fetching a 4 MiB file) and
// requests per second (wrk fetching a small page), in glassbox (virtio-net
// over virtio-MMIO, src/net's user-mode stack, -p publishing) and in QEMU's
// TCG with its user networking (slirp, hostfwd) on a virtio-net-device of
// the microvm machine, one after the other in this run, on the same kernel,
// initramfs and guest script (busybox udhcpc and httpd).
//
// Both guests run with wall-clock time (glassbox's realtime clock), as a
// server under load does; glassbox's JIT is on, QEMU is TCG.
// `npm run bench:net -- --only glassbox` (or qemu) runs one of them.

import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Machine } from '../src/api/index.ts';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../src/boot/default-guest.ts';
import { linkUpScript } from '../src/containers/engine/network-scripts.ts';
import { publishTcp } from '../src/net/publish.ts';
import { NET_PLAN, UserNet } from '../src/net/user-net.ts';
import { nodeOutside } from '../src/net/node-outside.ts';
import { CMDLINE, MEMORY_MIB, spawnQemu, StreamConsole } from './boot/console-script.ts';

const BOOT_TIMEOUT_MS = 600_000;
const FILE_BYTES = 4 << 20;
const DOWNLOADS = 5;
const WRK_SECONDS = 10;
const WRK_CONNECTIONS = 4;
const GUEST_PORT = 80;

/** The guest's side, typed on its console: eth0 up by DHCP, a 4 MiB file and a small page served by busybox httpd. */
const SERVE = [
  linkUpScript(),
  'mkdir -p /tmp/www',
  `cat /bin/busybox /bin/busybox /bin/busybox /bin/busybox | head -c ${FILE_BYTES} > /tmp/www/big`,
  'echo small page > /tmp/www/small.html',
  `httpd -p ${GUEST_PORT} -h /tmp/www && echo serving-$((40+2))`,
].join('\n');

interface Server {
  port: number;
  stop(): void;
}

async function setUp(con: StreamConsole): Promise<void> {
  await con.waitFor(/\/ # /, BOOT_TIMEOUT_MS);
  con.write(SERVE + '\n');
  await con.waitFor(/serving-42/, 120_000);
}

async function glassbox(): Promise<Server> {
  const file = (path: string) => new Uint8Array(readFileSync(path));
  const net = new UserNet(nodeOutside());
  const m = await Machine.create({
    kernel: file(DEFAULT_KERNEL),
    initrd: file(DEFAULT_INITRD),
    cmdline: CMDLINE,
    memoryMiB: MEMORY_MIB,
    clock: 'realtime',
    jit: 'on',
    network: { backend: net },
  });
  const con = new StreamConsole((t) => m.serial.write(t));
  m.serial.on('data', (b) => con.feed(b));
  m.start();
  await setUp(con);
  const { server, hostPort } = await publishTcp(net, { hostAddress: '127.0.0.1', hostPort: 0, guestIp: NET_PLAN.guest, guestPort: GUEST_PORT });
  return { port: hostPort, stop: () => (server.close(), m.stop(), net.close()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function qemu(): Promise<Server> {
  const port = await freePort();
  // microvm with a PIT and PIC and no local APIC: the machine the guest kernel is built for (no ACPI, no PCI);
  // QEMU adds the virtio_mmio.device= argument itself.
  const devices = [
    '-M',
    'microvm,acpi=off,pit=on,pic=on,rtc=on',
    '-cpu',
    'qemu32,-apic',
    '-netdev',
    `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:${GUEST_PORT}`,
    '-device',
    'virtio-net-device,netdev=n0',
  ];
  const { q, con, exited } = spawnQemu(DEFAULT_KERNEL, devices, 'the guest served');
  try {
    await Promise.race([setUp(con), exited]);
  } catch (e) {
    q.kill();
    throw e;
  }
  return { port, stop: () => q.kill() };
}

const run = promisify(execFile);

interface Figures {
  mbPerS: number;
  requestsPerS: number;
  wrkErrors: string;
}

/** The load, from child processes (the glassbox guest runs on this event loop, so nothing here may block it). */
async function load(port: number): Promise<Figures> {
  let bytes = 0;
  let seconds = 0;
  for (let i = 0; i < DOWNLOADS; i++) {
    const { stdout } = await run('curl', ['-sS', '--max-time', '300', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', `http://127.0.0.1:${port}/big`], {
      timeout: 320_000,
    });
    const [size, time] = stdout.trim().split(' ').map(Number);
    if (size !== FILE_BYTES) throw new Error(`download ${i + 1} got ${size} bytes, not ${FILE_BYTES}`);
    bytes += size;
    seconds += time;
    process.stderr.write(`bench:net:   download ${i + 1}: ${(size / time / 1e6).toFixed(2)} MB/s\n`);
  }
  const wrk = await run('wrk', ['-t1', `-c${WRK_CONNECTIONS}`, `-d${WRK_SECONDS}s`, '--timeout', '10s', `http://127.0.0.1:${port}/small.html`], {
    timeout: (WRK_SECONDS + 60) * 1000,
  });
  const rps = /Requests\/sec:\s*([\d.]+)/.exec(wrk.stdout);
  if (!rps) throw new Error(`wrk printed no requests/sec: ${wrk.stdout}`);
  const errors = /Socket errors:.*|Non-2xx.*/g;
  return { mbPerS: bytes / seconds / 1e6, requestsPerS: Number(rps[1]), wrkErrors: (wrk.stdout.match(errors) ?? []).join('; ') };
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'glassbox' && only !== 'qemu') throw new Error(`--only takes glassbox or qemu, not ${only}`);
const peers = (
  [
    ['glassbox (JIT, user-mode stack)', glassbox],
    ['qemu-system-i386 TCG (slirp)', qemu],
  ] as const
).filter(([name]) => !only || name.startsWith(only));
const results: [string, Figures][] = [];
for (const [name, start] of peers) {
  process.stderr.write(`bench:net: ${name}: booting and serving...\n`);
  const server = await start();
  try {
    process.stderr.write(`bench:net: ${name}: loading 127.0.0.1:${server.port}...\n`);
    const f = await load(server.port);
    results.push([name, f]);
    process.stderr.write(`bench:net: ${name}: ${f.mbPerS.toFixed(2)} MB/s, ${f.requestsPerS.toFixed(1)} requests/s${f.wrkErrors ? ` (${f.wrkErrors})` : ''}\n`);
  } finally {
    server.stop();
  }
}
console.log(`\nhost -> guest httpd through a published port (${DOWNLOADS} x curl of ${FILE_BYTES >> 20} MiB; wrk -t1 -c${WRK_CONNECTIONS} -d${WRK_SECONDS}s of a small page)`);
console.log(`${''.padEnd(34)}${'download MB/s'.padStart(16)}${'requests/s'.padStart(14)}`);
for (const [name, f] of results)
  console.log(`${name.padEnd(34)}${f.mbPerS.toFixed(2).padStart(16)}${f.requestsPerS.toFixed(1).padStart(14)}${f.wrkErrors ? `  wrk: ${f.wrkErrors}` : ''}`);
const [ours, peer] = results.map(([, f]) => f);
if (ours && peer)
  console.log(
    `glassbox / QEMU: download ${(ours.mbPerS / peer.mbPerS).toFixed(2)}x, requests ${(ours.requestsPerS / peer.requestsPerS).toFixed(2)}x (above 1: glassbox is faster)`,
  );
process.exit();
