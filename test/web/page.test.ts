// The page in a real browser (Debian's chromium, headless, through
// playwright-core): it resumes the booted default guest in its worker from
// the snapshot the build ships, the terminal runs what is typed (the guest
// running translated: its service's jitStats), a web server started in it
// opens in the page through its Service Worker, the counters move, the MMU
// panel walks an address, and the tour's engine containers show up in the
// containers panel: their own namespaces next to the guest's, the OOM
// demo's kill at its memory limit, and a container's published port opened
// in an iframe. A response of several MiB streams with backpressure, and the
// guest's attempts to reach out of the page (which has no sockets) fail at
// once.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { projectPath } from '../../src/paths.ts';
import type { JitStats } from '../../src/core/jit/translator.ts';
import { openBrowserPage, type BrowserPage } from '../support/browser-page.ts';

let opened: BrowserPage;
let page: Page;

beforeAll(async () => {
  opened = await openBrowserPage({ viewport: { width: 1600, height: 1000 } });
  page = opened.page;
});

afterAll(async () => {
  await opened?.close();
});

const terminalText = () => page.locator('.xterm-rows').innerText();

test('resumes the booted guest to a shell and runs what is typed in the terminal', async () => {
  await page.waitForSelector('#boot-stages[data-done="true"]', { timeout: 240_000 });
  // From the snapshot, not a boot it fell back to.
  expect(await page.locator('#boot-stages').getAttribute('data-mode')).toBe('snapshot');
  // The page's timeline of its start (what bench:web prints): the worker's moments on the page's clock, in order.
  const timeline = JSON.parse((await (await page.waitForSelector('#boot-stages[data-timeline]', { state: 'attached' })).getAttribute('data-timeline'))!);
  const at = (stage: string) => (expect(timeline).toHaveProperty([stage]), timeline[stage] as number);
  expect(at('worker script')).toBeLessThan(at('guest/default.snap read'));
  expect(at('guest/default.snap read')).toBeLessThan(at('machine made'));
  expect(at('machine made')).toBeLessThanOrEqual(at('prompt'));
  await page.click('#terminal');
  await page.keyboard.type('uname -a\n');
  await expect.poll(terminalText, { timeout: 30_000 }).toMatch(/Linux \S+ 6\.1\.\S+ .*i686/);
  // The worker's guest runs translated: hot code compiled to wasm in the tab, and instructions retired in it.
  const jit = () => page.evaluate(() => (window as unknown as { glassbox: { jitStats(): Promise<JitStats> } }).glassbox.jitStats());
  await expect.poll(async () => ((j) => [j.mode, j.compiled > 0, j.translatedInstructions > 0, j.failures])(await jit()), { timeout: 30_000 }).toEqual(['on', true, true, []]);
}, 300_000);

test("a server in the tab's guest opens in the page: the Service Worker relays ports/PORT/ to the guest port, from the page and from an iframe", async () => {
  await page.waitForSelector('body[data-agent="ready"]', { timeout: 120_000 });
  await page.waitForSelector('body[data-ports="ready"]', { timeout: 30_000 });
  // Content only this run knows: it can come from nowhere but the guest's files.
  const token = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  await page.click('#terminal');
  await page.keyboard.type(
    `mkdir -p /tmp/www && echo served-${token} > /tmp/www/file && echo "<h1>index-${token}</h1>" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && echo httpd-$((6*7))-up\n`,
  );
  await expect.poll(terminalText, { timeout: 30_000 }).toMatch(/httpd-42-up/);

  const get = (url: string) =>
    page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    }, url);
  expect(await get('ports/8080/file')).toMatchObject({ status: 200, text: `served-${token}\n` });
  // The server's header fields come through: busybox httpd types index.html by its extension.
  expect(await get('ports/8080/')).toEqual({ status: 200, type: 'text/html', text: `<h1>index-${token}</h1>\n` });
  // busybox httpd's own 404 page, and a port nothing listens on: the guest's reset, said so.
  expect(await get('ports/8080/missing')).toMatchObject({ status: 404, text: expect.stringMatching(/404 Not Found/) });
  expect(await get('ports/8081/')).toMatchObject({ status: 502, text: expect.stringMatching(/refused or reset the connection to its port 8081/) });

  // The ports panel opens the site in an iframe, whose own requests go through the Service Worker too.
  await page.fill('#ports-port', '8080');
  await page.click('#ports-open');
  await expect.poll(() => page.frameLocator('#ports-frame').locator('h1').innerText(), { timeout: 30_000 }).toBe(`index-${token}`);
  const frame = page.frames().find((f) => f.url().endsWith('/ports/8080/'));
  expect(frame, 'the iframe at ports/8080/').toBeDefined();
  expect(await frame!.evaluate(async () => (await fetch('file')).text())).toBe(`served-${token}\n`);
}, 240_000);

test('a response of several MiB streams through the relay: a reader that stops a while and reads on gets every byte', async () => {
  // The guest's httpd of the test before still serves /tmp/www on 8080; the file's digest is the guest's own sha256sum.
  await page.click('#terminal');
  // Two copies of the guest's busybox, each followed by its own number (3.9 MiB), so a block out of place changes the digest;
  // /dev/urandom and seq are too slow to fill it here when the host is busy.
  await page.keyboard.type(
    `for i in 1 2; do cat /bin/busybox; echo $i; done > /tmp/www/big && echo "$(wc -c < /tmp/www/big) $(sha256sum /tmp/www/big | cut -d' ' -f1) = big-sum"\n`,
  );
  await expect.poll(terminalText, { timeout: 300_000 }).toMatch(/\d+ [0-9a-f]{64} = big-sum/);
  const [, guestLength, guestSum] = /(\d+) ([0-9a-f]{64}) = big-sum/.exec(await terminalText())!;

  // The page's reader takes the first chunk and stops.
  await page.evaluate(async () => {
    const r = await fetch('ports/8080/big');
    const reader = r.body!.getReader();
    const first = await reader.read();
    (window as unknown as { big: unknown }).big = { reader, chunks: [first.value] };
  });
  // A stall longer than the relay's retransmission and window-probe timers: the stream must survive it whole.
  // (Where the bytes wait is not asserted here: in runs so far the guest had sent all 3.9 MiB and closed within
  // 2 s of the stall, so something between the Service Worker's stream and this reader reads ahead, Chromium's
  // pipe to the page or the relay itself in the browser; not yet found out. The relay's own bound, with a reader
  // of our own, is test/net/port-relay.test.ts's.)
  await page.waitForTimeout(3000);
  // Reading on: every byte, its digest the guest's.
  const got = await page.evaluate(async () => {
    const { reader, chunks } = (window as unknown as { big: { reader: ReadableStreamDefaultReader<Uint8Array>; chunks: Uint8Array[] } }).big;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) all.set(c, (at += c.length) - c.length);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    return { length: all.length, sum: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
  });
  expect(got).toEqual({ length: Number(guestLength), sum: guestSum });

  // The rate a reader that does not stop gets (printed for the record: speed is measured in bench/, not asserted here).
  const rate = await page.evaluate(async () => {
    const t0 = performance.now();
    const n = (await (await fetch('ports/8080/big')).arrayBuffer()).byteLength;
    return { bytes: n, ms: performance.now() - t0 };
  });
  expect(rate.bytes).toBe(Number(guestLength));
  console.log(`ports/8080/big: ${rate.bytes} bytes in ${rate.ms.toFixed(0)} ms, ${(rate.bytes / 1048576 / (rate.ms / 1000)).toFixed(2)} MiB/s`);
}, 600_000);

test("the tab's guest reaching out fails at once, saying so: TCP is refused, UDP unreachable, names unknown", async () => {
  await page.click('#terminal');
  // 198.51.100.0/24 is TEST-NET-2 (RFC 5737): an address that is nobody's, which a page could not reach in any case.
  const timed = (name: string, command: string) => `t0=$(date +%s); ${command}; echo "${name}-status=$? after $(( $(date +%s) - t0 )) s"`;
  await page.keyboard.type(
    [
      // (Not wget -T: busybox 1.35's wget with -T crashes on a refused connection, on any host.)
      timed('tcp', 'wget -q -O /dev/null http://198.51.100.7/'),
      // A DNS query to a server out there is a UDP datagram the page cannot send; then a name through the stack's own DNS.
      timed('udp', 'nslookup example.com 198.51.100.7'),
      timed('dns', 'nslookup example.com'),
    ].join('; ') + '\n',
  );
  await expect.poll(terminalText, { timeout: 90_000 }).toMatch(/dns-status=\d+ after \d+ s/);
  const text = await terminalText();
  for (const name of ['tcp', 'udp', 'dns']) {
    const [, status, seconds] = new RegExp(`${name}-status=(\\d+) after (\\d+) s`).exec(text)!;
    if (name !== 'dns') expect(Number(status), `${name} failed`).not.toBe(0);
    // Far inside the seconds a resolver or a connect would otherwise wait (the clock is the guest's wall clock: whole seconds).
    expect(Number(seconds), `${name} failed at once`).toBeLessThanOrEqual(2);
  }
  expect(text).toMatch(/Connection refused/);
  expect(text).toMatch(/write to '198\.51\.100\.7': No route to host/);
  expect(text).toMatch(/NXDOMAIN/);
}, 150_000);

test('counters move and the MMU panel walks an address', async () => {
  await page.waitForSelector('body[data-agent="ready"]', { timeout: 120_000 });
  const instructions = async () => Number((await page.locator('#counters .totals').innerText()).split(' ')[0].replace(/,/g, ''));
  const first = await instructions();
  await expect.poll(instructions, { timeout: 10_000 }).toBeGreaterThan(first);
  await expect.poll(() => page.locator('[data-counter="tlbMisses"]').innerText()).not.toBe('–');

  // Linux's direct map puts kernel virtual 0xC0000000 + x at physical x.
  await page.fill('#mmu-address', 'c0123456');
  await page.click('#mmu-walk-button');
  await page.waitForSelector('#mmu-walk .result[data-physical="1193046"]', { timeout: 10_000 });
  // Every live process's page directory maps the kernel the same way: the walk under another address space lands on
  // the same frame. The list is of the CR3 values loaded recently, and some are of processes gone since (the boot's
  // DHCP client and its script, say), whose page directories are free pages: so at least one of them, not each.
  await page.click('#mmu-spaces-button');
  const others = await page.locator('#mmu-spaces button[data-cr3]:not(:has-text("(now)"))').evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('data-cr3'))));
  expect(others.length).toBeGreaterThan(0);
  const walksTo = async (cr3: number) => {
    await page.click(`#mmu-spaces button[data-cr3="${cr3}"]`);
    await expect.poll(() => page.locator('#mmu-walk .level').first().innerText(), { timeout: 10_000 }).toContain(`CR3 0x${cr3.toString(16).padStart(8, '0')}`);
    // The walk shows a level every 120 ms: two levels and the result, or a #PF.
    await page.waitForSelector('#mmu-walk .result, #mmu-walk [data-fault]', { timeout: 10_000 });
    return (await page.locator('#mmu-walk .result[data-physical="1193046"]').count()) === 1;
  };
  let same = false;
  for (const cr3 of others) if (!same) same = await walksTo(cr3);
  expect(same, `a walk of 0xc0123456 under one of ${others.map((c) => c.toString(16))} reaching physical 0x123456`).toBe(true);

  // The shell's own system calls appear in the trace once it is recording them.
  await page.check('#trace input[data-kind="syscall"]');
  await page.click('#terminal');
  await page.keyboard.type('echo traced\n');
  await expect.poll(() => page.locator('#trace-list').innerText(), { timeout: 20_000 }).toMatch(/syscall\s+\w+ \(\d+\) by (int 0x80|sysenter)/);
}, 200_000);

test('the tour runs engine containers: own namespaces in the containers panel, and an OOM kill at the memory limit', async () => {
  await page.click('[data-step="container"]');
  const box = page.locator('#containers [data-container="tour-box"]');
  // The engine's first container: its image unpacked, its namespace on the bridge (minutes when the host is busy).
  await expect.poll(() => box.getAttribute('data-status'), { timeout: 300_000 }).toBe('running');
  for (const ns of ['pid', 'uts']) {
    const row = box.locator(`tr[data-ns="${ns}"]`);
    await row.waitFor({ timeout: 30_000 });
    const [inside, guest] = [Number(await row.locator('td.ctr').innerText()), Number(await row.locator('td.guest').innerText())];
    // Namespace inodes come from procfs's inode range (the initial namespaces' from just below 0xF0000000).
    expect(inside).toBeGreaterThan(0xe0000000);
    expect(guest).toBeGreaterThan(0xe0000000);
    expect(inside).not.toBe(guest);
  }
  // Its sleep is PID 1 in its own PID namespace and has another PID in the guest's.
  await expect.poll(() => box.locator('.ctr-values').innerText(), { timeout: 30_000 }).toMatch(/sleep \(PID 1 inside, (?!1\b)\d+ in the guest\)/);

  // Inside the container, its sleep is PID 1 and the hostname is its own.
  await page.click('[data-step="namespace"]');
  await expect
    .poll(() => page.locator('#tour-output').innerText(), { timeout: 180_000 })
    .toMatch(/inside tour-box: hostname tour-box, \d+ processes:[\s\S]*\n\s*1 \S+\s+\d*:?\d*\s*sleep 3600/);

  // The memory hog: usage climbs towards the 8 MiB limit, then the OOM killer ends it.
  await page.click('[data-step="oom"]');
  const hog = page.locator('#containers [data-container="tour-oom"]');
  // Each run puts a container on the bridge (its namespace, veth and address): minutes when the host is busy.
  await hog.waitFor({ timeout: 240_000 });
  await expect.poll(() => hog.locator('.ctr-limits').innerText(), { timeout: 30_000 }).toMatch(/memory\.max 8\.0 MiB/);
  let sampled = 0;
  await expect
    .poll(
      async () => {
        const mib = /memory ([\d.]+) MiB/.exec(await hog.locator('.ctr-values').innerText());
        sampled = Math.max(sampled, Number(mib?.[1] ?? 0));
        return hog.getAttribute('data-oom-kills');
      },
      { timeout: 150_000, interval: 250 },
    )
    .not.toBe('0');
  // The panel charted the climb, and the kernel's own record of the highest usage (memory.peak) is at the limit.
  expect(sampled).toBeGreaterThan(1);
  await expect.poll(async () => Number(/\(peak ([\d.]+) MiB\)/.exec(await hog.locator('.ctr-values').innerText())?.[1]), { timeout: 30_000 }).toBeGreaterThan(7);
  await expect.poll(() => hog.getAttribute('data-status'), { timeout: 30_000 }).toBe('exited');
  await expect(hog.locator('.ctr-head').innerText()).resolves.toMatch(/exited \(exit 137\) · OOM kills: [1-9]/);
}, 700_000);

test("a container's published port opens in the page: the tour's httpd on the bridge, -p 8090:80, in the ports panel's iframe", async () => {
  await page.click('[data-step="web"]');
  const web = page.locator('#containers [data-container="tour-web"]');
  await expect.poll(() => web.getAttribute('data-status'), { timeout: 300_000 }).toBe('running');
  // The tour printed the page the container's httpd serves as fetched inside the container itself (busybox wget to its own lo).
  await expect.poll(() => page.locator('#tour-output').innerText(), { timeout: 120_000 }).toMatch(/<p id=token>[0-9a-f-]{36}<\/p>/);
  const output = await page.locator('#tour-output').innerText();
  const token = /<p id=token>([0-9a-f-]{36})<\/p>/.exec(output)![1];
  // Its own address on the bridge (172.17.0.0/16), and its port published on the page's port 8090.
  expect(output).toMatch(/own address on the bridge: 172\.17\.\d+\.\d+/);
  expect(output).toMatch(/80\/tcp -> ports\/8090\//);
  // The iframe at ports/8090/ shows the same page, through the Service Worker, the guest's NIC and its bridge.
  await expect.poll(() => page.frameLocator('#ports-frame').locator('#token').innerText(), { timeout: 120_000 }).toBe(token);
  expect(await page.frameLocator('#ports-frame').locator('h1').innerText()).toBe('served by container tour-web');
  // Port 80 is the container's, in its own network namespace: the guest's own port 80 has no server.
  const guest80 = await page.evaluate(async () => (await fetch('ports/80/')).status);
  expect(guest80).toBe(502);
  await page.screenshot({ path: projectPath('build', 'web-page.png'), fullPage: true });
}, 600_000);

test("a container's published port is listed in the ports panel until the container ends, and a POST body of several MiB streams to its server, whose sha256 of it is the page's", async () => {
  await page.waitForSelector('body[data-agent="ready"]', { timeout: 120_000 });
  await page.waitForSelector('body[data-ports="ready"]', { timeout: 30_000 });
  // A server in a container, published on page port 8095, that answers each request with the length and sha256 of its body
  // (busybox nc running a shell script per connection: busybox httpd's CGI answered nothing through the relay, cause not found).
  const handler = [
    '#!/bin/sh',
    'len=0',
    'while IFS= read -r line; do line=${line%$(printf "\\r")}; [ -z "$line" ] && break; case "$line" in [Cc]ontent-[Ll]ength:*) len=${line#*: };; esac; done',
    'body="$len $(head -c "$len" | sha256sum | cut -d" " -f1)"',
    'printf "HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s\\n" $((${#body} + 1)) "$body"',
  ].join('\n');
  const serve = `mkdir -p /up && cat > /up/sum <<'EOF'\n${handler}\nEOF\nchmod +x /up/sum && exec nc -ll -p 80 -e /up/sum`;
  await page.evaluate(
    (cmd) =>
      (window as unknown as { glassbox: { runContainer(image: string, o: object): Promise<unknown> } }).glassbox.runContainer('busybox', {
        name: 'upload',
        detach: true,
        publish: [{ hostIp: '127.0.0.1', hostPort: 8095, containerPort: 80, protocol: 'tcp' }],
        cmd: ['sh', '-c', cmd],
      }),
    serve,
  );
  const listed = page.locator('#ports-published li[data-port="8095"]');
  await listed.waitFor({ timeout: 120_000 });
  expect(await listed.getAttribute('data-container')).toBe('upload');
  expect(await listed.innerText()).toMatch(/ports\/8095\/ → upload:80/);

  // Until its server answers: 502 while nothing listens in the container yet.
  const post = (size: number) =>
    page.evaluate(async (n) => {
      const body = new Uint8Array(n);
      for (let at = 0; at < n; at += 65536) crypto.getRandomValues(body.subarray(at, Math.min(n, at + 65536)));
      const sum = [...new Uint8Array(await crypto.subtle.digest('SHA-256', body))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const r = await fetch('ports/8095/sum', { method: 'POST', body });
      return { status: r.status, text: await r.text(), sum };
    }, size);
  await expect.poll(async () => (await post(16)).status, { timeout: 120_000, interval: 1000 }).toBe(200);
  const big = await post(5 * 1048576 + 12345);
  expect(big.status).toBe(200);
  expect(big.text.trim()).toBe(`${5 * 1048576 + 12345} ${big.sum}`);

  // The container ends (its nc killed from the guest): its port goes from the list.
  const killed = await page.evaluate(() =>
    (window as unknown as { glassbox: { exec(c: string): Promise<{ exitCode: number }> } }).glassbox.exec(
      "kill -9 $(ps w | grep '[n]c -ll -p 80 -e /up/sum' | sed 's/^ *//; s/ .*//')",
    ),
  );
  expect(killed.exitCode).toBe(0);
  await expect.poll(() => listed.count(), { timeout: 60_000 }).toBe(0);
}, 600_000);
