// System tests QEMU cannot run (test/system/sdm): each program checks itself
// against the SDM with SDM_EXPECT lines, and glassbox must print "ok" for
// every one and exit normally. Each program's header says why QEMU is not the
// oracle there.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../src/paths.ts';
import { assemble, runGlassbox } from './runner.ts';

const DIR = projectPath('test', 'system', 'sdm');
const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.asm'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('system tests checked against the SDM in glassbox alone', () => {
  it.each(names)('%s', (name) => {
    const out = runGlassbox(assemble(name, DIR));
    const sdm = out.split('\n').filter((l) => l.startsWith('sdm '));
    expect(sdm.length, out).toBeGreaterThan(0);
    for (const line of sdm) expect(line, out).toMatch(/ ok$/);
    expect(out).toMatch(/\[exit 0\]\n$/);
  });
});
