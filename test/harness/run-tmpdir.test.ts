// The test run's temporary directory (test/support/run-tmpdir.ts): a process
// that takes it, and a program it starts, make their temporary files in it,
// and it is gone when the process exits, whatever was left in it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectPath } from '../../src/paths.ts';

const outer = mkdtempSync(join(tmpdir(), 'glassbox-run-tmpdir-test-'));
afterAll(() => rmSync(outer, { recursive: true, force: true }));

/** Runs a process that takes the run directory and leaves files in it; returns what it printed. */
function runner(env: NodeJS.ProcessEnv): { dir: string; child: string } {
  const script = `
    import { mkdtempSync, writeFileSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { execFileSync } from 'node:child_process';
    import { useRunTmpdir } from ${JSON.stringify(projectPath('test', 'support', 'run-tmpdir.ts'))};
    const dir = useRunTmpdir();
    writeFileSync(join(mkdtempSync(join(tmpdir(), 'left-')), 'file'), 'x');
    const child = execFileSync('sh', ['-c', 'd=$(mktemp -d) && echo left > "$d/f" && echo "$d"'], { encoding: 'utf8' }).trim();
    console.log(JSON.stringify({ dir, child }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe("the test run's temporary directory", () => {
  it('holds what the process and its programs leave, and goes at exit', () => {
    const env = { TMPDIR: outer, GLASSBOX_TEST_TMPDIR: '' };
    const { dir, child } = runner(env);
    expect(dir.startsWith(join(outer, 'glassbox-test-run-'))).toBe(true);
    expect(child.startsWith(dir + '/')).toBe(true); // mktemp read TMPDIR
    expect(existsSync(dir)).toBe(false);
  });

  it('is left to the runner whose it is when a runner starts inside one', () => {
    const parent = mkdtempSync(join(outer, 'parent-'));
    const { dir, child } = runner({ TMPDIR: parent, GLASSBOX_TEST_TMPDIR: parent });
    expect(dir).toBe(parent);
    expect(existsSync(child)).toBe(true);
  });
});
