// An unmodified Debian 6.1 686 kernel on the glassbox PC, in virtual-clock
// mode, with the project's initramfs: it must decompress itself, calibrate the
// TSC against the PIT, find the x87 FPU (Debian's kernel has no math
// emulation), run init and reach the BusyBox shell, where a command typed on
// COM1 computes with the FPU in user space. Two boots must be identical.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';

function debianKernel(): Uint8Array {
  const script = fileURLToPath(new URL('../../scripts/fetch-debian-kernel.sh', import.meta.url));
  // The first run downloads the package from Debian's archive: bounded, so a dead mirror is named, not waited on.
  const path = execFileSync('bash', [script], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop()!;
  return new Uint8Array(readFileSync(path));
}

/** A machine on the Debian kernel, stepped by hand (it is never started), and its console so far. */
async function boot(kernel: Uint8Array, initrd: Uint8Array) {
  let serial = '';
  const m = await Machine.create({ kernel, initrd });
  m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
  const waitFor = (pattern: RegExp, from: number, budget: number): string => {
    for (let spent = 0; !pattern.test(serial.slice(from)) && spent < budget; spent += 50_000_000) m.step(50_000_000);
    return serial.slice(from);
  };
  return { m, output: () => serial, waitFor };
}

describe('Debian kernel boot', () => {
  it('boots an unmodified Debian kernel to the shell and computes with the FPU, the same way twice', async () => {
    const kernel = debianKernel();
    const initrd = new Uint8Array(readFileSync(DEFAULT_INITRD));
    const a = await boot(kernel, initrd);
    const b = await boot(kernel, initrd);
    // Determinism: identical runs for the first billion instructions (through the FPU setup).
    for (let i = 0; i < 20; i++) {
      a.m.step(50_000_000);
      b.m.step(50_000_000);
    }
    expect(b.m.instructions).toBe(a.m.instructions);
    expect(b.m.pc.core.eip).toBe(a.m.pc.core.eip);
    expect(b.output()).toBe(a.output());
    const out = a.waitFor(/\/ # /, 0, 10_000_000_000);
    expect(out).toMatch(/Linux version 6\.1\.0-\d+-686 .*Debian/);
    expect(out).toContain('tsc: Fast TSC calibration using PIT');
    // The virtual CPU retires 100 million instructions per virtual second; Linux's quick PIT
    // calibration promises 500 ppm (arch/x86/kernel/tsc.c), so it must find 100 MHz within 0.05.
    const mhz = Number(/tsc: Detected (\d+\.\d+) MHz processor/.exec(out)?.[1]);
    expect(Math.abs(mhz - 100)).toBeLessThan(0.05);
    expect(out).not.toContain('no FPU found');
    expect(out).toContain('x86/fpu: x87 FPU will use FXSAVE'); // CPUID says FXSR
    expect(out).toMatch(/glassbox: init done .*kernel 6\.1\.0-\d+-686/);
    // Half of this boot (about 3.1 billion instructions) is the kernel's own crypto self-tests,
    // Diffie-Hellman over the RFC 7919 groups in mpi_powm: known-answer tests of the integer core
    // on big-number arithmetic. Any that failed would have said so.
    expect(out).toContain('alg: self-tests for CTR-KDF (hmac(sha256)) passed');
    expect(out).not.toMatch(/alg: .*fail/i);
    // User space floating point through the x87: BusyBox awk computes in double
    // (this build has no math functions, so plain arithmetic only).
    const mark = a.output().length;
    const typed = "awk 'BEGIN { printf \"%.12f %d %.17g\\n\", 355 / 113, int(1e9 / 7), 0.1 + 0.2 }'; grep ^fpu /proc/cpuinfo\n";
    a.m.serial.write(typed);
    const reply = a.waitFor(/fpu_exception\s*: yes/, mark, 1_000_000_000);
    expect(reply).toContain('3.141592920354 142857142 0.30000000000000004');
    expect(reply).toMatch(/^fpu\s*: yes/m);
  }, 1_800_000);
});
