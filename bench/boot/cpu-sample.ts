import { readFileSync } from 'node:fs';

// CPU time of this process's main thread and of the whole process: on a
// shared machine wall time is noisy, and the difference is what the engine's
// background threads (wasm compilation, GC) took.

const TICK_MS = 10; // Linux reports thread times in clock ticks of 1/100 s (USER_HZ)

export interface CpuSample {
  /** Milliseconds the main (JavaScript) thread ran. */
  mainMs: number;
  /** Milliseconds every thread of the process ran. */
  processMs: number;
}

export function cpuSample(): CpuSample {
  // Fields 14 and 15 of /proc/thread-self/stat (utime, stime), counted after the parenthesised command name.
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const u = process.cpuUsage();
  return { mainMs: (Number(f[11]) + Number(f[12])) * TICK_MS, processMs: (u.user + u.system) / 1000 };
}
