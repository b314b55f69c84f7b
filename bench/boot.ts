// npm run bench:boot — boot the project's guest to its shell prompt and run a
// fixed workload (bench/boot/console-script.ts) typed on the serial console,
// in glassbox, in v86 (npm package, Debian's SeaBIOS) and in QEMU's TCG, one
// after another in this one run, on the same kernel, initramfs and command
// line. Prints wall time per phase and each peer's time over glassbox's.
// A second table does the same on Debian's unmodified 686 kernel
// (scripts/fetch-debian-kernel.sh) with the same initramfs: a distribution
// kernel's paths (HZ=250 one-shot tick, TREE_RCU, crypto self-tests) on all
// three. `npm run bench:boot -- --only debian` (or `default`) runs one table;
// `--rows jit,v86` (of interpreter, jit, v86, qemu, virtual) runs those rows
// alone. Each glassbox row also prints, per phase, its instructions, wall time
// and MIPS (under `--rows virtual` the CPU's raw speed, unpaced), its main thread's CPU time,
// the whole process's (the difference is the engine's background threads:
// wasm compilation, GC) and what the translator did, with the forms it handed
// to the interpreter most in the phase. `--compile-thread` has
// the translator compile on a worker thread (thread-compiler.ts) instead of
// the guest's thread.
//
// glassbox runs with the realtime clock, as the peers do: guest timers fire
// at wall-clock times everywhere, so idle waits in the boot cost the same.
// It runs twice, interpreting only and translating hot code to WebAssembly
// (the jit option); ratios are against the first. A glassbox row with the
// virtual clock (idle time skipped, the default translator mode) is shown for
// reference only.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Machine, nodePlatform, type ClockMode, type JitMode } from '../src/api/index.ts';
import { threadCompiler } from '../src/core/jit/thread-compiler.ts';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../src/boot/default-guest.ts';
import { CMDLINE, MEMORY_MIB, PHASES, StreamConsole, runPhases, spawnQemu, type PhaseTimes } from './boot/console-script.ts';
import { loadV86, v86File } from './boot/v86-machine.ts';
import { cpuSample } from './boot/cpu-sample.ts';
import type { JitStats } from '../src/core/jit/translator.ts';
import { translatorSince } from './boot/jit-summary.ts';
import { printPhaseTable, totalMs } from './boot/phase-table.ts';

// Debian's kernel boots in about 6.7 billion instructions (its crypto self-tests and
// decompression are most of them): on a shared, loaded host that is more than 10 minutes.
const PHASE_TIMEOUT_MS = 1_800_000;

async function glassbox(kernel: string, clock: ClockMode, jit?: JitMode): Promise<PhaseTimes> {
  const file = (path: string) => new Uint8Array(readFileSync(path));
  const platform = process.argv.includes('--compile-thread') ? { ...nodePlatform, regionCompiler: threadCompiler } : nodePlatform;
  const m = await Machine.create({ kernel: file(kernel), initrd: file(DEFAULT_INITRD), cmdline: CMDLINE, memoryMiB: MEMORY_MIB, clock, jit }, platform);
  const con = new StreamConsole((t) => m.serial.write(t));
  m.serial.on('data', (b) => con.feed(b));
  const t0 = performance.now();
  let cpu = cpuSample();
  let stats = m.pc.core.jitStats;
  let wall = t0;
  const perPhase = (p: { name: string }) => {
    const [c, j, now] = [cpuSample(), m.pc.core.jitStats, performance.now()];
    const d = (k: keyof JitStats) => (j[k] as number) - (stats[k] as number);
    // Per main-thread CPU second too: on a shared, loaded host that is the figure that holds still.
    const mips = (ms: number) => (d('instructions') / (ms * 1000)).toFixed(0);
    process.stderr.write(
      `bench:boot:   ${p.name}: ${(d('instructions') / 1e6).toFixed(0)} M instructions in ${((now - wall) / 1000).toFixed(2)} s wall, ${mips(now - wall)} MIPS (${mips(c.mainMs - cpu.mainMs)} per CPU second); ` +
        `main thread ${(c.mainMs - cpu.mainMs) / 1000} s CPU, process ${((c.processMs - cpu.processMs) / 1000).toFixed(2)} s CPU` +
        (j.mode === 'off' ? '\n' : `; ${translatorSince(stats, j)}\n`),
    );
    [cpu, stats, wall] = [c, j, now];
  };
  m.start();
  try {
    return await runPhases(con, t0, PHASE_TIMEOUT_MS, perPhase);
  } finally {
    m.stop();
  }
}

async function v86(kernel: string): Promise<PhaseTimes> {
  const emulator = await loadV86(MEMORY_MIB, { bzimage: v86File(kernel), initrd: v86File(DEFAULT_INITRD), cmdline: CMDLINE });
  const con = new StreamConsole((t) => emulator.serial0_send(t));
  emulator.add_listener('serial0-output-byte', (b: number) => con.feed([b]));
  const t0 = performance.now();
  await emulator.run();
  // v86 runs on this thread too: its CPU time per phase is the figure to hold glassbox's against on a loaded host.
  let cpu = cpuSample();
  const perPhase = (p: { name: string }) => {
    const c = cpuSample();
    process.stderr.write(`bench:boot:   ${p.name}: main thread ${(c.mainMs - cpu.mainMs) / 1000} s CPU, process ${((c.processMs - cpu.processMs) / 1000).toFixed(2)} s CPU\n`);
    cpu = c;
  };
  try {
    return await runPhases(con, t0, PHASE_TIMEOUT_MS, perPhase);
  } finally {
    await emulator.destroy();
  }
}

async function qemu(kernel: string): Promise<PhaseTimes> {
  const t0 = performance.now();
  const { q, con, exited } = spawnQemu(kernel, ['-serial', 'null'], 'the workload finished');
  try {
    return await Promise.race([runPhases(con, t0, PHASE_TIMEOUT_MS), exited]);
  } finally {
    q.kill();
  }
}

function debianKernel(): string {
  const script = new URL('../scripts/fetch-debian-kernel.sh', import.meta.url).pathname;
  return execFileSync('bash', [script], { encoding: 'utf8' }).trim().split('\n').pop()!;
}

async function table(title: string, kernel: string): Promise<boolean> {
  const runs = (
    [
      ['interpreter', 'glassbox interpreter', () => glassbox(kernel, 'realtime', 'off')],
      ['jit', 'glassbox JIT', () => glassbox(kernel, 'realtime', 'on')],
      ['v86', 'v86 (JIT)', () => v86(kernel)],
      ['qemu', 'qemu-system-i386 (TCG)', () => qemu(kernel)],
      ['virtual', 'glassbox (virtual clock)', () => glassbox(kernel, 'virtual')],
    ] as const
  )
    .filter(([key]) => rows.includes(key))
    .map(([, name, run]) => [name, run] as const);
  const results: [string, PhaseTimes][] = [];
  for (const [name, run] of runs) {
    process.stderr.write(`bench:boot: ${title}: ${name}...\n`);
    const r = await run();
    results.push([name, r]);
    // Each run's figures as soon as they are in: a long table is readable before it ends.
    process.stderr.write(`bench:boot: ${title}: ${name}: ${PHASES.map((p, i) => `${p.name} ${(r.ms[i] / 1000).toFixed(2)} s`).join(', ')}\n`);
  }
  const agree = printPhaseTable(title, results);
  // The issue's marks: the translator against v86 (below 1: glassbox is faster) and QEMU.
  const row = (name: string) => results.find(([n]) => n === name)?.[1];
  for (const peer of ['v86 (JIT)', 'qemu-system-i386 (TCG)']) {
    const [jit, other] = [row('glassbox JIT'), row(peer)];
    if (!jit || !other) continue;
    console.log(
      `glassbox JIT / ${peer}: ${PHASES.map((p, i) => `${p.name} ${(jit.ms[i] / other.ms[i]).toFixed(2)}x`).join(', ')}, total ${(totalMs(jit) / totalMs(other)).toFixed(2)}x`,
    );
  }
  if (agree) return true;
  console.error(`bench:boot: ${title}: the emulators disagree on the workload output`);
  return false;
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'default' && only !== 'debian') throw new Error(`--only takes default or debian, not ${only}`);
const ROWS = ['interpreter', 'jit', 'v86', 'qemu', 'virtual'];
const rows = process.argv.includes('--rows') ? process.argv[process.argv.indexOf('--rows') + 1].split(',') : ROWS;
const unknown = rows.filter((r) => !ROWS.includes(r));
if (unknown.length > 0 || rows.length === 0) throw new Error(`--rows takes a comma-separated list of ${ROWS.join(', ')}, not ${unknown.join(',') || 'nothing'}`);
let agree = true;
if (only !== 'debian') agree = (await table(`the project's kernel (${DEFAULT_KERNEL})`, DEFAULT_KERNEL)) && agree;
if (only !== 'default') agree = (await table("Debian's 686 kernel, same initramfs", debianKernel())) && agree;
if (!agree) process.exitCode = 1;
process.exit();
