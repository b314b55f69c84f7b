// A second POST code port at 0x190, where CPU test ROMs such as test386.asm
// write their progress (port 0x80, the PC's own, is in system-ports.ts): each
// byte written is a code for whoever watches, and a read returns the last.

import type { PortBus, PortDevice } from './port-bus.ts';
import { loadFields, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const TEST_ROM_POST_PORT = 0x190;

export class PostCodePort implements PortDevice, Stateful {
  readonly stateVersion = 1;
  last = 0;

  constructor(private readonly onCode: (code: number) => void) {}

  attach(bus: PortBus): void {
    bus.claim(TEST_ROM_POST_PORT, 1, this, 'POST code (test ROMs)');
  }

  read(): number {
    return this.last;
  }

  write(_port: number, _size: number, value: number): void {
    this.last = value & 0xff;
    this.onCode(this.last);
  }

  saveState(): StateRecord {
    return saveFields(ownFields(this), ['last']);
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, ['last']);
  }
}
