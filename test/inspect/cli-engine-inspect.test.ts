// glassbox inspect against the running engine, as a user runs it: the bundled
// CLI in child processes and one engine (one guest boot) in a fresh
// $GLASSBOX_HOME. The engine serves requests concurrently, streams the trace
// until the client goes, and runs on when a client that paused it exits.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until, within } from '../support/deadline.ts';
import { GLASSBOX_BIN as BIN, glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-inspect-home-'));
const env = { ...process.env, GLASSBOX_HOME: home };
const glassbox = (args: string[], input = '') => glassboxSync(args, { input, timeoutMs: 300_000, env });
const json = (args: string[]) => {
  const r = glassbox([...args, '--json']);
  expect(r.stderr).toMatch(/^glassbox: inspecting the engine's guest \(engine pid \d+/);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

/** Starts the CLI in the background; done() resolves with its output once it exits. */
function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const exited = new Promise<{ stdout: string; code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ stdout, code, signal })));
  const done = () => within(exited, 120_000, `the exit of glassbox ${args.join(' ')}`);
  return { child, done, output: () => stdout };
}

describe('glassbox inspect against the engine', () => {
  afterAll(() => {
    glassbox(['engine', 'stop']);
  });

  it("reads the views of the engine's guest and its containers, and inspect NAME is container inspect", () => {
    expect(glassbox(['run', '-d', '--name', 'web', '--memory', '16m', 'busybox', 'sleep', '100000']).status).toBe(0);
    const cpu = json(['inspect', 'cpu']);
    expect(cpu.mode).toBe('protected');
    expect(cpu.paging).toBe(true);
    const counters = json(['inspect', 'counters', '--interval', '300']);
    expect(counters.intervalGuestNs).toBeGreaterThan(0);
    expect(counters.rates.instructions).toBeGreaterThan(0);
    const [web] = json(['inspect', 'containers']);
    expect(web.name).toBe('web');
    expect(web.cgroup.memoryMax).toBe(String(16 << 20));
    expect(web.namespaces.pid.container).not.toBe(web.namespaces.pid.guest);
    expect(web.processes.map((p: { name: string; pidInContainer: number }) => [p.name, p.pidInContainer])).toEqual([['sleep', 1]]);
    // Block I/O per container, as its cgroup's io.stat counts it: 1 MiB written past the page cache reaches the engine's disk.
    expect(glassbox(['container', 'exec', 'web', 'dd', 'if=/dev/zero', 'of=/direct', 'bs=64k', 'count=16', 'oflag=direct']).status).toBe(0);
    const [afterDd] = json(['inspect', 'containers']);
    expect(afterDd.cgroup.ioWriteBytes).toBeGreaterThanOrEqual(1 << 20);
    const byName = JSON.parse(glassbox(['inspect', 'web']).stdout);
    const viaContainer = JSON.parse(glassbox(['container', 'inspect', 'web']).stdout);
    expect(byName.id).toBe(web.id);
    expect(byName.isolation).toEqual(viaContainer[0].Glassbox.isolation);
    const missing = glassbox(['inspect', 'nosuch']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('No such container: nosuch');
  }, 300_000);

  it('answers ps while a foreground run is still running', async () => {
    const run = background(['run', '--name', 'slow', 'busybox', 'sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo done']);
    await until('the slow container starting', () => /slow/.test(glassbox(['ps']).stdout));
    expect(glassbox(['ps']).stdout).toMatch(/running\s+slow$/m);
    expect(glassbox(['container', 'exec', 'slow', 'touch', '/tmp/go']).status).toBe(0);
    const r = await run.done();
    expect(r.stdout).toBe('done\n');
    expect(r.code).toBe(0);
  }, 300_000);

  it('streams the trace until the client goes', async () => {
    const follow = background(['inspect', 'trace', '--kind', 'syscall,irq', '--follow']);
    // The timer's interrupts show the trace is flowing before the command runs.
    await until('the first interrupt in the followed trace', () => / irq /.test(follow.output()));
    expect(glassbox(['container', 'exec', 'web', 'echo', 'hi']).stdout).toBe('hi\n');
    // busybox enters the kernel through the vDSO, which uses SYSENTER since CPUID reports SEP.
    await until('system calls in the followed trace', () => /write \(4\) by sysenter/.test(follow.output()));
    follow.child.kill('SIGINT');
    const end = await follow.done();
    expect(end.signal ?? end.code).not.toBeNull();
    expect(end.stdout.split('\n').filter((l) => / syscall /.test(l)).length).toBeGreaterThan(10);
  }, 300_000);

  it('pauses, steps and runs to a breakpoint, and the guest runs on when the client ends, even killed', async () => {
    const r = glassbox(['inspect', 'pause', '--json'], 'step 3\nstep\n');
    const stops = r.stdout.split(/\n(?=\{)/).map((s) => JSON.parse(s));
    expect(stops.map((s) => s.reason)).toEqual(['paused', 'stepped', 'stepped']);
    expect(stops[1].instructions - stops[0].instructions).toBe(3);
    expect(stops[2].instructions - stops[1].instructions).toBe(1);
    // A breakpoint at the instruction the CPU is about to execute is reached at once.
    const at = stops[2].linearEip;
    const hit = json(['inspect', 'break', '0x' + at.toString(16), '--timeout', '5']);
    expect(hit.reason).toBe('breakpoint');
    expect(hit.linearEip).toBe(at);
    // A client killed while holding the guest paused: the agent still answers afterwards.
    const paused = background(['inspect', 'pause']);
    await until('the pause', () => /^paused at/.test(paused.output()));
    paused.child.kill('SIGKILL');
    await paused.done();
    expect(glassbox(['container', 'exec', 'web', 'echo', 'running']).stdout).toBe('running\n');
  }, 300_000);
});
