// A guest asleep for hours of guest time under the virtual clock: the
// machine skips its idle time from timer event to timer event, and must
// never get stuck on an event that rounding puts a PIT tick away from "now"
// (it spun for good at 5,339 s of guest time before).

import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';

describe('a long sleep under the virtual clock', () => {
  it('wakes after two hours of guest time, a few seconds of wall time', async () => {
    const m = await Machine.create({ clock: 'virtual' });
    try {
      m.start();
      await m.agentReady({ timeoutMs: 120_000 });
      const r = await m.exec('sleep 7200; echo woke', { timeoutMs: 8_000_000 });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'woke\n', timedOut: false });
    } finally {
      m.stop();
    }
  }, 120_000);
});
