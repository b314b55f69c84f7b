// The project's own guest (guest-images/dist) on the glassbox PC, in
// virtual-clock mode: boot to the shell on COM1, type commands, read real
// output. Everything here is the real kernel and userland; nothing is mocked.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBzImage } from '../../src/boot/bzimage.ts';
import { GuestSession } from '../../src/machine/guest-session.ts';
import { DEFAULT_KERNEL, DEFAULT_INITRD, DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';

const read = (path: string) => new Uint8Array(readFileSync(path));

function bootGuest() {
  let out = '';
  const { machine: m } = new GuestSession({
    kernel: parseBzImage(read(DEFAULT_KERNEL)),
    initrd: read(DEFAULT_INITRD),
    cmdline: DEFAULT_CMDLINE,
    memoryMiB: DEFAULT_MEMORY_MIB,
    console: (byte) => (out += String.fromCharCode(byte)),
  });
  /** Runs until the console output (from `from` on) matches, or the budget is spent. */
  const waitFor = (pattern: RegExp, from = 0, budget = 3_000_000_000): string => {
    let spent = 0;
    while (!pattern.test(out.slice(from)) && spent < budget) {
      const before = m.core.instructions;
      m.run(20_000_000);
      spent += Number(m.core.instructions - before) + 1;
      if (m.power === 'off') break;
    }
    return out.slice(from);
  };
  const type = (text: string): void => {
    const bytes = Buffer.from(text);
    let at = 0;
    for (let tries = 0; at < bytes.length; tries++) {
      if (tries > 100) throw new Error(`the guest stopped reading COM1 after ${at} of ${bytes.length} bytes`);
      at += m.com[0].receive(bytes.subarray(at));
      m.run(2_000_000); // let the guest drain the FIFO
    }
  };
  return { m, waitFor, type, output: () => out };
}

describe('the glassbox guest', () => {
  it('boots to a shell prompt and runs commands typed on the serial console', () => {
    const g = bootGuest();
    const boot = g.waitFor(/\/ # /);
    expect(boot).toContain('serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A');
    expect(boot).toContain('glassbox: init done');
    expect(boot).toMatch(/\/ # /);
    let mark = g.output().length;
    g.type('uname -a\n');
    const uname = g.waitFor(/Linux \S+ 6\.1\.\d+ .*\n/, mark, 500_000_000);
    expect(uname).toMatch(/Linux glassbox 6\.1\.\d+ /);
    mark = g.output().length;
    g.type('grep -m1 vendor_id /proc/cpuinfo; echo exit=$?\n');
    const cpu = g.waitFor(/exit=\d/, mark, 500_000_000);
    expect(cpu).toMatch(/vendor_id\s*:\s*GenuineIntel/);
    expect(cpu).toContain('exit=0');
  }, 900_000);
});
