// The machine service in a worker_thread, driven through comlink as the page
// drives it in a Web Worker: the default guest boots through Machine.create
// on the worker's platform, answers exec through its agent, echoes keys typed
// on its console, reports what its translator did, and runs a container from
// the busybox layout the page ships, which the containers view then shows in
// namespaces of its own.

import { afterAll, expect, test } from 'vitest';
import { proxy } from 'comlink';
import { startNodeMachine } from '../../src/web/node-machine.ts';
import { within } from '../support/deadline.ts';
import { defaultJitMode } from '../../src/core/core.ts';

const { machine, close } = startNodeMachine();
afterAll(() => close());

/** A reply through the comlink proxy: a worker that died would leave it pending for ever. */
const reply = <T>(call: Promise<T>, what: string, ms = 60_000) => within(call, ms, `the worker_thread's answer to ${what}`);

test('boots in a worker_thread and runs exec, the console and a container through the comlink proxy', async () => {
  let consoleText = '';
  await reply(
    machine.boot(
      {},
      proxy((bytes: Uint8Array) => (consoleText += new TextDecoder().decode(bytes))),
    ),
    'boot',
    120_000,
  );
  await expect(
    reply(
      machine.boot(
        {},
        proxy(() => {}),
      ),
      'a second boot',
    ),
  ).rejects.toThrow('this worker already runs a guest');
  await reply(machine.agentReady(), 'agentReady', 180_000);
  const r = await reply(machine.exec('uname -sr; echo $((6*7))'), 'exec uname');
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^Linux 6\.1\.\S+\n42\n$/);

  // The shell on COM1 evaluates what is typed; the product appears only if it ran.
  const until = async (re: RegExp) => {
    for (let i = 0; i < 600 && !re.test(consoleText); i++) await new Promise((r) => setTimeout(r, 100));
    expect(consoleText).toMatch(re);
  };
  await until(/\/ # /);
  await reply(machine.write('echo typed-$((7*191))\n'), 'write');
  await until(/typed-1337/);

  const s = await reply(machine.snapshot(), 'snapshot');
  expect(['running', 'halted']).toContain(s.power);
  expect(s.counters.instructions).toBeGreaterThan(100_000_000);
  expect(s.counters.tlb.misses).toBeGreaterThan(0);
  // The translator runs in the worker (the page's is this service too): in the mode the core starts in, and, unless that is off, hot code compiled and run.
  const j = await reply(machine.jitStats(), 'jitStats');
  expect(j.mode).toBe(defaultJitMode());
  expect(j.failures).toEqual([]);
  expect(j.instructions).toBeGreaterThanOrEqual(s.counters.instructions);
  if (j.mode !== 'off') expect(Math.min(j.compiled, j.translatedInstructions)).toBeGreaterThan(0);
  expect(s.cpu.mode).toBe('protected');
  // Linux's direct map: kernel virtual 0xC0000000 + x is physical x (PAGE_OFFSET of this i386 kernel).
  const w = await reply(machine.walk(0xc0100000, { write: false, user: false }), 'walk');
  expect(w.physical).toBe(0x100000);
  expect(w.fault).toBeNull();

  // Under the virtual clock an idle guest's time jumps to its next timer, so the container waits on a FIFO, not a timer.
  await reply(machine.runContainer('busybox', { name: 'w1', hostname: 'in-worker', cmd: ['sh', '-c', 'mkfifo /f && exec cat /f'], detach: true }), 'runContainer', 120_000);
  expect((await reply(machine.execInContainer('w1', ['hostname']), 'execInContainer')).stdout).toBe('in-worker\n');
  const [view] = await reply(machine.containers(), 'containers');
  expect(view).toMatchObject({ name: 'w1', image: 'busybox:latest', status: 'running', oomKills: 0 });
  const guestUts = (await reply(machine.exec('readlink /proc/1/ns/uts'), 'exec readlink')).stdout.match(/\[(\d+)\]/)![1];
  expect(view!.namespaces.uts!.guest).toBe(Number(guestUts));
  expect(view!.namespaces.uts!.container).not.toBe(view!.namespaces.uts!.guest);
  expect(view!.namespaces.pid!.container).not.toBe(view!.namespaces.pid!.guest);
  expect(view!.processes).toEqual([expect.objectContaining({ pidInContainer: 1, name: 'cat' })]);
  await reply(machine.removeContainer('w1', true), 'removeContainer');
  expect(await reply(machine.containers(), 'containers')).toEqual([]);
}, 300_000);
