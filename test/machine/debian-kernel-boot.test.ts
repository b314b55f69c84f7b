// An unmodified Debian 6.1 686 kernel on the glassbox PC, in virtual-clock
// mode. It must decompress itself, identify the CPU, calibrate the TSC
// against the PIT, and run on timer interrupts until its FPU check, which
// gives up because the core has no x87 unit yet (Debian's kernel has no math
// emulation; the guest image's kernel does). Two boots must be identical.
// The TSC calibration is the interesting part: the kernel measures the TSC
// against PIT channel 2 through port 0x61, exercising the PIT, the virtual
// clock and RDTSC together.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';

const MEMORY_MIB = 128;
const CMDLINE = 'console=ttyS0 earlyprintk=serial,ttyS0,115200';

function debianKernel(): Uint8Array {
  const script = fileURLToPath(new URL('../../scripts/fetch-debian-kernel.sh', import.meta.url));
  const path = execFileSync('bash', [script], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return new Uint8Array(readFileSync(path));
}

/** A machine on the Debian kernel, stepped by hand (it is never started), and its console so far. */
async function boot(kernel: Uint8Array) {
  let serial = '';
  const m = await Machine.create({ kernel, cmdline: CMDLINE, memoryMiB: MEMORY_MIB });
  m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
  return { m, output: () => serial };
}

describe('Debian kernel boot', () => {
  it('boots an unmodified Debian kernel to its FPU check, the same way twice', async () => {
    const kernel = debianKernel();
    const a = await boot(kernel);
    const b = await boot(kernel);
    // Determinism: identical runs for the first billion instructions.
    for (let i = 0; i < 20; i++) {
      a.m.step(50_000_000);
      b.m.step(50_000_000);
    }
    expect(b.m.instructions).toBe(a.m.instructions);
    expect(b.m.pc.core.eip).toBe(a.m.pc.core.eip);
    expect(b.output()).toBe(a.output());
    for (let i = 0; i < 80 && !a.output().includes('x86/fpu: Giving up'); i++) a.m.step(50_000_000);
    const out = a.output();
    expect(out).toMatch(/Linux version 6\.1\.0-\d+-686 .*Debian/);
    expect(out).toContain('tsc: Fast TSC calibration using PIT');
    // The virtual CPU retires 100 million instructions per virtual second; Linux's quick PIT
    // calibration promises 500 ppm (arch/x86/kernel/tsc.c), so it must find 100 MHz within 0.05.
    const mhz = Number(/tsc: Detected (\d+\.\d+) MHz processor/.exec(out)?.[1]);
    expect(Math.abs(mhz - 100)).toBeLessThan(0.05);
    expect(out).toContain('x86/fpu: Giving up, no FPU found and no math emulation present');
    // The check runs in early CPU setup and the kernel goes no further: nothing more is printed.
    const final = a.output();
    a.m.step(20_000_000);
    expect(a.output()).toBe(final);
  }, 900_000);
});
