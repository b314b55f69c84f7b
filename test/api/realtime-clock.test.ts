// The realtime clock: guest time follows the wall clock. A busy guest runs as
// fast as the host runs it, the guest time of an instruction fitted to the
// host's speed (src/machine/wall-clock.ts), and an idle guest's timers never
// jump it past the wall, so a `sleep` in the guest lasts as long as it says.

import { afterAll, expect, test } from 'vitest';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { BUSY_COMMAND, BUSY_SETUP, idle, measureBusy } from '../support/busy-realtime.ts';
import { KERNEL_COMPLAINTS } from '../support/kernel-complaints.ts';

// Resumed from the booted guest's cached snapshot (test/support/global-setup.ts): the clock is what is tested, not the boot.
const m = await bootDefaultGuest(256, 'realtime');
afterAll(() => m.stop());

test('an idle guest keeps wall time, and sleep 1 takes a second', async () => {
  await m.exec('true');
  const wall = () => performance.now() / 1000;
  const guest = () => m.pc.nowNs() / 1e9;

  // The first idle moment lets guest time catch up with the wall; from then on it follows it.
  await new Promise((r) => setTimeout(r, 1000));
  const [w0, g0] = [wall(), guest()];
  await new Promise((r) => setTimeout(r, 2000));
  const [idleWall, idleGuest] = [wall() - w0, guest() - g0];
  expect(idleGuest).toBeGreaterThan(idleWall * 0.8);
  expect(idleGuest).toBeLessThan(idleWall * 1.2 + 0.05);

  // A timer the guest waits on is not skipped to: sleep 1 takes a second of wall time.
  const [w1, g1] = [wall(), guest()];
  const r = await m.exec('sleep 1');
  expect(r.exitCode).toBe(0);
  expect(wall() - w1).toBeGreaterThanOrEqual(0.95);
  expect(guest() - g1).toBeLessThan(wall() - w1 + 0.1);
}, 120_000);

test("a busy guest runs faster than the nominal 100 MIPS, and its clocks keep the wall's time meanwhile", async () => {
  expect((await m.exec(BUSY_SETUP)).exitCode).toBe(0);
  await idle(m);
  const done = measureBusy(m);
  const r = await m.exec(BUSY_COMMAND, { timeoutMs: 120_000 });
  expect(r.exitCode).toBe(0);
  done(r.stdout);
}, 180_000);

test("the guest's kernel logged no complaint about its clocks or timers", async () => {
  const r = await m.exec('dmesg');
  expect(r.exitCode).toBe(0);
  expect(r.stdout).not.toMatch(KERNEL_COMPLAINTS);
});
