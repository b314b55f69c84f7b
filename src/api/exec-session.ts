// A command running in the guest that the host talks to while it runs
// (Machine.spawn): output as events, stdin written as it comes, and with a
// pty, window sizes. Ctrl-C is not a method: on a pty the byte 0x03 is, and
// the guest's line discipline turns it into SIGINT.

import type { ExecEnd } from '../agent/protocol.ts';
import type { AgentSession, SessionOutput } from '../agent/session.ts';
import { Emitter } from './emitter.ts';
import type { ExecSessionEvents, SessionExit, WindowSize } from './types.ts';

export class ExecSession extends Emitter<ExecSessionEvents> {
  /** How the command ended; rejects with a MachineError if the machine stopped or the agent failed first. */
  readonly exit: Promise<SessionExit>;
  private readonly session: AgentSession;

  /** `start` opens the agent session with this object's event emitters; `guard` ties its end to the machine. */
  constructor(start: (output: SessionOutput) => AgentSession, guard: (end: Promise<ExecEnd>) => Promise<ExecEnd>) {
    super();
    this.session = start({ stdout: (b) => this.emit('stdout', b), stderr: (b) => this.emit('stderr', b) });
    this.exit = guard(this.session.exit).then((e) => ({ exitCode: e.exitCode, timedOut: e.timedOut, ...(e.signal ? { signal: e.signal } : {}) }));
  }

  /** Sends bytes to the command's stdin (its terminal, with a pty); resolves when they are on their way, which paces a producer. */
  write(data: string | Uint8Array): Promise<void> {
    return this.session.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  /** End of stdin, after what was written. On a pty this changes nothing: write "\x04" for the shell's EOF. */
  end(): void {
    this.session.end();
  }

  /** Sets the pty's window size; the foreground process group gets SIGWINCH. */
  resize(size: WindowSize): void {
    this.session.resize(size);
  }

  /** Sends a signal (default SIGTERM) to the command's process group. */
  kill(signal = 15): void {
    this.session.signal(signal);
  }
}
