// The one thing the container layer needs from a machine: run a shell
// command in the guest with some stdin and get its status and output.

import type { ExecSession } from '../../api/exec-session.ts';
import type { Machine } from '../../api/machine.ts';
import type { SpawnOptions } from '../../api/types.ts';
import { AGENT_JOBS, LONG_SLOTS, Slots } from './agent-slots.ts';
import { sh, type Script } from '../../api/shell-script.ts';

export interface ShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GuestShell {
  /** long: the command may run for long (a foreground container, an exec), so it waits in the long lane (agent-slots.ts). */
  run(command: Script, opts?: { stdin?: Uint8Array | string; timeoutMs?: number; long?: boolean }): Promise<ShellResult>;
  /** A command the caller talks to while it runs (attached containers need it). */
  spawn?(command: Script, opts?: SpawnOptions): Promise<ExecSession>;
}

/**
 * A running Machine as a GuestShell (no time limit unless the caller gives
 * one), its commands queued within the agent's limit. A spawned session holds
 * its long slot until it ends.
 */
export function machineShell(machine: Machine): GuestShell {
  const long = new Slots(LONG_SLOTS);
  const short = new Slots(AGENT_JOBS - LONG_SLOTS);
  return {
    run: async (command, { long: isLong, ...opts } = {}) => {
      const release = await (isLong ? long : short).acquire();
      try {
        return await machine.exec(String(command), { ...opts, timeoutMs: opts.timeoutMs ?? 0 });
      } finally {
        release();
      }
    },
    spawn: async (command, opts) => {
      const release = await long.acquire();
      try {
        const session = await machine.spawn(String(command), opts);
        void session.exit.finally(release).catch(() => {});
        return session;
      } catch (e) {
        release();
        throw e;
      }
    },
  };
}

/** Under the agent's 64 KiB payload, leaving room for the command: the most stdin one command is given. */
export const STDIN_CHUNK = 60 * 1024;

/** Writes a file in the guest through stdin, in chunks the agent accepts. */
export async function writeGuestFile(shell: GuestShell, path: string, data: Uint8Array): Promise<void> {
  for (let off = 0; off === 0 || off < data.length; off += STDIN_CHUNK) {
    const r = await shell.run(off === 0 ? sh`cat > ${path}` : sh`cat >> ${path}`, { stdin: data.subarray(off, off + STDIN_CHUNK) });
    if (r.exitCode !== 0) throw new Error(`writing ${path} in the guest: ${r.stderr.trim()}`);
  }
}
