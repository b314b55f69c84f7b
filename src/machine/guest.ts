// A guest on the emulated PC, independent of the platform: the machine built
// from an already compiled core, Linux loaded into it, the console on COM1
// and the agent protocol's client on COM2. Node (guest-session.ts) and the
// browser's worker (src/web/worker/) both build on it.

import { AgentClient } from '../../guest-images/agent/protocol.ts';
import type { BzImage } from '../boot/bzimage.ts';
import { loadLinux } from '../boot/load-linux.ts';
import { Core } from '../core/core.ts';
import { PcMachine } from './machine.ts';
import { SerialLink } from './serial-link.ts';

export interface GuestOptions {
  kernel: BzImage;
  initrd?: Uint8Array;
  cmdline: string;
  memoryMiB: number;
  /** Bytes the guest writes on COM1 (its console). */
  console?: (byte: number) => void;
}

export class Guest {
  readonly machine: PcMachine;
  readonly agent: AgentClient;
  /** Host-to-guest bytes for the console (COM1). */
  readonly consoleInput: SerialLink;
  protected readonly agentLink: SerialLink;

  constructor(module: WebAssembly.Module, opts: GuestOptions) {
    const bytes = opts.memoryMiB << 20;
    let agent: AgentClient | undefined;
    this.machine = new PcMachine((h) => Core.create(module, bytes, h), bytes, {
      serial: (port, byte) => {
        if (port === 1) agent?.feed(Uint8Array.of(byte));
        else opts.console?.(byte);
      },
    });
    this.consoleInput = new SerialLink(this.machine.com[0]);
    this.agentLink = new SerialLink(this.machine.com[1]);
    this.agent = agent = new AgentClient((b) => this.agentLink.send(b));
    loadLinux(this.machine.core, opts.kernel, { cmdline: opts.cmdline, initrd: opts.initrd });
  }

  /** Moves queued host-to-guest bytes into both UARTs; call between run slices. */
  pumpInput(): void {
    this.consoleInput.pump();
    this.agentLink.pump();
  }
}
