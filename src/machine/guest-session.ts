// A booted guest with its agent on COM2: the machine, the agent protocol's
// client on the emulated serial line, and a driver that runs the machine
// until an agent request is answered.

import { AgentClient } from '../../guest-images/agent/protocol.ts';
import type { BzImage } from '../boot/bzimage.ts';
import { loadLinux } from '../boot/load-linux.ts';
import { createCore } from '../core/load-node.ts';
import { PcMachine } from './machine.ts';
import { SerialLink } from './serial-link.ts';

export interface GuestSessionOptions {
  kernel: BzImage;
  initrd?: Uint8Array;
  cmdline: string;
  memoryMiB: number;
  /** Bytes the guest writes on COM1 (its console). */
  console?: (byte: number) => void;
}

export class GuestSession {
  readonly machine: PcMachine;
  readonly agent: AgentClient;
  private readonly link: SerialLink;

  constructor(opts: GuestSessionOptions) {
    const bytes = opts.memoryMiB << 20;
    let agent: AgentClient | undefined;
    this.machine = new PcMachine((h) => createCore(bytes, h), bytes, {
      serial: (port, byte) => {
        if (port === 1) agent?.feed(Uint8Array.of(byte));
        else opts.console?.(byte);
      },
    });
    this.link = new SerialLink(this.machine.com[1]);
    this.agent = agent = new AgentClient((b) => this.link.send(b));
    loadLinux(this.machine.core, opts.kernel, { cmdline: opts.cmdline, initrd: opts.initrd });
  }

  /**
   * Runs the machine until `request` settles. Fails, naming `what`, if the
   * guest has not answered within `budget` instructions or powered off.
   */
  async drive<T>(request: Promise<T>, what: string, budget = 4_000_000_000): Promise<T> {
    let settled = false;
    request.then(() => (settled = true), () => (settled = true));
    const m = this.machine;
    for (let spent = 0; !settled; ) {
      if (spent > budget) throw new Error(`${what}: the guest agent did not answer within ${budget} instructions`);
      this.link.pump();
      const before = m.core.instructions;
      if (m.run(2_000_000) === 'off') throw new Error(`${what}: the guest powered off before the agent answered`);
      spent += Number(m.core.instructions - before) + 1;
      await new Promise((r) => setImmediate(r));
    }
    return request;
  }
}
