// npm run bench:inspect — what the inspection layer costs the guest when no
// one is looking: the same Linux boot on the normal core and on a core built
// with `--use GLASSBOX_NO_INSPECT=1` (every inspector hook compiled out),
// alternated in one process so both see the same host conditions. The
// workload is a fixed number of guest instructions from power-on (virtual
// clock, so both cores do identical work); the figure is the ratio of the
// process CPU times (less disturbed than wall time on a shared machine),
// median over the rounds.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { Machine } from '../src/api/machine.ts';
import { DEFAULT_KERNEL, DEFAULT_INITRD, DEFAULT_MEMORY_MIB } from '../src/boot/default-guest.ts';
import { coreModule } from '../src/core/load-node.ts';
import { projectPath } from '../src/paths.ts';

const INSTRUCTIONS = Number(process.env.BENCH_INSTRUCTIONS ?? 50_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

function bareCore(): WebAssembly.Module {
  const out = projectPath('build', 'bench', 'core-noinspect.wasm');
  mkdirSync(projectPath('build', 'bench'), { recursive: true });
  execFileSync(
    'npx',
    ['asc', 'asm/index.ts', '--config', 'asm/asconfig.json', '--target', 'release', '--use', 'GLASSBOX_NO_INSPECT=1', '-o', out, '-t', out.replace(/wasm$/, 'wat')],
    { cwd: projectPath() },
  );
  return new WebAssembly.Module(readFileSync(out));
}

const kernel = new Uint8Array(readFileSync(DEFAULT_KERNEL));
const initrd = new Uint8Array(readFileSync(DEFAULT_INITRD));

/** CPU seconds this process spends booting the guest for INSTRUCTIONS instructions on `module`. */
function boot(module: WebAssembly.Module): number {
  const m = new Machine(module, { kernel, initrd, memoryMiB: DEFAULT_MEMORY_MIB });
  const start = process.cpuUsage();
  for (let left = INSTRUCTIONS; left > 0 && m.pc.power !== 'off'; ) {
    const before = m.instructions;
    m.step(Math.min(left, 2_000_000));
    left -= Number(m.instructions - before) + 1;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const withInspect = coreModule();
const without = bareCore();
boot(withInspect); // warm up both engines' compiled code
boot(without);
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = boot(without);
  const b = boot(withInspect);
  ratios.push(b / a);
  console.log(`round ${r + 1}: without inspector ${a.toFixed(2)} s, with ${b.toFixed(2)} s, ratio ${(b / a).toFixed(4)}`);
}
ratios.sort((x, y) => x - y);
const median = ratios[Math.floor(ratios.length / 2)];
console.log(
  `bench:inspect: ${INSTRUCTIONS} guest instructions of Linux boot; with/without inspector CPU-time ratio (median of ${ROUNDS}) ${median.toFixed(4)} (${((median - 1) * 100).toFixed(2)}%)`,
);
