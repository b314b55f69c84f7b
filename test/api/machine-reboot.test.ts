// A guest that reboots boots again: glassbox has no BIOS, so the boot loader
// stands in for the firmware and loads the same kernel and initrd after the
// CPU reset, as QEMU's firmware does with -kernel. Before, the CPU reset into
// empty memory and the machine ended up off.

import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/api/index.ts';
import { DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { cachedDefaultGuest, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';

const uptime = async (m: Machine) => Number((await m.exec('cut -d" " -f1 /proc/uptime')).stdout);

describe('guest reboot', () => {
  it('reboot(2) boots the guest afresh: the command in flight is lost, the agent comes back, the RAM disk is new', async () => {
    // Resumed from the booted guest's cached snapshot (test/support/global-setup.ts): the reboot is what is tested.
    const m = await cachedDefaultGuest(snapshotCacheDir(), { memoryMiB: DEFAULT_MEMORY_MIB }, 'virtual');
    const power: string[] = [];
    m.on('power', (s) => power.push(s));
    let screen = '';
    m.serial.on('data', (b) => (screen += Buffer.from(b).toString('latin1')));
    m.start();
    try {
      await m.agentReady();
      expect((await m.exec('echo before > /tmp/marker; cat /tmp/marker')).stdout).toBe('before\n');
      await m.exec('sleep 3');
      const before = await uptime(m);
      expect(before).toBeGreaterThan(3);

      // The agent cannot answer a command that reboots its guest; the host says why.
      await expect(m.exec('reboot -f')).rejects.toThrow('exec "reboot -f": the guest rebooted');
      expect(power).toEqual(['reset', 'running']);

      await m.agentReady();
      // The kernel's restart, then a whole new boot on the console.
      expect(screen).toMatch(/reboot: machine restart[\s\S]*Linux version 6\.1[\s\S]*glassbox: init done/);
      expect(await uptime(m)).toBeLessThan(before);
      const marker = await m.exec('cat /tmp/marker');
      expect(marker.exitCode).not.toBe(0);
      expect(marker.stderr).toMatch(/No such file/);
    } finally {
      m.stop();
    }
  }, 180_000);
});
