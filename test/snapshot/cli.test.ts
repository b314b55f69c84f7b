// glassbox snapshot create and boot --snapshot as a user runs them: the
// bundled CLI in child processes, the default guest.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/glassbox.mjs', import.meta.url));
const glassbox = (args: string[], input = '') =>
  spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 600_000 });
const dir = mkdtempSync(join(tmpdir(), 'glassbox-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('glassbox snapshot create and boot --snapshot', () => {
  it('writes a booted guest to a file, and resumes it at the shell with piped stdin typed in', () => {
    const file = join(dir, 'guest.snap');
    const made = glassbox(['snapshot', 'create', file]);
    expect(made.stderr).toMatch(/^glassbox: wrote .*guest\.snap: [\d.]+ MiB, the guest at \d+ instructions\n$/);
    expect(made.status).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(1 << 20);
    const same = glassbox(['snapshot', 'diff', file, file]);
    expect(same.stdout).toBe('RAM: 0 pages differ\nCPU: the same\ndevices: the same\n');
    const r = glassbox(['boot', '--snapshot', file, '--clock', 'virtual'], 'echo "resumed$((6*7))"\npoweroff -f\n');
    expect(r.stdout).toContain('resumed42'); // computed by the resumed guest's shell
    expect(r.stdout).not.toContain('Linux version'); // it did not boot again
    expect(r.stdout).toContain('reboot: System halted');
    expect(r.status).toBe(0);

    // Recorded, then replayed: the same console bytes and the recorded final state (exit 0).
    const recording = join(dir, 'run.json');
    const rec = glassbox(['boot', '--snapshot', file, '--clock', 'virtual', '--record', recording], 'echo "rec$((6*7))"\nuname -n\npoweroff -f\n');
    expect(rec.stderr).toMatch(/glassbox: recorded \d+ inputs to .*run\.json; the final state's SHA-256 is [0-9a-f]{64}\n$/);
    const rep = glassbox(['replay', file, recording]);
    expect(rep.stderr).toMatch(/glassbox: replayed \d+ inputs to instruction \d+: the recorded final state\n$/);
    expect(rep.status).toBe(0);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stdout).toContain('rec42');
  }, 900_000);

  it('refuses a file that is not a snapshot, naming it', () => {
    const file = join(dir, 'not.snap');
    writeFileSync(file, 'hello');
    const r = glassbox(['boot', '--snapshot', file]);
    expect(r.stderr).toBe(`glassbox: snapshot ${file}: not a glassbox snapshot: it does not start with "glassbox snapshot" (it starts with "hello")\n`);
    expect(r.status).toBe(2);
  });
});
