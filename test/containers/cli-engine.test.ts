// The container commands as a user runs them: the bundled CLI in child
// processes, talking to the engine process it starts on first use (its guest
// resumed from the run's snapshot cache: test/support/global-setup.ts), with
// a fresh $GLASSBOX_HOME.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { within } from '../support/deadline.ts';
import { GLASSBOX_BIN as BIN, glassboxSync } from '../support/glassbox-cli.ts';
import { freePort } from '../support/registry-server.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-cli-home-'));
const glassbox = (args: string[], input = '') => glassboxSync(args, { input, timeoutMs: 300_000, env: { ...process.env, GLASSBOX_HOME: home } });

describe('glassbox container commands and the engine', () => {
  afterAll(() => {
    glassbox(['engine', 'stop']);
  });

  it('starts the engine on first use and propagates the exit status, stdout and stderr', () => {
    expect(glassbox(['engine', 'status']).stdout).toBe('engine: not running\n');
    const r = glassbox(['run', '--hostname', 'h1', '-e', 'X=42', 'busybox', 'sh', '-c', 'echo "$(hostname) $X $$"; echo warn >&2; exit 4']);
    expect(r.stderr).toBe('warn\n');
    expect(r.stdout).toBe('h1 42 1\n');
    expect(r.status).toBe(4);
    expect(glassbox(['engine', 'status']).stdout).toMatch(/^engine: running, pid \d+, since .*, 1 containers\n$/);
    expect(existsSync(join(home, 'engine.sock'))).toBe(true);
  }, 300_000);

  it('runs detached containers that ps, exec -i, logs, stats, container inspect, kill and rm see', () => {
    const id = glassbox(['run', '-d', '--name', 'web', '--pids-limit', '7', 'busybox', 'sh', '-c', 'echo started; exec sleep 1000']).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(glassbox(['ps']).stdout).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+busybox:latest\\s+"sh -c echo started;…"\\s+running\\s+web$`, 'm'));
    const echo = glassbox(['exec', '-i', 'web', 'sh', '-c', 'tr a-z A-Z; echo $$'], 'piped in\n');
    expect(echo.stdout).toMatch(/^PIPED IN\n\d+\n$/);
    // `container exec` is the same command under its longer name
    expect(glassbox(['container', 'exec', 'web', 'hostname']).stdout).toBe(glassbox(['exec', 'web', 'hostname']).stdout);
    expect(glassbox(['logs', 'web']).stdout).toBe('started\n');
    expect(glassbox(['stats', 'web']).stdout).toMatch(/^pids\.max: 7$/m);
    const [inspect] = JSON.parse(glassbox(['container', 'inspect', 'web']).stdout);
    expect(inspect.Glassbox.isolation.pidInside).toBe(1);
    expect(inspect.Glassbox.isolation.namespaces.pid.container).not.toBe(inspect.Glassbox.isolation.namespaces.pid.guest);
    const rm = glassbox(['rm', 'web']);
    expect(rm.status).toBe(125);
    expect(rm.stderr).toBe('glassbox: container web is running: stop it first or use force\n');
    expect(glassbox(['kill', 'web']).status).toBe(0);
    expect(glassbox(['ps', '-a']).stdout).toMatch(/Exited \(137\)\s+web$/m);
    expect(glassbox(['rm', 'web']).status).toBe(0);
    expect(glassbox(['ps', '-a']).stdout).not.toMatch(/web/);
  }, 300_000);

  it('run -i streams a large stdin to the container; -it without a terminal is refused', () => {
    const big = 'x'.repeat(1_000_000);
    const wc = glassbox(['run', '-i', '--rm', 'busybox', 'wc', '-c'], big);
    expect(wc.stdout.trim()).toBe('1000000');
    expect(wc.status).toBe(0);
    const notTty = glassbox(['run', '-it', 'busybox', 'sh']);
    expect(notTty.status).toBe(125);
    expect(notTty.stderr).toBe('glassbox: the input device is not a TTY; use -i without -t to pipe input\n');
  }, 300_000);

  it("run -it on a real terminal (script's pty): raw keys reach the container's shell, ^C its job, the exit code and the terminal come back", async () => {
    // script gives glassbox a pty of 30x90; afterwards stty reports whether glassbox restored canonical mode.
    const inner = `stty rows 30 cols 90; ${process.execPath} ${BIN} run -it --rm busybox sh; s=$?; stty -a | grep -o -- '-\\?icanon'; exit $s`;
    const child = spawn('script', ['-qefc', inner, '/dev/null'], { env: { ...process.env, GLASSBOX_HOME: home } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const seen = async (re: RegExp) => {
      for (const deadline = Date.now() + 120_000; !re.test(out); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() > deadline) throw new Error(`${re} not seen in ${JSON.stringify(out.slice(-400))}`);
      }
    };
    const type = (s: string) => child.stdin.write(s);
    // Busybox's shell asks the terminal where its cursor is after the prompt (ESC [6n); a pty with no terminal behind it leaves that unanswered.
    await seen(/# (\x1b\[6n)?$/);
    type('tty; stty size\r');
    // Node's raw mode leaves the outer terminal's output processing on (ONLCR), so
    // the container terminal's \r\n arrives as \r\r\n, which a terminal shows alike.
    await seen(/\/dev\/pts\/\d+\r+\n30 90\r+\n/);
    type('sleep 100000\r');
    await seen(/sleep 100000\r+\n/);
    type('\x03');
    type('echo "after ^C: $?"\r');
    await seen(/after \^C: 130\r+\n/);
    type('exit 6\r');
    expect(await within(exited, 60_000, 'the exit of glassbox run -it after exit 6 in its shell')).toBe(6);
    expect(out).toMatch(/\r\nicanon\r\n$/);
  }, 300_000);

  it('names what is wrong with bad input', async () => {
    // An image the store lacks is pulled, as Docker does: here from a loopback registry that is not there.
    const down = `127.0.0.1:${await freePort()}`;
    const noImage = glassbox(['run', `${down}/nosuch`]);
    expect(noImage.status).toBe(125);
    expect(noImage.stderr).toMatch(new RegExp(`^Unable to find image '${down}/nosuch:latest' locally\nglassbox: cannot reach registry ${down} .*connection refused`));
    const badSize = glassbox(['run', '--memory', '8x', 'busybox']);
    expect(badSize.status).not.toBe(0);
    expect(badSize.stderr).toMatch(/--memory <size>.*8x.*give a size such as 8m/);
  }, 300_000);

  it('builds an image with progress step by step, runs it, and names a bad line', () => {
    const ctx = mkdtempSync(join(tmpdir(), 'glassbox-cli-ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo made > /f\nCMD ["cat", "/f"]\n');
    const b = glassbox(['build', '-t', 'made:1', ctx]);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/^Step 1\/3 : FROM busybox\n[\s\S]*^Step 2\/3 : RUN echo made > \/f\n[\s\S]*^Successfully tagged made:1$/m);
    expect(glassbox(['images']).stdout).toMatch(/^made\s+1\s+[0-9a-f]{12}/m);
    expect(glassbox(['run', '--rm', 'made:1']).stdout).toBe('made\n');
    writeFileSync(join(ctx, 'bad.Dockerfile'), 'FROM busybox\nEXPOSE 80\n');
    const bad = glassbox(['build', '-t', 'bad:1', '-f', join(ctx, 'bad.Dockerfile'), ctx]);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/^glassbox: Dockerfile line 2: unsupported instruction EXPOSE/);
    expect(glassbox(['images']).stdout).not.toMatch(/^bad/m);
  }, 300_000);

  it('engine stop ends the engine', () => {
    expect(glassbox(['engine', 'stop']).stdout).toBe('engine: stopped\n');
    expect(glassbox(['engine', 'status']).stdout).toBe('engine: not running\n');
  }, 60_000);
});
