// The small system ports of a PC: port 0x92 (system control port A: the A20
// gate and a fast reset) and port 0x80 (POST codes, kept for the inspector).
// The keyboard controller's reset line and A20 gate are in i8042.ts.

import type { Core } from '../core/core.ts';
import type { PortBus, PortDevice } from './port-bus.ts';
import { loadFields, ownFields, type StateRecord, type Stateful } from '../state/records.ts';

export class SystemPorts implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private a20 = true;
  /** The last POST code written to port 0x80. */
  postCode = 0;

  constructor(
    private readonly core: Core,
    private readonly reset: () => void,
    private readonly onPostCode?: (code: number) => void,
  ) {
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
  }

  read(port: number, _size = 1): number {
    if (port === 0x92) return this.a20 ? 0x02 : 0x00;
    return this.postCode;
  }

  /** The A20 gate from the keyboard controller's output port: the last writer sets it, as on QEMU's PC. */
  setA20(on: boolean): void {
    this.a20 = on;
    this.core.setA20(on);
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === 0x92) {
      this.setA20((v & 0x02) !== 0);
      if (v & 0x01) this.reset();
    } else {
      this.postCode = v;
      this.onPostCode?.(v);
    }
  }
}
