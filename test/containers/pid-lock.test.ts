// The locks between glassbox processes (one engine per home, the store's
// lock): a lock whose owner was killed is taken over at once, even while the
// dead owner is still a zombie that its parent has not reaped, which is how a
// killed engine stays until PID 1 gets to it.

import { describe, expect, it, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, tryLock } from '../../src/containers/pid-lock.ts';
import { until, within } from '../support/deadline.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-pid-lock-'));
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];

describe('pid locks', () => {
  // A shell starts a background sleep and then becomes a sleep itself, which never reaps that child.
  const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
  afterAll(() => parent.kill('SIGKILL'));

  it('a lock held by a killed process that is still a zombie is taken over', async () => {
    const orphan = Number(await within(new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(String(d)))), 10_000, "the pid of the shell's background sleep"));
    const path = join(dir, 'engine.lock');
    writeFileSync(path, String(orphan));
    expect(alive(orphan)).toBe(true);
    expect(tryLock(path)).toEqual({ owner: orphan });

    process.kill(orphan, 'SIGKILL');
    await until(`the killed sleep ${orphan} becoming a zombie`, () => state(orphan) === 'Z', 10_000, 20);
    expect(alive(orphan)).toBe(false);
    const lock = tryLock(path);
    expect(lock).toHaveProperty('release');
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
  });
});
