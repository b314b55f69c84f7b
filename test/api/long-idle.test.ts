// A guest asleep for hours of guest time under the virtual clock: the
// machine skips its idle time from timer event to timer event, and must
// never get stuck on an event that rounding puts a PIT tick away from "now"
// (it spun for good at 5,339 s of guest time before).

import { describe, expect, it } from 'vitest';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';

describe('a long sleep under the virtual clock', () => {
  it('wakes after two hours of guest time, a few seconds of wall time', async () => {
    // Resumed from the booted guest's cached snapshot (test/support/global-setup.ts): the sleep is what is tested, not the boot.
    const m = await bootDefaultGuest(256, 'virtual');
    try {
      const r = await m.exec('sleep 7200; echo woke', { timeoutMs: 8_000_000 });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'woke\n', timedOut: false });
    } finally {
      m.stop();
    }
  }, 120_000);
});
