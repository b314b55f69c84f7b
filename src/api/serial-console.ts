// The guest's console on COM1 as the host sees it: bytes out as 'data'
// events, bytes in through write(), and the text not yet consumed by
// Machine.waitFor.

import type { SerialLink } from '../machine/serial-link.ts';
import { Emitter } from './emitter.ts';
import type { SerialEvents } from './types.ts';

const UNREAD_LIMIT = 1 << 20;

export class SerialConsole extends Emitter<SerialEvents> {
  /** Console output after the end of the last waitFor match, as text (Latin-1, byte for byte). */
  unread = '';

  constructor(
    private readonly link: SerialLink,
    private readonly wake: () => void,
  ) {
    super();
  }

  /** Types `data` on the console; bytes queue until the guest's UART takes them. */
  write(data: string | Uint8Array): void {
    this.link.send(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.wake();
  }

  /** Called by the machine after each run slice with what the guest wrote. */
  deliver(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += 8192) this.unread += String.fromCharCode(...bytes.subarray(at, at + 8192));
    // Nobody waiting for text: keep only the recent past, so a chatty guest costs bounded memory.
    if (this.unread.length > UNREAD_LIMIT) this.unread = this.unread.slice(-UNREAD_LIMIT / 2);
    this.emit('data', bytes);
  }
}
