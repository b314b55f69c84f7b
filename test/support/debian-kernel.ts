// Debian's unmodified 686 kernel for the tests that boot it
// (scripts/fetch-debian-kernel.sh fetches it once), a machine on it that
// a test steps by hand, reading its console and typing commands, and the
// kernel booted once for the tests whose subject is not the boot.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/api/index.ts';
import { keepKernel, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { bootedGuest } from '../../src/testing/booted-guest.ts';
import { kernelMachineOptions, resumeBooted } from '../../src/testing/kernel-run.ts';

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
  return steppedByHand(await Machine.create({ kernel, initrd, ...(cmdline ? { cmdline } : {}) }));
}

/** Guest time Debian's kernel gets to boot to its agent: about 67 s of it (6.7 billion instructions, half of them its crypto self-tests). */
const BOOT_MS = 200_000;

/**
 * Debian's kernel with `initrd` (which must hold glassbox's agent) and
 * glassbox's command line booted to its agent, as `glassbox kernel run
 * --kernel --initrd` boots it, not running: resumed from the booted snapshot
 * that run keeps in the snapshot cache, or booted and its snapshot kept
 * there for the next test (of this run or a later one). The boot is
 * deterministic under the virtual clock, so a resumed machine is the one the
 * boot gives.
 */
export async function bootedDebian(initrd: Uint8Array): Promise<Machine> {
  const dir = snapshotCacheDir();
  const options = kernelMachineOptions({ kernel: kernelPath(), initrd, timeoutMs: BOOT_MS });
  const guest = await bootedGuest(options);
  const resumed = await resumeBooted(dir, options, guest);
  if (resumed) return resumed;
  const m = await Machine.create(options);
  m.start();
  await m.agentReady({ timeoutMs: BOOT_MS });
  await keepKernel(dir, guest, m);
  m.pause();
  return m;
}

/** `m` (not running) stepped by hand: its console from now on, waits that step it, and commands typed on it. */
export function steppedByHand(m: Machine) {
  let serial = '';
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
