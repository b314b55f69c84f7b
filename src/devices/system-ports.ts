// The small system ports of a PC: port 0x92 (system control port A: the A20
// gate and a fast reset), port 0x80 (POST codes, kept for the inspector) and
// the reset line of the i8042 keyboard controller (command 0xFE on port
// 0x64). There is no keyboard: the controller's status port reads 0xFF, which
// Linux's i8042 driver takes as "no controller".

import type { Core } from '../core/core.ts';
import type { PortBus, PortDevice } from '../machine/port-bus.ts';
import { loadFields, ownFields, type StateRecord, type Stateful } from '../machine/state.ts';

export class SystemPorts implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private a20 = true;
  /** The last POST code written to port 0x80. */
  postCode = 0;

  constructor(private readonly core: Core, private readonly reset: () => void) {
    core.setA20(true);
  }

  saveState(): StateRecord {
    return { a20: this.a20, postCode: this.postCode };
  }

  /** The gate itself (the core's address mask) is core state, restored with the CPU. */
  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, ['a20', 'postCode']);
  }

  attach(bus: PortBus): void {
    bus.claim(0x92, 1, this, 'system control port A');
    bus.claim(0x80, 1, this, 'POST code');
    bus.claim(0x64, 1, this, 'i8042 command/status');
    bus.claim(0x60, 1, this, 'i8042 data');
  }

  read(port: number, _size = 1): number {
    if (port === 0x92) return this.a20 ? 0x02 : 0x00;
    if (port === 0x80) return this.postCode;
    return 0xff; // i8042: no controller
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === 0x92) {
      this.a20 = (v & 0x02) !== 0;
      this.core.setA20(this.a20);
      if (v & 0x01) this.reset();
    } else if (port === 0x80) {
      this.postCode = v;
    } else if (port === 0x64 && v === 0xfe) {
      this.reset(); // pulse the CPU reset line
    }
  }
}
