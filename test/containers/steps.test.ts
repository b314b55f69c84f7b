// steps.ts: several scripts sent as one command, each one's status, stdout
// and stderr given back apart. Run by the host's sh (dash) in place of the
// guest's: the sections must come apart whatever each step prints or how it
// ends (exit in a step ends only that step). No guest.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sh } from '../../src/api/shell-script.ts';
import type { GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { runSteps } from '../../src/containers/engine/steps.ts';

/** The host's sh as the guest's shell. */
const hostShell: GuestShell = {
  run: async (command) => {
    const r = spawnSync('sh', ['-c', String(command)], { encoding: 'utf8' });
    return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  },
};

describe('runSteps', () => {
  it("gives each step's status, stdout and stderr apart; an exit ends only its own step", async () => {
    const done = await runSteps(hostShell, [
      { name: 'first', script: sh`echo one; echo two; echo oops >&2` },
      { name: 'quits', script: sh`printf 'no newline'; echo why >&2; exit 3; echo never` },
      { name: 'silent', script: sh`true` },
      { name: 'after-exit', script: sh`echo ${"it's $(here)"}` },
    ]);
    expect(Object.fromEntries(done)).toEqual({
      first: { exitCode: 0, stdout: 'one\ntwo\n', stderr: 'oops\n' },
      quits: { exitCode: 3, stdout: 'no newline', stderr: 'why\n' },
      silent: { exitCode: 0, stdout: '', stderr: '' },
      'after-exit': { exitCode: 0, stdout: "it's $(here)\n", stderr: '' },
    });
  });

  it("a step that never reported has status -1 and the whole command's stderr", async () => {
    const dying: GuestShell = { run: async () => ({ exitCode: 137, stdout: '', stderr: 'killed' }) };
    expect((await runSteps(dying, [{ name: 'a', script: sh`true` }])).get('a')).toEqual({ exitCode: -1, stdout: '', stderr: 'killed' });
  });
});
