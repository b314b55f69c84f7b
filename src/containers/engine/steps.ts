// Several guest scripts sent as one: each command the agent runs is a shell
// started in the guest and a trip over the agent's line (a few hundred ms
// each on a loaded host, the guest's code interpreted), so work done in a row
// (the engine's start: clock, disk, storage, link) goes in one, and each
// script's status, stdout and stderr still come back apart.

import { code, sh, script, type Script } from '../../api/shell-script.ts';
import type { GuestShell, ShellResult } from './guest-shell.ts';
import { SECTIONS, sections } from './proc-files.ts';

export interface Step {
  /** Names its results; letters, digits and dashes. */
  name: string;
  script: Script;
}

/**
 * The steps in order, each in a subshell of its own (its `exit` ends only
 * it), its stdout in the section NAME.out, its stderr (kept in a file while
 * it runs) in NAME.err, its status in NAME.status.
 */
export function stepsScript(steps: Step[]): Script {
  return script(
    SECTIONS,
    code(`gb_step_err=/tmp/gb-steps.$$
gb_step_end() { s=$?; gb_section "$1.err"; while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$gb_step_err"; gb_section "$1.status"; echo "$s"; }`),
    ...steps.flatMap((s) => [sh`gb_section ${`${s.name}.out`}`, code('('), s.script, sh`) 2>"$gb_step_err"`, sh`gb_step_end ${s.name}`]),
    sh`rm -f "$gb_step_err"`,
  );
}

/** Runs the steps in one command; each one's result by name (exit status -1 for a step that did not report, as when the guest's shell died). */
export async function runSteps(shell: GuestShell, steps: Step[], opts: { timeoutMs?: number } = {}): Promise<Map<string, ShellResult>> {
  const r = await shell.run(stepsScript(steps), opts);
  const s = sections(r.stdout);
  return new Map(
    steps.map(({ name }) => {
      const status = s.get(`${name}.status`)?.trim();
      return [name, { exitCode: status ? Number(status) : -1, stdout: s.get(`${name}.out`) ?? '', stderr: s.get(`${name}.err`) ?? r.stderr }];
    }),
  );
}
