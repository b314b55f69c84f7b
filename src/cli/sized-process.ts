// The commands that run a guest in the CLI's own process (boot, replay,
// guest exec, snapshot create, kernel run) run it in a process whose V8
// worker pool is sized for a guest (src/core/jit/compile-pool.ts): Node's
// default pool of 4 compiler threads takes the guest thread's core on a small
// host. A Node option counts only where a process starts, so such a command
// starts this program again with the option and passes on how it ended;
// the relaunch costs one more start of the CLI (about 0.25 s, measured idle on 2 cores).
//
// The parent only waits: the child has the terminal (stdio inherited), the
// signals a user or a supervisor sends the parent are passed on, and the
// child ends itself when the parent is gone (killed with SIGKILL, say), so a
// guest is never left running with nobody to stop it.

import { spawn } from 'node:child_process';
import { compilePoolOption, givenPoolOption } from '../core/jit/compile-pool.ts';

const PASSED_ON = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs this command again in a process with V8's pool sized for a guest, and
 * resolves to its exit status; resolves to undefined when this process is
 * that one and should run the guest itself.
 */
export async function inSizedProcess(): Promise<number | undefined> {
  // Started with V8's pool sized (by this module, or by the user): run here.
  if (givenPoolOption()) {
    followParent();
    return undefined;
  }
  const child = spawn(process.execPath, [...process.execArgv, compilePoolOption(), ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const passOn = (signal: NodeJS.Signals) => () => {
    try {
      child.kill(signal);
    } catch {
      // Already gone: its exit is on the way.
    }
  };
  const handlers = PASSED_ON.map((s) => [s, passOn(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => resolve([c, s]));
  });
  for (const [s, h] of handlers) process.off(s, h);
  // Ended by a signal: end the same way, so whoever started this sees what the child's end was.
  if (signal) process.kill(process.pid, signal);
  return code ?? 1;
}

/** In the relaunched process: end when the parent that waits on it is gone. */
function followParent(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** A command's action that runs a guest here: run in a process sized for it (inSizedProcess) first. */
export const guestRunning =
  <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
  async (...args: A): Promise<number> =>
    (await inSizedProcess()) ?? action(...args);
