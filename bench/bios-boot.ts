// npm run bench:bios — BIOS boot from the reset vector to the shell prompt:
// Debian's SeaBIOS boots a syslinux disk image (made here without mounting,
// test/support/syslinux-disk.ts) holding the project's kernel and initramfs,
// in glassbox (`glassbox boot --bios --disk`, as a user runs it), in
// qemu-system-i386 (TCG) and in v86, one after another in this one run, all
// on the wall clock. Each phase ends at a line on the serial console: the
// BIOS hands over to syslinux (its banner), syslinux has loaded the kernel
// ("Linux version"), the kernel reaches the shell. Prints wall time per phase
// and each peer's time over glassbox's.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../src/boot/default-guest.ts';
import { makeSyslinuxDisk, SEABIOS, syslinuxDiskMissing } from '../test/support/syslinux-disk.ts';
import { loadV86, v86File } from './boot/v86-machine.ts';

const PHASES = [
  { name: 'BIOS to bootloader', until: /SYSLINUX \d/ },
  { name: 'loading the kernel', until: /Linux version/ },
  { name: 'kernel to shell', until: /\n\/ # / },
] as const;
const TIMEOUT_MS = 900_000;

/** Feeds console text and times each phase's marker from `t0`. */
function phaseTimer(t0: number): { feed(text: string): void; done: Promise<number[]> } {
  let text = '';
  const ms: number[] = [];
  let resolve!: (ms: number[]) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<number[]>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(
    () => reject(new Error(`"${PHASES[ms.length]!.name}" did not end within ${TIMEOUT_MS / 1000} s; the console ends ${JSON.stringify(text.slice(-300))}`)),
    TIMEOUT_MS,
  );
  return {
    feed(t) {
      text += t;
      while (ms.length < PHASES.length && PHASES[ms.length]!.until.test(text)) ms.push(performance.now() - t0);
      if (ms.length === PHASES.length) {
        clearTimeout(timer);
        resolve(ms.map((m, i) => m - (ms[i - 1] ?? 0)));
      }
    },
    done,
  };
}

async function child(cmd: string, args: string[]): Promise<number[]> {
  const t0 = performance.now();
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const timer = phaseTimer(t0);
  p.stdout.on('data', (b: Buffer) => timer.feed(b.toString('latin1')));
  const exited = new Promise<never>((_, reject) => p.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before the shell prompt`))));
  exited.catch(() => {});
  try {
    return await Promise.race([timer.done, exited]);
  } finally {
    p.kill('SIGKILL');
  }
}

async function v86(image: string): Promise<number[]> {
  const emulator = await loadV86(128, { hda: v86File(image) });
  const timer = phaseTimer(performance.now());
  emulator.add_listener('serial0-output-byte', (b: number) => timer.feed(String.fromCharCode(b)));
  await emulator.run();
  try {
    return await timer.done;
  } finally {
    await emulator.destroy();
  }
}

const missing = syslinuxDiskMissing();
if (missing.length) throw new Error(`bench:bios needs ${missing.join(', ')}`);
const dir = mkdtempSync(join(tmpdir(), 'gb-bench-bios-'));
const image = join(dir, 'disk.img');
makeSyslinuxDisk(dir, image, { kernel: DEFAULT_KERNEL, initrd: DEFAULT_INITRD, append: 'console=ttyS0 tsc=reliable' });
const glassboxBin = new URL('../bin/glassbox.mjs', import.meta.url).pathname;
const runs: [string, () => Promise<number[]>][] = [
  ['glassbox', () => child(process.execPath, [glassboxBin, 'boot', '--bios', SEABIOS, '--disk', image, '--memory', '128', '--clock', 'realtime'])],
  [
    'qemu-system-i386 (TCG)',
    () =>
      child('qemu-system-i386', [
        '-accel',
        'tcg',
        '-bios',
        SEABIOS,
        '-m',
        '128',
        '-nodefaults',
        '-display',
        'none',
        '-no-reboot',
        '-drive',
        `file=${image},format=raw,if=ide,snapshot=on`,
        '-serial',
        'stdio',
      ]),
  ],
  ['v86 (JIT)', () => v86(image)],
];
try {
  const results: [string, number[]][] = [];
  for (const [name, run] of runs) {
    process.stderr.write(`bench:bios: ${name}...\n`);
    results.push([name, await run()]);
  }
  const base = results[0]![1];
  const sum = (ms: number[]) => ms.reduce((a, b) => a + b, 0);
  const cell = (ms: number, b: number, k: number) => `${(ms / 1000).toFixed(2)} s${k ? ` (${(ms / b).toFixed(2)}x)` : ''}`.padStart(28);
  console.log(`\nSeaBIOS + syslinux + the project's kernel, reset vector to shell prompt\n${'phase'.padEnd(22)}${results.map(([n]) => n.padStart(28)).join('')}`);
  PHASES.forEach((p, i) => console.log(`${p.name.padEnd(22)}${results.map(([, r], k) => cell(r[i]!, base[i]!, k)).join('')}`));
  console.log(`${'total'.padEnd(22)}${results.map(([, r], k) => cell(sum(r), sum(base), k)).join('')}`);
  console.log('ratios are time / glassbox time: below 1 means faster than glassbox');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
