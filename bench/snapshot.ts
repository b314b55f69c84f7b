// npm run bench:snapshot — what a snapshot saves over a cold boot, in one
// process on this host: the booted default guest's snapshot size, the time
// from a snapshot's bytes to a guest that answers a command (next to a cold
// boot to the same point), the time to fork a booted 256 MiB guest, and the
// container engine's start from its cached snapshot to the first container's
// output (next to a boot and the same run; the engine in this process, as
// the daemon starts it, with its disk and network card).
// The snapshot is made as `glassbox snapshot create` makes it (the default
// command line plus init_on_free=1, so freed pages are zeros it leaves out);
// the size without that is printed too. Wall times, median of the rounds,
// and for restore and fork this process's CPU time, which a loaded host
// (the wall times' noise) changes less.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../src/api/index.ts';
import { DEFAULT_CMDLINE, FREED_PAGES_ZEROED } from '../src/boot/guest-defaults.ts';
import { startEngine } from '../src/daemon/start-engine.ts';
import { unmountEngineDisk } from '../src/containers/engine/disk.ts';
import { ImageStore } from '../src/containers/store/image-store.ts';
import { compilePoolOption, givenPoolOption } from '../src/core/jit/compile-pool.ts';

// Timed in a process whose V8 pool is sized as the engine's (client.ts starts it so, compile-pool.ts): this one again with that option.
const poolOption = givenPoolOption();
if (!poolOption) {
  const child = spawnSync(process.execPath, [...process.execArgv, compilePoolOption(), ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COMMAND = 'echo answered';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB (${(n / 1048576).toFixed(2)} MiB)`;

/** Runs `m` until its agent answers COMMAND; checks the answer. */
async function answer(m: Machine): Promise<void> {
  m.start();
  const r = await m.exec(COMMAND, { timeoutMs: 120_000 });
  if (r.stdout !== 'answered\n') throw new Error(`the guest answered ${JSON.stringify(r)}`);
}

/** A cold boot to a guest answering a command: the wall time and the booted machine. */
async function coldBoot(cmdline: string): Promise<{ ms: number; m: Machine }> {
  const t = performance.now();
  const m = await Machine.create({ cmdline });
  await answer(m);
  return { ms: performance.now() - t, m };
}

const cold = await coldBoot(`${DEFAULT_CMDLINE} ${FREED_PAGES_ZEROED}`);
cold.m.pause();
let t = performance.now();
const snap = await cold.m.snapshot();
const snapshotMs = performance.now() - t;

/** This process's CPU time (all threads: compilation and GC included) in ms since `from`. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

const restores: number[] = [];
const restoreCpu: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  t = performance.now();
  const c = process.cpuUsage();
  const m = await Machine.create({ snapshot: snap });
  await answer(m);
  restores.push(performance.now() - t);
  restoreCpu.push(cpuMs(c));
  m.stop();
}

const forks: number[] = [];
const forkCpu: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  t = performance.now();
  const c = process.cpuUsage();
  const f = cold.m.fork();
  forks.push(performance.now() - t);
  forkCpu.push(cpuMs(c));
  if (i === 0) {
    await answer(f); // the fork is a working guest, not just a copy
  }
  f.stop();
}
cold.m.stop();

const plain = await coldBoot(DEFAULT_CMDLINE);
plain.m.pause();
const plainSnap = await plain.m.snapshot();
plain.m.stop();

/**
 * The engine's start as its process makes it (start-engine.ts: the guest
 * resumed with the disk and network card, the disk mounted, the link up),
 * in `home`, to a container's output; the disk is unmounted after, as
 * engine stop does. The snapshot cache is `cache`: an empty one makes the
 * start boot the guest (and keep its snapshot).
 */
async function engineStart(home: string, cache: string): Promise<number> {
  process.env.GLASSBOX_SNAPSHOT_CACHE = cache;
  const t = performance.now();
  const { shell, engine, stop } = await startEngine(home, ImageStore.open(home), 'realtime', (line) => console.error(line));
  const r = await engine.run('busybox', { cmd: ['echo', 'ran'], rm: true });
  const ms = performance.now() - t;
  if (r.stdout !== 'ran\n') throw new Error(`the container printed ${JSON.stringify(r)}`);
  await engine.settled(); // the --rm container's removal, which goes on after its output
  await unmountEngineDisk(shell);
  await stop();
  return ms;
}

const home = mkdtempSync(join(tmpdir(), 'glassbox-bench-'));
const cache = join(home, 'snapshots');
const coldCache = mkdtempSync(join(tmpdir(), 'glassbox-bench-cold-'));
const engineFirst = await engineStart(home, cache); // the disk made, the image unpacked on it, the snapshot kept
const engineCold = await engineStart(home, coldCache);
const engineWarm: number[] = [];
for (let i = 0; i < ROUNDS; i++) engineWarm.push(await engineStart(home, cache));
for (const dir of [home, coldCache]) rmSync(dir, { recursive: true, force: true });

const rows: [string, string, string, string][] = [
  ['snapshot size, booted default guest (init_on_free=1)', MB(snap.length), 'goal <= 8 MB', 'replaces a cold boot'],
  ['snapshot size, booted default guest (default cmdline)', MB(plainSnap.length), '', ''],
  ['snapshot write (capture + compress)', ms(snapshotMs), '', ''],
  [
    'restore to a guest answering a command',
    `${ms(median(restores))} (CPU ${ms(median(restoreCpu))})`,
    'goal < 300 ms',
    `cold boot to the same: ${ms(cold.ms)} (default cmdline: ${ms(plain.ms)})`,
  ],
  ['fork of the booted 256 MiB guest', `${ms(median(forks))} (CPU ${ms(median(forkCpu))})`, 'goal < 20 ms', `cold boot: ${ms(plain.ms)}`],
  [
    "engine start from its cached snapshot to a run's output",
    ms(median(engineWarm)),
    'goal < 2 s',
    `booting instead: ${ms(engineCold)}; the first start of all (disk made, image unpacked): ${ms(engineFirst)}`,
  ],
];
for (const r of rows) console.log(`${r[0].padEnd(56)} ${r[1].padEnd(26)} ${r[2].padEnd(15)} ${r[3]}`);
console.log(`restores: ${restores.map(ms).join(', ')}; forks: ${forks.map(ms).join(', ')}; engine starts: ${engineWarm.map(ms).join(', ')} (${ROUNDS} rounds, median shown)`);
console.log(
  `CPU time (this process, all threads): restores ${restoreCpu.map(ms).join(', ')}; forks ${forkCpu.map(ms).join(', ')}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; node ${poolOption}`,
);
