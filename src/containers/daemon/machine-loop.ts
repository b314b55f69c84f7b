// Keeps a booted guest running in the engine process, paced to the wall
// clock so detached containers make progress between requests and an idle
// guest does not spin, and runs shell commands through its agent meanwhile.

import type { GuestSession } from '../../machine/guest-session.ts';
import type { GuestShell } from '../engine/guest-shell.ts';

export class MachineLoop {
  private running = false;
  private stopped?: Promise<void>;

  constructor(private readonly session: GuestSession) {}

  start(): void {
    this.running = true;
    this.stopped = this.loop();
  }

  private async loop(): Promise<void> {
    const m = this.session.machine;
    const wallStart = performance.now();
    const guestStart = m.nowNs() / 1e6;
    while (this.running) {
      this.session.pumpInput();
      if (m.run(2_000_000) === 'off') throw new Error('the guest powered off');
      const ahead = m.nowNs() / 1e6 - guestStart - (performance.now() - wallStart);
      await new Promise((r) => setTimeout(r, ahead > 1 ? Math.min(ahead, 20) : 0));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.stopped;
  }

  shell(): GuestShell {
    const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
    return {
      run: async (command, opts = {}) => {
        const r = await this.session.agent.exec(command, opts);
        return { exitCode: r.exitCode, stdout: text(r.stdout), stderr: text(r.stderr) };
      },
    };
  }
}
