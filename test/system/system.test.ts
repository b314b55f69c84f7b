// Every program in test/system/tests runs in qemu-system-i386 (TCG) and in
// glassbox; the debug-console output of the two must be identical. QEMU runs
// in a small pool of processes while glassbox runs the programs in turn.

import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TESTS_DIR, assemble, pool, runGlassbox, runQemu } from './runner.ts';

const names = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith('.asm'))
  .map((f) => f.slice(0, -4))
  .sort();
const elves = new Map<string, string>();
const qemu = new Map<string, Promise<string>>();

beforeAll(() => {
  for (const n of names) elves.set(n, assemble(n));
  const runs = pool(
    names.map((n) => () => runQemu(elves.get(n)!)),
    3,
  );
  names.forEach((n, i) => {
    runs[i].catch(() => {}); // reported by the test that awaits it
    qemu.set(n, runs[i]);
  });
});

function withoutSdmLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('sdm '))
    .join('\n');
}

describe('system tests: glassbox against qemu-system-i386', () => {
  it.each(names)(
    '%s',
    async (name) => {
      const ours = runGlassbox(elves.get(name)!);
      const theirs = withoutSdmLines(await qemu.get(name)!);
      // Where QEMU does not model the SDM, the program checks itself: glassbox must say "ok".
      for (const line of ours.split('\n').filter((l) => l.startsWith('sdm '))) expect(line).toMatch(/ ok$/);
      expect(withoutSdmLines(ours)).toBe(theirs);
      // Each program reports values, so a broken CPU shows as a difference, and ends by its exit port.
      expect(theirs.split('\n').filter((l) => l.includes('=')).length).toBeGreaterThanOrEqual(2);
      expect(theirs.endsWith('[exit 0]\n')).toBe(true);
    },
    60_000,
  );
});
