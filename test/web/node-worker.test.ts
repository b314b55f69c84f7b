// The machine service in a worker_thread, driven through comlink as the page
// drives it in a Web Worker: the default guest boots, answers exec through its
// agent, and echoes keys typed on its console.

import { readFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { proxy } from 'comlink';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../../src/boot/default-guest.ts';
import { coreModule } from '../../src/core/load-node.ts';
import { startNodeMachine } from '../../src/web/node-machine.ts';

const { machine, close } = startNodeMachine();
afterAll(() => close());

test('boots in a worker_thread and runs exec and the console through the comlink proxy', async () => {
  let consoleText = '';
  await machine.boot(
    { core: coreModule(), kernel: readFileSync(DEFAULT_KERNEL), initrd: readFileSync(DEFAULT_INITRD) },
    proxy((bytes: Uint8Array) => (consoleText += new TextDecoder().decode(bytes))),
  );
  await machine.agentReady();
  const r = await machine.exec('uname -sr; echo $((6*7))');
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^Linux 6\.1\.\S+\n42\n$/);

  // The shell on COM1 evaluates what is typed; the product appears only if it ran.
  const until = async (re: RegExp) => {
    for (let i = 0; i < 600 && !re.test(consoleText); i++) await new Promise((r) => setTimeout(r, 100));
    expect(consoleText).toMatch(re);
  };
  await until(/\/ # /);
  await machine.write('echo typed-$((7*191))\n');
  await until(/typed-1337/);

  const s = await machine.snapshot();
  expect(['running', 'halted']).toContain(s.power);
  expect(s.instructions).toBeGreaterThan(100_000_000);
  expect(s.tlbMisses).toBeGreaterThan(0);
  // Linux's direct map: kernel virtual 0xC0000000 + x is physical x (PAGE_OFFSET of this i386 kernel).
  const w = await machine.walk(0xc0100000);
  expect(w.physical).toBe(0x100000);
  expect(w.steps.length).toBeGreaterThan(0);
}, 300_000);
