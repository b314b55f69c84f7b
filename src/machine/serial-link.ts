// Host-to-guest bytes for one UART: queued by the host at any time, moved
// into the receive FIFO as the guest makes room, and only once the guest
// has the port open (before that, the driver's FIFO reset would drop them).

import type { Uart16550 } from '../devices/uart-16550.ts';
import { numbersField, type StateRecord, type Stateful } from '../state/records.ts';

export class SerialLink implements Stateful {
  readonly stateVersion = 1;
  private queue: number[] = [];
  /** Told of the bytes each pump moved into the UART (a recording logs them). */
  onMoved?: (bytes: number[]) => void;

  constructor(private readonly uart: Uart16550) {}

  /** The bytes sent that the guest has not taken yet: part of the machine's inputs. */
  saveState(): StateRecord {
    return { queue: [...this.queue] };
  }

  loadState(r: StateRecord): void {
    this.queue = numbersField(r, 'queue', { below: 256 });
  }

  send(bytes: Uint8Array | number[]): void {
    for (const b of bytes) this.queue.push(b);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Moves what fits into the UART; returns how many bytes moved. */
  pump(): number {
    if (!this.queue.length || !this.uart.listening) return 0;
    const moved = this.uart.receive(this.queue.slice(0, 16));
    const bytes = this.queue.splice(0, moved);
    if (moved) this.onMoved?.(bytes);
    return moved;
  }
}
