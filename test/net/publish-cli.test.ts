// A published container port as a user meets it: the bundled CLI starts the
// engine (its guest on the user-mode network), runs busybox httpd in a
// container with -p, and curl on the host fetches the page through
// 127.0.0.1. Skipped, saying so, when the guest kernel has no virtio-net.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { tsharkFields, tsharkMissing } from './tshark.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';
import { freePort } from '../support/registry-server.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-net-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 300_000, env: { ...process.env, GLASSBOX_HOME: home } });

describe('glassbox run -p', () => {
  afterAll(() => {
    glassbox(['engine', 'stop']);
  });

  it('serves a container\'s busybox httpd on the host port; port lists it; a second -p of that port is refused', async (ctx) => {
    const port = await freePort();
    const web = glassbox(['run', '-d', '--name', 'web', '-p', `${port}:80`, 'busybox', 'sh', '-c', 'mkdir /www && echo hello from the container > /www/index.html && exec httpd -f -p 80 -h /www']);
    if (web.status === 125 && web.stderr.includes('cannot publish ports')) ctx.skip(`the engine's guest has no network: ${web.stderr.trim()}`);
    expect([web.status, web.stderr]).toEqual([0, '']);
    expect(glassbox(['port', 'web']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    // httpd may take a moment to listen: a refused connection is retried (curl's own deadline bounds each try).
    const curl = spawnSync('curl', ['-sS', '--retry', '20', '--retry-delay', '1', '--retry-all-errors', '--max-time', '60', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 120_000 });
    expect([curl.status, curl.stdout]).toEqual([0, 'hello from the container\n']);
    // inspect net: a capture taken while curl fetches again holds the container's HTTP answers (tshark reads it), and the counters saw them.
    const fetching = spawn('sh', ['-c', `for i in 1 2 3 4 5 6 7 8; do curl -s http://127.0.0.1:${port}/ >/dev/null; sleep 0.5; done`]);
    const pcap = join(home, 'capture.pcap');
    const view = JSON.parse(glassbox(['inspect', 'net', '--engine', '--json', '--pcap', pcap, '--seconds', '4']).stdout);
    await new Promise((r) => fetching.on('exit', r));
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
    expect(glassbox(['rm', '-f', 'web']).status).toBe(0);
    // Removed with its container: nothing listens there any more.
    const after = spawnSync('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30_000 });
    expect(after.status).not.toBe(0);
  }, 600_000);
});
