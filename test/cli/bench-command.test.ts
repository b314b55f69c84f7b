// `glassbox bench overhead` as a user runs it: it prints the workload's
// times and their ratio, and then ends (it waited forever on the guest it had
// booted), leaving no image store of its own behind.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const temp = mkdtempSync(join(tmpdir(), 'glassbox-bench-command-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('glassbox bench overhead', () => {
  it('prints the ratio, ends, and removes its store', () => {
    const r = glassboxSync(['bench', 'overhead', '--rounds', '1'], { timeoutMs: 240_000, env: { ...process.env, TMPDIR: temp } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^direct in the guest: \d+\.\d+ s\ninside a container: +\d+\.\d+ s\ncontainer\/direct \(medians\): \d+\.\d{3}\n$/);
    expect(readdirSync(temp)).toEqual([]);
  }, 300_000);
});
