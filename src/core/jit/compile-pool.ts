// How many worker threads V8 should have in a process whose main thread runs
// a guest. V8 compiles the translator's regions (and tiers them up) on its
// worker pool, which Node makes 4 threads whatever the host has; on a 2-core
// host those threads took the guest thread's core while a burst of new code
// was compiled. Measured on 2 cores (the container engine resumed from its
// snapshot, then its first `run`, 3 rounds each): 3.98, 4.30 and 4.55 s with
// 4 threads against 2.65, 2.44 and 2.86 s with 1. A pool of the cores the
// guest's thread leaves (at least one, at most Node's default) keeps
// compilation in the background without taking the guest's time.
// `--v8-pool-size` is a Node option: it takes effect only where a process
// starts, so the processes glassbox starts for a guest are given it (the
// engine, the test workers, the benchmarks that time the engine), and the
// CLI's guest commands start themselves again with it (src/cli/sized-process.ts).

import { availableParallelism } from 'node:os';

const NODE_DEFAULT_POOL = 4;
const POOL_OPTION = '--v8-pool-size';

/** The Node option that sizes V8's worker pool for a guest on a host with `cores` cores. */
export function compilePoolOption(cores = availableParallelism()): string {
  return `${POOL_OPTION}=${Math.max(1, Math.min(NODE_DEFAULT_POOL, cores - 1))}`;
}

/** The pool option this process was started with (on its command line or in NODE_OPTIONS), if any. */
export function givenPoolOption(): string | undefined {
  const given = (a: string) => a.startsWith(POOL_OPTION);
  return process.execArgv.find(given) ?? (process.env.NODE_OPTIONS ?? '').split(/\s+/).find(given);
}
