import { PHASES, type PhaseTimes } from './console-script.ts';

// The table bench:boot and bench:web print: a row per phase of the console
// script, a column per emulator, each cell's time over the first column's,
// and what the workload printed, which must be the same everywhere.

/** Milliseconds of all the phases. */
export const totalMs = (r: PhaseTimes) => r.ms.reduce((a, b) => a + b, 0);

/** Prints `results` (in PHASES order) as the table titled `title`; false when the emulators' workload output differs. */
export function printPhaseTable(title: string, results: [string, PhaseTimes][]): boolean {
  const base = results[0][1];
  const col = (s: string, w: number) => s.padStart(w);
  const cell = (ms: number, baseMs: number, k: number) => col(`${(ms / 1000).toFixed(2)} s` + (k ? ` (${(ms / baseMs).toFixed(2)}x)` : ''), 28);
  console.log(`\n${title}`);
  console.log(`${'phase'.padEnd(22)}${results.map(([n]) => col(n, 28)).join('')}`);
  PHASES.forEach((p, i) => console.log(`${p.name.padEnd(22)}${results.map(([, r], k) => cell(r.ms[i], base.ms[i], k)).join('')}`));
  console.log(`${'total'.padEnd(22)}${results.map(([, r], k) => cell(totalMs(r), totalMs(base), k)).join('')}`);
  console.log(`ratios in the table are time / ${results[0][0]} time: below 1 means faster than it`);
  console.log(`workload output (md5sum, gzip bytes): ${results.map(([n, r]) => `${n}: ${r.check}`).join('; ')}`);
  return new Set(results.map(([, r]) => r.check)).size === 1;
}
