// What the translator did between two readings of its stats, in one line:
// bench:boot prints it per phase from the core it runs, bench:web from the
// page's worker (its service's jitStats()).

import type { JitStats } from '../../src/core/jit/translator.ts';
import type { HandedOver } from '../../src/core/jit/coverage.ts';

/** Regions compiled, dropped and live, the share of the instructions run in compiled code, and the forms handed to the interpreter most, from `before` to `after`. */
export function translatorSince(before: JitStats, after: JitStats): string {
  const d = (k: keyof JitStats) => (after[k] as number) - (before[k] as number);
  const millions = (d('instructions') / 1e6).toFixed(0);
  return (
    `translator ${after.mode}: ${d('compiled')} compiled (${d('compileMs')} ms on the guest's thread), ${d('refused')} refused, ${d('invalidated')} invalidated, ${d('evicted')} evicted, ` +
    `${after.regions} live (${(after.codeBytes / 1024).toFixed(0)} KiB), ${((d('translatedInstructions') / Math.max(1, d('instructions'))) * 100).toFixed(0)} % of ${millions} M instructions translated, ` +
    `${d('entered')} entered, ${d('chained')} chained, ${d('called')} called; handed over most: ${handedOverSince(before.handedOver, after.handedOver)}` +
    (after.failures.length > 0 ? `; modules the engine refused: ${after.failures.join('; ')}` : '')
  );
}

/** The forms handed to the interpreter most between two snapshots of the (top of the) counts. */
function handedOverSince(before: HandedOver[], after: HandedOver[], top = 6): string {
  const key = (h: HandedOver) => `${h.how} ${h.form}`;
  const was = new Map(before.map((h) => [key(h), h.count]));
  return after
    .map((h) => ({ key: key(h), count: h.count - (was.get(key(h)) ?? 0) }))
    .filter((h) => h.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, top)
    .map((h) => `${h.key} ${h.count}`)
    .join(', ');
}
