// Two ports QEMU offers test programs, so the same program runs on both:
// the debug console (port 0xE9, "-debugcon", debug-console.ts), and
// isa-debug-exit (port 0xF4, "-device isa-debug-exit"), where writing a
// value V ends the emulator with status (V << 1) | 1.

import type { PortBus, PortDevice } from './port-bus.ts';
import type { StateRecord, Stateful } from '../state/records.ts';
import { DebugConsole } from './debug-console.ts';

export const DEBUGCON_PORT = 0xe9;
export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private readonly console: DebugConsole;

  constructor(
    output: (byte: number) => void,
    private readonly exit: (status: number) => void,
  ) {
    this.console = new DebugConsole(DEBUGCON_PORT, output);
  }

  /** Stateless: each byte goes out as it is written. */
  saveState(): StateRecord {
    return {};
  }
  loadState(): void {}

  attach(bus: PortBus): void {
    bus.claim(DEBUGCON_PORT, 1, this, 'debug console');
    bus.claim(DEBUG_EXIT_PORT, 4, this, 'isa-debug-exit');
  }

  read(port: number, size: number): number {
    return port === DEBUGCON_PORT ? this.console.read(port, size) : 0;
  }

  write(port: number, size: number, value: number): void {
    if (port === DEBUGCON_PORT) this.console.write(port, size, value);
    else this.exit((((value & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1)) << 1) | 1) >>> 0);
  }
}
