// glassbox bench overhead | sequence: container benchmarks on a guest booted
// in this process (not the engine's), so they measure a quiet machine.

import { Command, InvalidArgumentError } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../containers/engine/guest-shell.ts';
import { ContainerEngine } from '../containers/engine/containers.ts';
import { ImageStore } from '../containers/store/image-store.ts';
import { benchOverhead, benchSequence, mib } from '../containers/bench.ts';

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number of 1 or more');
  return n;
}

/**
 * Runs `bench` on a freshly booted guest with an image store of its own (the
 * benchmark needs only the base image and leaves the user's store alone);
 * then the guest stops, so the command ends, and the store is removed.
 */
async function onFreshGuest(bench: (shell: GuestShell, engine: ContainerEngine) => Promise<void>): Promise<void> {
  const store = mkdtempSync(join(tmpdir(), 'glassbox-bench-'));
  try {
    const machine = await bootDefaultGuest();
    try {
      const shell = machineShell(machine);
      await bench(shell, new ContainerEngine(shell, ImageStore.open(store)));
    } finally {
      machine.stop();
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

export function registerBenchCommands(program: Command): void {
  const bench = new Command('bench').description('container benchmarks on a freshly booted guest (virtual clock)');
  bench
    .command('overhead')
    .description('one workload directly in the guest and in a container, timed by the guest clock; prints the ratio')
    .option('--rounds <n>', 'runs on each side (the median is compared)', count, 3)
    .action((o: { rounds: number }) =>
      onFreshGuest(async (shell, engine) => {
        const r = await benchOverhead(shell, engine, o.rounds);
        process.stdout.write(`direct in the guest: ${r.direct.join(' ')} s\ninside a container:  ${r.container.join(' ')} s\n`);
        process.stdout.write(`container/direct (medians): ${r.ratio.toFixed(3)}\n`);
      }),
    );
  bench
    .command('sequence')
    .description('run and remove many containers one after another; prints guest and host memory before and after')
    .option('--count <n>', 'containers', count, 200)
    .action((o: { count: number }) =>
      onFreshGuest(async (shell, engine) => {
        const r = await benchSequence(shell, engine, o.count, (l) => process.stdout.write(l + '\n'));
        process.stdout.write(`guest MemAvailable: ${r.guestBefore} kB before, ${r.guestAfter} kB after (${r.guestAfter - r.guestBefore} kB)\n`);
        process.stdout.write(`host RSS: ${mib(r.hostBefore)} MiB before, ${mib(r.hostAfter)} MiB after (${mib(r.hostAfter - r.hostBefore)} MiB)\n`);
      }),
    );
  program.addCommand(bench);
}
