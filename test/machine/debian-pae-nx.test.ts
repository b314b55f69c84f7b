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
  it('turns NX on, boots to the shell and runs a command', async () => {
    const m = await Machine.create({ kernel: paeKernel(), initrd: new Uint8Array(readFileSync(DEFAULT_INITRD)) });
    let serial = '';
    m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
    const waitFor = (pattern: RegExp, from: number, budget: number, step: number) => {
      for (let spent = 0; !pattern.test(serial.slice(from)) && spent < budget; spent += step) m.step(step);
      return serial.slice(from);
    };
    const boot = waitFor(/\/ # /, 0, 12_000_000_000, 50_000_000);
    expect(boot).toMatch(/Linux version 6\.1\.0-\d+-686-pae .*Debian/);
    expect(boot).toContain('NX (Execute Disable) protection: active');
    expect(boot).toContain('/ # ');
    const mark = serial.length;
    m.serial.write('echo nx-$((6*7))\n');
    expect(waitFor(/nx-42/, mark, 2_000_000_000, 1_000_000)).toContain('nx-42');
  }, 1_500_000);
});
