// QEMU's debug console ("-debugcon", the isa-debugcon device): each byte
// written to its port is output, and a read returns 0xE9, by which a guest
// tells the port is there. Test programs use it at 0xE9; SeaBIOS writes its
// debug log to it at 0x402 when it finds it.

import type { PortBus, PortDevice } from './port-bus.ts';
import type { StateRecord, Stateful } from '../state/records.ts';

/** What a read of the port returns: the answer QEMU's device gives. */
const READBACK = 0xe9;

export class DebugConsole implements PortDevice, Stateful {
  readonly stateVersion = 1;
  constructor(
    readonly port: number,
    private readonly output: (byte: number) => void,
  ) {}

  /** Stateless: each byte goes out as it is written. */
  saveState(): StateRecord {
    return {};
  }
  loadState(): void {}

  attach(bus: PortBus, name = 'debug console'): void {
    bus.claim(this.port, 1, this, name);
  }

  read(_port: number, _size: number): number {
    return READBACK;
  }

  write(_port: number, _size: number, value: number): void {
    this.output(value & 0xff);
  }
}
