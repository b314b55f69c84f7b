// Running a bare-metal Multiboot program (no Linux): the PC with QEMU's debug
// console and exit ports, the program loaded as the Multiboot specification
// says, run on the virtual clock until it exits, the CPU resets (a triple
// fault), it halts for good or the instruction budget runs out.

import { parseMultiboot, loadMultiboot } from '../boot/multiboot.ts';
import { createCore } from '../core/load-node.ts';
import { PcMachine } from './machine.ts';

export interface BareMetalOptions {
  memoryMiB: number;
  /** Instructions to run at most. */
  budget: number;
  /** Bytes written to the debug console (port 0xE9). */
  debugcon(byte: number): void;
  /** Bytes written to COM1. */
  serial?(byte: number): void;
}

export type BareMetalEnd = { how: 'exit'; status: number } | { how: 'reset' | 'halted' | 'budget' };

export function runBareMetal(file: Uint8Array, name: string, opts: BareMetalOptions): BareMetalEnd {
  const bytes = opts.memoryMiB << 20;
  const m = new PcMachine((h) => createCore(bytes, h), bytes, {
    debugcon: opts.debugcon,
    serial: (port, byte) => port === 0 && opts.serial?.(byte),
  });
  loadMultiboot(m.core, parseMultiboot(file, name), name);
  const slice = 1_000_000;
  for (let spent = 0; spent < opts.budget; spent += slice) {
    const power = m.run(Math.min(slice, opts.budget - spent));
    if (m.resets > 0) return { how: 'reset' };
    if (power === 'off') return m.exitStatus === undefined ? { how: 'halted' } : { how: 'exit', status: m.exitStatus };
    if (power === 'halted') return { how: 'halted' };
  }
  return { how: 'budget' };
}
