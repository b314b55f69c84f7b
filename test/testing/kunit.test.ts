// KUnit through glassbox kernel run: a kernel built with KUnit suites
// (guest-images/build.sh kunit: some of the kernel's own, and glassbox's)
// runs them at boot; --ktap reads their KTAP from the console, summarises
// it, writes JUnit XML, and fails the run when a test fails.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 400_000 });
const kunitKernel = join(import.meta.dirname, '../../guest-images/kunit/bzImage');

function runKunit(extra: string[]) {
  const junit = join(mkdtempSync(join(tmpdir(), 'kunit-')), 'results.xml');
  const r = glassbox(['kernel', 'run', '--kernel', kunitKernel, '--ktap', '--junit', junit, '--timeout', '300', ...extra]);
  return { ...r, junit: readFileSync(junit, 'utf8') };
}

describe('KUnit suites built into a kernel', () => {
  it('pass, and every suite and case appears in the summary and the JUnit XML', () => {
    const r = runKunit([]);
    expect(r.stderr).toMatch(/ktap: \d+ passed, 0 failed/);
    const passed = Number(/ktap: (\d+) passed/.exec(r.stderr)![1]);
    // the kernel's list suite alone has over thirty cases
    expect(passed).toBeGreaterThan(30);
    for (const name of ['list_test_list_add', 'clock_advances', 'timer_wakes', 'obeys_the_command_line']) expect(r.junit).toContain(`name="${name}"`);
    expect(r.status).toBe(0);
  }, 400_000);

  it('fail the run when a test is made to fail from the kernel command line', () => {
    const r = runKunit(['--append', 'glassbox_kunit.fail=1']);
    expect(r.stderr).toMatch(/ktap: \d+ passed, 1 failed/);
    expect(r.stderr).toContain('obeys_the_command_line');
    expect(r.junit).toMatch(/<testcase name="obeys_the_command_line"[^>]*>\s*<failure/);
    expect(r.status).toBe(1);
  }, 400_000);
});
