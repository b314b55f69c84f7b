// Debian's unmodified 686 kernel under the realtime clock, as a user runs it
// (the CLI, the page and the engine use this clock), and without
// `tsc=reliable`, so its clocksource watchdog checks the TSC against the HPET
// or the ACPI PM timer every half second. With the guest time of an
// instruction fitted to the host's speed as the machine runs, the kernel must
// still calibrate its TSC at the nominal 100 MHz against the PIT, keep the
// TSC as its clocksource, run a busy phase faster than the nominal 100 MIPS
// with a `sleep 2` beside it lasting two seconds, and log no complaint about
// its clocks, timers or RCU.

import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';
import { debianKernel } from '../support/debian-kernel.ts';
import { KERNEL_COMPLAINTS } from '../support/kernel-complaints.ts';
import { BUSY_COMMAND, BUSY_SETUP, idle, measureBusy } from '../support/busy-realtime.ts';

const m = await Machine.create({ kernel: debianKernel(), initrd: new Uint8Array(readFileSync(DEFAULT_INITRD)), cmdline: 'console=ttyS0', clock: 'realtime' });
let serial = '';
m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
afterAll(() => m.stop());

it('keeps the TSC as its clocksource through a busy phase run faster than the nominal speed', async () => {
  m.start();
  await m.waitFor(/\/ # /, { timeoutMs: 300_000 });
  // Linux's quick PIT calibration promises 500 ppm (arch/x86/kernel/tsc.c): the TSC and the PIT read one guest time.
  const mhz = Number(/tsc: Detected (\d+\.\d+) MHz processor/.exec(serial)?.[1]);
  expect(Math.abs(mhz - 100)).toBeLessThan(0.05);
  // The watchdog has had the boot to look at the TSC; the busy phase gives it a few seconds more.
  m.serial.write(`${BUSY_SETUP}; echo ready-$((40+2))\n`);
  await m.waitFor(/ready-42/, { timeoutMs: 60_000 });
  await idle(m);
  const done = measureBusy(m);
  m.serial.write(`${BUSY_COMMAND}; cat /sys/devices/system/clocksource/clocksource0/current_clocksource; echo done-$((40+2))\n`);
  const out = await m.waitFor(/done-42/, { timeoutMs: 120_000 });
  done(out);
  expect(out).toMatch(/^tsc\s*$/m);
  m.serial.write('dmesg | grep -i -e clocksource -e tsc; echo logged-$((40+2))\n');
  const log = await m.waitFor(/logged-42/, { timeoutMs: 60_000 });
  console.log(log);
  expect(log).toMatch(/clocksource: Switched to clocksource tsc/);
  expect(serial).not.toMatch(KERNEL_COMPLAINTS);
}, 900_000);
