// One directory for every temporary file of a test run, removed when the run
// ends. The tests make their homes, image stores, disks and sockets under
// os.tmpdir() and most remove them, but a failed or timed-out test, a guest
// or engine killed mid-write, or a tool the tests run (skopeo, mmdebstrap,
// Chromium) leaves its own behind: a run on this host left 762 directories
// and 5.8 GB in /tmp. TMPDIR is what os.tmpdir() and those tools read, and
// the test processes inherit it from the runner.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARK = 'GLASSBOX_TEST_TMPDIR';

/** Points this process (and every process it starts) at a fresh directory under the temporary one, removed at exit. */
export function useRunTmpdir(): string {
  // A runner started by a test keeps its parent's: the parent removes it.
  const inherited = process.env[MARK];
  if (inherited) return inherited;
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-test-run-'));
  // As /tmp is: the tests run some programs as another user (nobody), which need a temporary directory too.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  process.env[MARK] = dir;
  process.on('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      process.stderr.write(`test run: could not remove its temporary directory ${dir}: ${(e as Error).message}\n`);
    }
  });
  return dir;
}
