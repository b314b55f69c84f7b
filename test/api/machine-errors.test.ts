// The Machine API when things are wrong: bad images and options, a guest
// without the agent, a machine that is off. Each must end in an error that
// says what is wrong, never a hang.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { DEFAULT_CMDLINE } from '../../src/boot/guest-defaults.ts';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../../src/boot/default-guest.ts';

const kernel = new Uint8Array(readFileSync(DEFAULT_KERNEL));

describe('Machine.create refuses what it cannot boot', () => {
  it('names a missing file', async () => {
    await expect(Machine.create({ kernel: '/nonexistent/bzImage' })).rejects.toThrow('kernel /nonexistent/bzImage: no such file');
  });

  it('refuses a truncated bzImage and a file that is not one', async () => {
    await expect(Machine.create({ kernel: kernel.subarray(0, 100_000) })).rejects.toThrow(/kernel: truncated: the header promises \d+ bytes, the file has 100000/);
    await expect(Machine.create({ kernel: new Uint8Array(4096).fill(0x90) })).rejects.toThrow(/not a Linux bzImage/);
  });

  // RAM below the kernel's init_size is refused by loadLinux (test/boot/linux-boot.test.ts); this kernel fits in 16 MiB.
  it('refuses an initrd larger than RAM', async () => {
    await expect(Machine.create({ kernel, initrd: new Uint8Array(40 << 20), memoryMiB: 32 })).rejects.toThrow(/the initrd \(40 MiB\) does not fit in RAM/);
  });

  it('refuses bad options, naming them', async () => {
    await expect(Machine.create({ memoryMiB: 3000 })).rejects.toThrow('memoryMiB must be an integer from 16 to 2048, not 3000');
    await expect(Machine.create({ clock: 'fast' as 'virtual' })).rejects.toThrow('clock must be "virtual" or "realtime", not "fast"');
  });
});

describe('a guest without the agent', () => {
  it('times out saying the agent never said HELLO; once off, says the machine is off', async () => {
    // rdinit=/bin/sh: the kernel runs a shell as PID 1 instead of /init, which would start the agent.
    const m = await Machine.create({ initrd: DEFAULT_INITRD, kernel: DEFAULT_KERNEL, cmdline: `${DEFAULT_CMDLINE} rdinit=/bin/sh` });
    await expect(m.exec('true')).rejects.toThrow('exec "true": the machine is not running; call start() first');
    const power: string[] = [];
    m.on('power', (s) => power.push(s));
    m.start();
    await m.waitFor('/ # ', { timeoutMs: 60_000 });
    await expect(m.exec('true')).rejects.toThrow('exec "true": the guest agent never said HELLO on COM2 within 120 s of guest time (does this guest start glassbox-agent?)');
    // The guest's console still works; its shell powers the machine off.
    m.serial.write('poweroff -f\n');
    await expect(m.waitFor('never printed', { timeoutMs: 60_000 })).rejects.toThrow('waitFor never printed: the machine powered off');
    // Idle at the prompt it reported 'halted' and 'running' as the CPU slept and woke; 'off' comes once, last.
    expect(power.at(-1)).toBe('off');
    expect(power.filter((s) => s === 'off')).toHaveLength(1);
    expect(m.state).toBe('running');
    await expect(m.exec('true')).rejects.toThrow('exec "true": the machine is off');
    expect(() => m.start()).toThrow('start: the machine is off');
  }, 300_000);
});
