// Where the page's start goes: named moments (User Timing marks) in the page
// and in its worker, each as milliseconds from the page's navigation, which
// bench:web prints per stage. A worker's clock starts when the worker does,
// so its marks are carried as wall-clock times and put on the page's clock
// there.

const PREFIX = 'glassbox:';

/** Notes that `name` happened now. */
export function mark(name: string): void {
  performance.mark(PREFIX + name);
}

/** This realm's marks so far, as [name, wall-clock milliseconds]. */
export function marks(): [string, number][] {
  return performance
    .getEntriesByType('mark')
    .filter((m) => m.name.startsWith(PREFIX))
    .map((m) => [m.name.slice(PREFIX.length), performance.timeOrigin + m.startTime]);
}

/** Marks (this realm's and `others`, wall-clock) as milliseconds from this page's start, in order. */
export function fromPageStart(others: [string, number][] = []): Record<string, number> {
  const all = [...marks(), ...others].map(([name, wall]) => [name, Math.round(wall - performance.timeOrigin)] as const);
  return Object.fromEntries(all.sort((a, b) => a[1] - b[1]));
}
