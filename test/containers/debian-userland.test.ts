// A real distribution's userland in glassbox containers, as a user gets it:
// an i386 Debian image made from Debian's packages (test/support/debian-image.ts)
// is loaded and pushed to Debian's docker-registry on a loopback port by one
// glassbox home, pulled by another (skopeo inspect against the same registry
// is the oracle for the digests), and Debian's own programs run in it:
// python3 and sqlite3, whose output is checked against the same programs on
// the host, and the MariaDB server in one container queried by the MariaDB
// client in another over a user network, by the server's name; and a UDP
// echo server in python3 published with -p HOST:CONTAINER/udp, answering a
// client on the host (busybox in the base image has no UDP server).
//
// The wall-clock times of each are printed (they depend on the load of the
// machine; they are a report, not a check).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { glassboxSync } from '../support/glassbox-cli.ts';
import { freePort, hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { debianImage, debianImageMissing, type DebianImage } from '../support/debian-image.ts';

const MINUTE = 60_000;
const skopeo = (...args: string[]) => execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 5 * MINUTE, stdio: ['ignore', 'pipe', 'pipe'] });

/** `glassbox ARGS` in `home`, its wall time reported under `what`. */
function glassbox(home: string, args: string[], timeoutMs: number, what?: string) {
  const start = performance.now();
  const r = glassboxSync(args, { timeoutMs, env: { ...process.env, GLASSBOX_HOME: home } });
  const seconds = (performance.now() - start) / 1000;
  if (what)
    console.log(
      `debian-userland: ${what}: ${seconds.toFixed(1)} s (load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    );
  return Object.assign(r, { seconds });
}

/** The same program on the host: the oracle for what Debian's i386 build prints. */
const onHost = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', timeout: MINUTE });

const skipReason = !hasRegistry() ? 'docker-registry is not installed' : debianImageMissing();

describe.skipIf(skipReason !== undefined)(`a Debian i386 userland pushed, pulled and run${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let image: DebianImage;
  let registry: TestRegistry;
  let ref: string;
  let pushed: string;
  const pusher = mkdtempSync(join(tmpdir(), 'glassbox-debian-push-'));
  const home = mkdtempSync(join(tmpdir(), 'glassbox-debian-run-'));

  beforeAll(async () => {
    image = debianImage();
    registry = await startRegistry();
    ref = `${registry.host}/debian:i386`;
    const loaded = glassbox(pusher, ['load', '-i', image.archive], 5 * MINUTE);
    expect([loaded.status, loaded.stderr]).toEqual([0, '']);
    // umoci names the layout's image by a bare tag, which names no repository: glassbox loads it unnamed.
    const id = /^Loaded image ID: (sha256:[0-9a-f]{64})$/m.exec(loaded.stdout)?.[1];
    expect(id, loaded.stdout).toBeDefined();
    expect(glassbox(pusher, ['tag', id!, ref], MINUTE).status).toBe(0);
    const push = glassbox(pusher, ['push', '-q', ref], 10 * MINUTE, 'glassbox push');
    expect([push.status, push.stderr]).toEqual([0, '']);
    pushed = push.stdout.trim();
  }, 20 * MINUTE);

  afterAll(async () => {
    glassboxSync(['engine', 'stop'], { timeoutMs: 2 * MINUTE, env: { ...process.env, GLASSBOX_HOME: home } });
    await registry?.stop();
    // The homes hold a disk with the unpacked image; the image build stays cached for the run's other users.
    for (const h of [home, pusher]) rmSync(h, { recursive: true, force: true });
  });

  it(
    'pulls what was pushed: the same manifest and layer digests in glassbox, skopeo inspect and the image layout',
    () => {
      const layout = JSON.parse(readFileSync(join(image.layout, 'index.json'), 'utf8')).manifests[0];
      const manifest = JSON.parse(readFileSync(join(image.layout, 'blobs/sha256', layout.digest.slice(7)), 'utf8'));
      const bytes = manifest.config.size + manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
      expect(pushed).toBe(layout.digest);

      const pull = glassbox(home, ['pull', '-q', ref], 10 * MINUTE, 'glassbox pull');
      expect([pull.status, pull.stderr, pull.stdout]).toEqual([0, '', `${ref}\n`]);
      console.log(
        `debian-userland: pulled ${(bytes / 1e6).toFixed(1)} MB at ${(bytes / 1e6 / pull.seconds).toFixed(1)} MB/s (npm run bench:pull -- --debian for skopeo next to it)`,
      );

      const inspected = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${ref}`));
      expect(inspected.Digest).toBe(pushed);
      expect(inspected.Architecture).toBe('386');
      expect(inspected.Layers).toEqual(manifest.layers.map((l: { digest: string }) => l.digest));
      const listed = glassbox(home, ['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}'], MINUTE);
      expect(listed.stdout).toContain(`${ref} ${pushed}\n`);
    },
    15 * MINUTE,
  );

  it(
    "runs python3: the same output as the host's python3, on a 32-bit x86 interpreter",
    () => {
      // Floats go through the x87 FPU on Debian's i386 (no SSE in its baseline): their shortest repr must still round correctly.
      // python3-minimal's standard library: no json, but hashlib, zlib, random, re and datetime.
      const program = [
        'import base64, datetime, hashlib, math, random, re, zlib',
        'print(hashlib.sha256(b"glassbox" * 1000).hexdigest(), base64.b64encode(hashlib.md5(b"x").digest()).decode())',
        'print(sum(i * i for i in range(100000)), 2 ** 100, 7 ** 77 % 1000003)',
        'print(repr(0.1 + 0.2), math.sqrt(2), math.exp(1), 1e308 * 10, 5e-324 / 2, float("1e-310"), math.fsum([0.1] * 10), "%.17g" % (1 / 3))',
        'random.seed(2026)',
        'print([random.randrange(1000) for _ in range(5)], random.random())',
        'data = bytes(range(256)) * 100',
        'print(zlib.crc32(data), zlib.decompress(zlib.compress(data, 9)) == data)',
        'print(re.findall(r"(\\w)(\\d+)", "a1 b22 c333"), datetime.date(2026, 12, 6) - datetime.date(2000, 2, 29))',
        'print(sorted({3: "c", 1: "a", 2: "b"}.items()))',
      ].join('\n');
      // The first run starts the engine and unpacks the image in the guest: its time is that, the second's is the program's.
      const r = glassbox(home, ['run', '--rm', ref, 'python3', '-c', program], 20 * MINUTE, 'the first run (engine start, image unpacked), python3 -c');
      // stderr holds run's pull progress when this test runs alone (the pull test did not run before it).
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(onHost('python3', ['-c', program]));
      const again = glassbox(home, ['run', '--rm', ref, 'python3', '-c', program], 10 * MINUTE, 'python3 -c in a container');
      expect(again.stdout).toBe(r.stdout);
      const arch = glassbox(home, ['run', '--rm', ref, 'python3', '-c', 'import struct, platform; print(struct.calcsize("P") * 8, platform.machine())'], 10 * MINUTE);
      expect(arch.stdout).toMatch(/^32 i[3-6]86\n$/);
    },
    40 * MINUTE,
  );

  it(
    "runs sqlite3 on a database file in the container: the same output as the host's sqlite3",
    () => {
      // No REAL here needs all 15 digits sqlite prints: its printf rounds through long double, which glassbox's x87
      // keeps as an f64 (asm/cpu/fpu/README.md, "Representation: f64"), so 2.718281828459045 prints as
      // 2.71828182845904 in the container and 2.71828182845905 on the host.
      const sql = [
        'CREATE TABLE t(n INTEGER PRIMARY KEY, sq INTEGER, name TEXT);',
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO t SELECT x, x * x, printf('row-%04d', x) FROM c;",
        'CREATE INDEX t_name ON t(name);',
        'SELECT count(*), sum(sq), max(name), avg(n) FROM t;',
        "SELECT n, name FROM t WHERE name LIKE 'row-19_9' ORDER BY n DESC;",
        "SELECT group_concat(n % 7, ',') FROM (SELECT n FROM t WHERE n < 20);",
        "SELECT json_object('pi', round(3.14159265358979, 6), 'half', 0.5), 1.0 / 3, 10 / 4, 1e308 * 10, 1e-300 * 1e-300;",
        'PRAGMA integrity_check;',
      ].join('\n');
      const r = glassbox(
        home,
        ['run', '--rm', ref, 'sh', '-c', 'sqlite3 /tmp/test.db "$1" && sqlite3 /tmp/test.db "SELECT count(*) FROM t"', 'sh', sql],
        10 * MINUTE,
        'sqlite3 in a container',
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(onHost('sqlite3', [':memory:', sql]) + '2000\n');
    },
    15 * MINUTE,
  );

  it(
    "serves MariaDB in one container to the MariaDB client in another, over a user network by the server's name",
    () => {
      const network = `debnet${process.pid}`;
      expect(glassbox(home, ['network', 'create', network], MINUTE).status).toBe(0);
      // Small buffers for a guest of 256 MiB; the client's user may connect from any address on the network.
      const server = [
        'set -e',
        'mkdir -p /etc/mysql /run/mysqld /var/lib/mysql',
        'printf "[mysqld]\\nuser=root\\ndatadir=/var/lib/mysql\\nsocket=/run/mysqld/mysqld.sock\\nbind-address=0.0.0.0\\nskip-name-resolve\\ninnodb_buffer_pool_size=16M\\ninnodb_log_file_size=8M\\nperformance_schema=OFF\\nkey_buffer_size=1M\\naria_pagecache_buffer_size=1M\\n" > /etc/mysql/my.cnf',
        "printf \"CREATE USER app@'%%' IDENTIFIED BY 'app-pw';\\nGRANT ALL ON *.* TO app@'%%';\\n\" > /run/mysqld/init.sql",
        'mariadb-install-db --skip-name-resolve --skip-test-db > /run/mysqld/install.log 2>&1 || { cat /run/mysqld/install.log; exit 1; }',
        'exec mariadbd --init-file=/run/mysqld/init.sql',
      ].join('\n');
      const start = performance.now();
      const db = glassbox(home, ['run', '-d', '--name', 'db', '--hostname', 'dbhost', '--network', network, ref, 'sh', '-c', server], 5 * MINUTE);
      expect([db.status, db.stderr]).toEqual([0, '']);
      try {
        const query = [
          'CREATE DATABASE shop; USE shop;',
          'CREATE TABLE item (id INT PRIMARY KEY, qty INT, name VARCHAR(20)) ENGINE=InnoDB;',
          "INSERT INTO item WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) SELECT x, x * x, CONCAT('item-', x) FROM c;",
          'SELECT COUNT(*), SUM(qty), MAX(name) FROM item;',
          "SELECT @@version_comment LIKE '%Debian%', @@hostname;",
        ].join('\n');
        // The server takes a while to make its system tables and start: the client retries its first connection (for at most 15 minutes).
        const client = [
          'i=0; until mariadb -h db -u app -papp-pw -e "SELECT 1" >/dev/null 2>/tmp/err; do i=$((i+1)); [ $i -gt 450 ] && { cat /tmp/err; exit 1; }; sleep 2; done',
          'mariadb -h db -u app -papp-pw -N -B -e "$1"',
        ].join('\n');
        const r = glassbox(home, ['run', '--rm', '--network', network, ref, 'sh', '-c', client, 'sh', query], 20 * MINUTE);
        console.log(
          `debian-userland: MariaDB server start to the client's answer: ${((performance.now() - start) / 1000).toFixed(1)} s (load average ${loadavg()
            .map((l) => l.toFixed(1))
            .join(' ')})`,
        );
        const logs = () => glassbox(home, ['logs', 'db'], MINUTE);
        expect([r.status, r.stderr], `the server's log:\n${logs().stdout}${logs().stderr}`).toEqual([0, '']);
        // sum of x² for x = 1..500 is 500·501·1001/6
        expect(r.stdout).toBe(`500\t${(500 * 501 * 1001) / 6}\titem-99\n1\tdbhost\n`);
      } finally {
        glassbox(home, ['rm', '-f', 'db'], 2 * MINUTE);
        glassbox(home, ['network', 'rm', network], MINUTE);
      }
    },
    40 * MINUTE,
  );

  it(
    'publishes a UDP server: python3 in a container answers datagrams a client on the host sends to -p HOST:7777/udp',
    async () => {
      const port = await freePort();
      // Each datagram is answered with its text upper-cased and the address it came from, so the answer is the container's work.
      const server = [
        'import socket',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        's.bind(("0.0.0.0", 7777))',
        'while True:',
        '    data, peer = s.recvfrom(2048)',
        '    s.sendto(data.upper() + b" from " + peer[0].encode(), peer)',
      ].join('\n');
      const run = glassbox(home, ['run', '-d', '--name', 'udpecho', '-p', `${port}:7777/udp`, ref, 'python3', '-u', '-c', server], 20 * MINUTE, 'run -d the UDP echo server');
      // stderr holds run's pull progress when this test runs alone (the pull test did not run before it).
      expect(run.status, run.stderr).toBe(0);
      const client = createSocket('udp4');
      try {
        const answers: string[] = [];
        client.on('message', (m) => answers.push(m.toString()));
        await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
        // The server takes a while to start in the guest: the first datagram is sent again every 2 s until one is answered (for at most 5 minutes).
        const deadline = Date.now() + 5 * MINUTE;
        while (answers.length === 0) {
          if (Date.now() > deadline) throw new Error(`no answer from the container's UDP server on 127.0.0.1:${port} within 5 minutes`);
          client.send('ping 0', port, '127.0.0.1');
          await new Promise((r) => setTimeout(r, 2000));
        }
        for (const n of [1, 2, 3]) {
          const before = answers.length;
          client.send(`ping ${n}`, port, '127.0.0.1');
          const until = Date.now() + MINUTE;
          while (answers.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          expect(answers.at(-1), `no answer to datagram ${n} within a minute`).toMatch(new RegExp(`^PING ${n} from (\\d+\\.){3}\\d+$`));
        }
        // The container saw the datagrams come from the engine's side of its network (the gateway the publish forwards through), not from the host's loopback.
        expect(answers.at(-1)).not.toMatch(/from 127\./);
      } finally {
        client.close();
        glassbox(home, ['rm', '-f', 'udpecho'], 2 * MINUTE);
      }
    },
    30 * MINUTE,
  );
});
