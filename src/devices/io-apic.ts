// The I/O APIC (an 82093AA as the PIIX-era PC has): 24 interrupt pins, each
// with a redirection table entry that sends it to the local APIC as a vector,
// through the two registers of its window at 0xFEC00000 (IOREGSEL at 0x00,
// IOWIN at 0x10). Behaviour follows the 82093AA datasheet: edge pins deliver
// on a rising edge, level pins while asserted until the CPU's EOI clears the
// entry's remote IRR (then deliver again if still asserted).
//
// The ISA lines reach it as on QEMU's PC and as the MADT says: IRQ 0 (the
// PIT) on pin 2, every other ISA IRQ on its own number.

import type { MmioDevice } from './mmio-bus.ts';
import { loadFields, numbersField, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const IOAPIC_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
/** Version 0x11, highest redirection entry 23. */
const VERSION = 0x00170011;
const MASKED = 1 << 16;
const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;
const DELIVERY_STATUS = 1 << 12;
/** Low-word bits software may write: vector, delivery mode, destination mode, polarity, trigger, mask. */
const WRITABLE_LOW = 0x1a7ff;

/** The pin an ISA IRQ arrives on: IRQ 0 on pin 2 (the MADT's interrupt source override), the rest on their own. */
export function isaPin(irq: number): number {
  return irq === 0 ? 2 : irq;
}

export class IoApic implements MmioDevice, Stateful {
  readonly stateVersion = 1;
  private id = 0;
  private select = 0;
  /** Redirection entries as [low, high] words: masked at reset. */
  private low: number[] = new Array<number>(IOAPIC_PINS).fill(MASKED);
  private high: number[] = new Array<number>(IOAPIC_PINS).fill(0);
  /** The pins' input levels, one bit each. */
  private lines = 0;
  /** Interrupts sent to the local APIC, for the inspector and tests. */
  delivered = 0;

  /** `send(vector, level)`: a message to the local APIC. */
  constructor(private readonly send: (vector: number, level: boolean) => void) {}

  saveState(): StateRecord {
    return { ...saveFields(ownFields(this), ['id', 'select', 'lines', 'delivered']), low: [...this.low], high: [...this.high] };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, ['id', 'select', 'lines', 'delivered']);
    this.low = numbersField(r, 'low', { length: IOAPIC_PINS, below: 2 ** 32 });
    this.high = numbersField(r, 'high', { length: IOAPIC_PINS, below: 2 ** 32 });
  }

  /** A pin's input went high or low. */
  setPin(pin: number, high: boolean): void {
    const bit = 1 << pin;
    const was = (this.lines & bit) !== 0;
    this.lines = high ? this.lines | bit : this.lines & ~bit;
    const level = (this.low[pin] & LEVEL) !== 0;
    if (high && (level || !was)) this.service(pin);
  }

  /** Sends the pin's interrupt if its entry lets it through now. */
  private service(pin: number): void {
    const e = this.low[pin];
    if (e & MASKED) return;
    const level = (e & LEVEL) !== 0;
    if (level && e & REMOTE_IRR) return; // the previous one is not ended yet
    // Fixed and lowest-priority delivery go to the one CPU; NMI, SMI, INIT and ExtINT entries are not wired.
    const mode = (e >> 8) & 7;
    if (mode !== 0 && mode !== 1) return;
    if (level) this.low[pin] |= REMOTE_IRR;
    this.delivered++;
    this.send(e & 0xff, level);
  }

  /** The unmasked pin that sends `vector`, or undefined: for naming an interrupt the CPU took. */
  pinWithVector(vector: number): number | undefined {
    const pin = this.low.findIndex((e) => (e & 0xff) === vector && !(e & MASKED));
    return pin < 0 ? undefined : pin;
  }

  /** The local APIC's EOI for a level-triggered vector: entries with that vector take the next. */
  endOfInterrupt(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      if ((this.low[pin] & 0xff) !== vector || !(this.low[pin] & REMOTE_IRR)) continue;
      this.low[pin] &= ~REMOTE_IRR;
      if (this.lines & (1 << pin)) this.service(pin);
    }
  }

  mmioRead(offset: number, _size: number): number {
    if ((offset & 0xf0) === 0x00) return this.select;
    if ((offset & 0xf0) !== 0x10) return 0;
    const r = this.select;
    if (r === 0) return this.id << 24;
    if (r === 1) return VERSION;
    if (r === 2) return this.id << 24; // arbitration ID
    const pin = (r - 0x10) >> 1;
    if (r < 0x10 || pin >= IOAPIC_PINS) return 0xffffffff;
    return r & 1 ? this.high[pin] : this.low[pin] & ~DELIVERY_STATUS;
  }

  mmioWrite(offset: number, _size: number, value: number): void {
    if ((offset & 0xf0) === 0x00) {
      this.select = value & 0xff;
      return;
    }
    if ((offset & 0xf0) !== 0x10) return;
    const r = this.select;
    if (r === 0) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    const pin = (r - 0x10) >> 1;
    if (r < 0x10 || pin >= IOAPIC_PINS) return;
    if (r & 1) {
      this.high[pin] = value & 0xff000000;
      return;
    }
    this.low[pin] = (value & WRITABLE_LOW) | (this.low[pin] & REMOTE_IRR);
    // Switching to edge drops a remote IRR; unmasking a held level delivers it now.
    if (!(this.low[pin] & LEVEL)) this.low[pin] &= ~REMOTE_IRR;
    else if (this.lines & (1 << pin)) this.service(pin);
  }
}
