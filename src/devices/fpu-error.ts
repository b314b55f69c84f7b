// The PC/AT's x87 error wiring: FERR# from the CPU drives IRQ 13, and any
// write to port 0xF0 clears the latch (and, on real boards, asserts IGNNE#).
// Only used when the guest runs with CR0.NE=0; with NE=1 errors are #MF.

import type { Core } from '../core/core.ts';
import type { PortDevice } from './port-bus.ts';
import type { StateRecord, Stateful } from '../state/records.ts';

export class FpuErrorLatch implements PortDevice, Stateful {
  readonly stateVersion = 1;
  constructor(
    private readonly core: Core,
    private readonly setIrq: (high: boolean) => void,
  ) {}

  /** Stateless: FERR# is core state and IRQ 13's level the PIC's. */
  saveState(): StateRecord {
    return {};
  }
  loadState(): void {}

  /** Called after each run slice: a newly asserted FERR# raises IRQ 13. */
  poll(): void {
    if (this.core.fpuError) this.setIrq(true);
  }

  read(): number {
    return 0xff;
  }

  write(): void {
    this.core.clearFpuError();
    this.setIrq(false);
  }
}
