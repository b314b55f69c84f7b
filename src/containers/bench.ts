// Container benchmarks on a booted guest, measured as ratios and
// differences against a peer in the same run:
// - overhead: one fixed shell workload timed by the guest's own clock
//   (/proc/uptime) directly in the guest and inside a container, alternately;
// - sequence: many containers run and removed one after another, with the
//   guest's MemAvailable and the host process's RSS before and after.

import type { ContainerEngine } from './engine/containers.ts';
import type { GuestShell } from './engine/guest-shell.ts';
import { meminfoKiB } from './engine/proc-files.ts';
import { sh, userCommand } from '../api/shell-script.ts';

/** Prints its own elapsed guest time in seconds: a busy shell loop between two reads of /proc/uptime. */
const WORKLOAD = [
  'a=$(cut -d" " -f1 /proc/uptime)',
  'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done',
  'b=$(cut -d" " -f1 /proc/uptime)',
  'echo "$a $b" | awk \'{ printf "%.2f\\n", $2 - $1 }\'',
].join('\n');

/** Writes out and drops the guest's page cache, so MemAvailable compares like with like. */
const DROP_CACHES = sh`sync; echo 3 > /proc/sys/vm/drop_caches`;

function seconds(out: string, where: string): number {
  const s = Number(out.trim());
  if (!(s > 0)) throw new Error(`the workload ${where} printed "${out.trim()}" instead of its elapsed time`);
  return s;
}

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function benchOverhead(shell: GuestShell, engine: ContainerEngine, rounds: number) {
  const direct: number[] = [];
  const container: number[] = [];
  for (let i = 0; i < rounds; i++) {
    direct.push(seconds((await shell.run(userCommand(WORKLOAD))).stdout, 'in the guest'));
    container.push(seconds((await engine.run('busybox', { cmd: ['sh', '-c', WORKLOAD], rm: true })).stdout, 'in a container'));
  }
  return { direct, container, ratio: median(container) / median(direct) };
}

async function guestMemAvailableKiB(shell: GuestShell): Promise<number> {
  const kib = meminfoKiB((await shell.run(sh`cat /proc/meminfo`)).stdout, 'MemAvailable');
  if (kib === undefined) throw new Error("the guest's /proc/meminfo has no MemAvailable");
  return kib;
}

export async function benchSequence(shell: GuestShell, engine: ContainerEngine, count: number, report: (line: string) => void) {
  // One container first, so that layer unpacking and first-use allocations are not counted as growth.
  await engine.run('busybox', { cmd: ['true'], rm: true });
  await shell.run(DROP_CACHES);
  const guestBefore = await guestMemAvailableKiB(shell);
  const hostBefore = process.memoryUsage().rss;
  for (let i = 1; i <= count; i++) {
    const r = await engine.run('busybox', { cmd: ['sh', '-c', 'echo $$'], rm: true });
    if (r.exitCode !== 0 || r.stdout !== '1\n') throw new Error(`container ${i} of ${count} failed: ${r.exitCode} ${r.stderr}`);
    // The host's figures along the way tell a leak (steady growth) from the heap settling (growth that stops).
    if (i % 50 === 0) {
      const { rss, heapUsed } = process.memoryUsage();
      report(`${i} containers run and removed (host RSS ${mib(rss)} MiB, JS heap ${mib(heapUsed)} MiB)`);
    }
  }
  await shell.run(DROP_CACHES);
  const guestAfter = await guestMemAvailableKiB(shell);
  const hostAfter = process.memoryUsage().rss;
  return { guestBefore, guestAfter, hostBefore, hostAfter };
}
