// NX in a real kernel: Debian's unmodified 686-pae kernel (PAE paging, so it
// may use the XD bit) boots on the glassbox PC with the project's initramfs.
// It turns EFER.NXE on when CPUID 0x80000001 says NX, says so ("NX (Execute
// Disable) protection: active"), maps its data, stacks and the user stacks
// non-executable from then on, and must still reach the shell and run a
// command there: every page it executes from is one the walk let it.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';

function paeKernel(): Uint8Array {
  const script = fileURLToPath(new URL('../../scripts/fetch-debian-kernel.sh', import.meta.url));
  // The first run downloads the package from Debian's archive: bounded, so a dead mirror is named, not waited on.
  const path = execFileSync('bash', [script, '686-pae'], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop()!;
  return new Uint8Array(readFileSync(path));
}

describe("Debian's 686-pae kernel", () => {
  let m: Machine;
  let serial = '';
  const waitFor = (pattern: RegExp, from: number, budget: number, step: number) => {
    for (let spent = 0; !pattern.test(serial.slice(from)) && spent < budget; spent += step) m.step(step);
    return serial.slice(from);
  };

  it('turns NX on: EFER.NXE, as CPUID says NX and the kernel has PAE', async () => {
    m = await Machine.create({ kernel: paeKernel(), initrd: new Uint8Array(readFileSync(DEFAULT_INITRD)) });
    m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
    // setup_arch says it long before the drivers start (after xz decompresses the kernel: about 2-3 billion instructions).
    const early = waitFor(/NX \(Execute Disable\) protection: \w+/, 0, 8_000_000_000, 50_000_000);
    expect(early).toMatch(/Linux version 6\.1\.0-\d+-686-pae .*Debian/);
    expect(early).toContain('NX (Execute Disable) protection: active');
  }, 600_000);

  it('boots to the shell with its data and stacks non-executable, and runs a command', () => {
    const boot = waitFor(/\/ # /, 0, 12_000_000_000, 50_000_000);
    expect(boot).toContain('/ # ');
    expect(boot).not.toContain('unchecked MSR access'); // what Linux reads on a family-15 CPU exists
    const mark = serial.length;
    m.serial.write('echo nx-$((6*7))\n');
    expect(waitFor(/nx-42/, mark, 2_000_000_000, 1_000_000)).toContain('nx-42');
  }, 1_500_000);
});
