// The bundled glassbox command run as a user runs it, in a child process and
// always with a deadline: one that does not finish in time fails the test
// naming the command, instead of handing back a result with no exit status.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const GLASSBOX_BIN = fileURLToPath(new URL('../../bin/glassbox.mjs', import.meta.url));

export interface CliOptions {
  timeoutMs: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** `glassbox ARGS` run to its end, its output as text. */
export function glassboxSync(args: string[], opts: CliOptions): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [GLASSBOX_BIN, ...args], { input: opts.input ?? '', encoding: 'utf8', timeout: opts.timeoutMs, env: opts.env ?? process.env });
  if (r.error) {
    const late = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    const what = late ? `did not finish within ${opts.timeoutMs / 1000} s` : `could not run (${r.error.message})`;
    throw new Error(`glassbox ${args.join(' ')} ${what}; the end of its stderr: ${JSON.stringify((r.stderr ?? '').slice(-500))}`);
  }
  return r;
}

/**
 * A user's shell for `home`: each call runs one line in bash, `glassbox`
 * being the bundled CLI, with $GLASSBOX_HOME set; its stdout, stderr and
 * status. One that does not finish in time fails naming the line.
 */
export function userShell(home: string): (line: string, timeoutMs?: number) => { out: string; err: string; status: number } {
  return (line, timeoutMs = 300_000) => {
    const script = `glassbox() { ${JSON.stringify(process.execPath)} ${JSON.stringify(GLASSBOX_BIN)} "$@"; }\n${line}`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, GLASSBOX_HOME: home } });
    if (r.error) throw new Error(`"${line}" did not finish within ${timeoutMs / 1000} s; its stderr: ${JSON.stringify((r.stderr ?? '').slice(-500))}`);
    return { out: r.stdout, err: r.stderr, status: r.status ?? -1 };
  };
}
