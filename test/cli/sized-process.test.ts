// The CLI's guest commands start themselves again in a process whose V8 pool
// is sized for a guest (src/cli/sized-process.ts). What a user relies on is
// checked on a stand-in command run the same way: the action runs once, in a
// process given the option; its exit status comes back; a signal sent to the
// command reaches the guest's process; and that process ends when the one the
// user started is killed outright, leaving no guest running.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-sized-'));
// A test that fails before it ends its command kills it here (its guest process follows: the disconnect).
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const script = join(dir, 'command.mts');
const module = new URL('../../src/cli/sized-process.ts', import.meta.url).pathname;
// The action writes the options and PID of the process it runs in, then ends with the status asked for or waits.
writeFileSync(
  script,
  `import { writeFileSync } from 'node:fs';
import { guestRunning } from ${JSON.stringify(module)};
const [out, how] = process.argv.slice(2);
const action = guestRunning(async () => {
  writeFileSync(out, JSON.stringify({ execArgv: process.execArgv, pid: process.pid }));
  if (how === 'wait') await new Promise(() => setInterval(() => {}, 1000));
  return Number(how);
});
process.exitCode = await action();
`,
);
// Without the tests' own --v8-pool-size (vitest.config.ts gives its workers one): a user's plain node.
const env = { ...process.env, NODE_OPTIONS: '' };
const nodeArgs = (out: string, how: string) => ['--import', 'tsx', script, out, how];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The PID the action wrote to `out`, once it has (the file can be there before its bytes are). */
function ranPid(out: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(out, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a guest command runs in a process with V8's pool sized for a guest", () => {
  it('runs the action once, there, and passes its exit status back', () => {
    const out = join(dir, 'status.json');
    const r = spawnSync(process.execPath, nodeArgs(out, '7'), { env, encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([7, '']);
    const ran = JSON.parse(readFileSync(out, 'utf8')) as { execArgv: string[]; pid: number };
    expect(ran.execArgv.filter((a) => a.startsWith('--v8-pool-size='))).toHaveLength(1);
    expect(ran.pid).not.toBe(r.pid);
  });

  it('passes SIGTERM on, and ends by it as the guest process did', async () => {
    const out = join(dir, 'term.json');
    const parent = spawn(process.execPath, nodeArgs(out, 'wait'), { env, stdio: 'ignore' });
    started.push(parent);
    await until('the action started', () => ranPid(out) !== undefined);
    const child = ranPid(out)!;
    const ended = new Promise<[number | null, string | null]>((r) => parent.on('exit', (c, s) => r([c, s])));
    parent.kill('SIGTERM');
    expect(await ended).toEqual([null, 'SIGTERM']);
    await until('the guest process ended', () => !alive(child));
  });

  it('leaves no guest process behind when the command is killed outright', async () => {
    const out = join(dir, 'kill.json');
    const parent = spawn(process.execPath, nodeArgs(out, 'wait'), { env, stdio: 'ignore' });
    started.push(parent);
    await until('the action started', () => ranPid(out) !== undefined);
    const child = ranPid(out)!;
    parent.kill('SIGKILL');
    await until('the guest process ended after its parent', () => !alive(child));
  });
});
