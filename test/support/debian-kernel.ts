// Debian's unmodified 686 kernel for the tests that boot it
// (scripts/fetch-debian-kernel.sh fetches it once), and a machine on it that
// a test steps by hand, reading its console and typing commands.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/api/index.ts';

/** The kernel image's path. */
function kernelPath(): string {
  const script = fileURLToPath(new URL('../../scripts/fetch-debian-kernel.sh', import.meta.url));
  // The first run downloads the package from Debian's archive: bounded, so a dead mirror is named, not waited on.
  return execFileSync('bash', [script], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop()!;
}

export function debianKernel(): Uint8Array {
  return new Uint8Array(readFileSync(kernelPath()));
}

/** A module of the same kernel package (those the fetch script keeps: psmouse.ko). */
export function debianModule(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dirname(kernelPath()), 'modules', name)));
}

/** A machine on the Debian kernel, stepped by hand (it is never started), and its console so far. */
export async function boot(kernel: Uint8Array, initrd: Uint8Array, cmdline?: string) {
  let serial = '';
  const m = await Machine.create({ kernel, initrd, ...(cmdline ? { cmdline } : {}) });
  m.serial.on('data', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
  const waitFor = (pattern: RegExp, from: number, budget: number, step = 50_000_000): string => {
    for (let spent = 0; !pattern.test(serial.slice(from)) && spent < budget; spent += step) m.step(step);
    return serial.slice(from);
  };
  /** Types a command line and waits for `done`; returns its output and the guest seconds it took. */
  const command = (line: string, done: RegExp, budget: number) => {
    const mark = serial.length;
    const t0 = m.pc.nowNs();
    m.serial.write(line + '\n');
    // Small steps: the host sees the reply within 10 ms of guest time of its printing.
    const out = waitFor(done, mark, budget, 1_000_000);
    return { out, seconds: (m.pc.nowNs() - t0) / 1e9 };
  };
  return { m, output: () => serial, waitFor, command };
}
