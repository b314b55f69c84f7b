// The 8259A programmable interrupt controller pair of the PC: master on ports
// 0x20-0x21 (IRQ 0-7), slave on 0xA0-0xA1 (IRQ 8-15) cascaded into the
// master's IRQ 2, and the edge/level control registers at 0x4D0-0x4D1.
//
// Behaviour follows the 8259A datasheet: initialization words ICW1-ICW4,
// OCW1 (mask), OCW2 (EOI, specific EOI, priority rotation), OCW3 (IRR/ISR
// read, poll, special mask), fully nested fixed or rotating priority,
// automatic EOI, and spurious IRQ 7/15 when a request vanishes before the
// acknowledge.

import type { PortDevice } from './port-bus.ts';
import { loadFields, numbersField, recordField, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

/** The two ports of each 8259A, for the inspector: ICW1/OCW2/OCW3 and IRR/ISR reads; ICW2-4, OCW1 (the mask). */
export const PIC_REGISTERS = ['command', 'data/mask'] as const;

/** A chip's registers and modes: its whole state. */
const CHIP_STATE = [
  'irr',
  'isr',
  'imr',
  'vectorBase',
  'lowestPriority',
  'autoEoi',
  'rotateOnAutoEoi',
  'specialMask',
  'readIsr',
  'poll',
  'initStep',
  'needIcw4',
  'single',
  'level',
  'lines',
] as const;

class Chip {
  irr = 0; // requests latched
  isr = 0; // in service
  imr = 0xff; // masked (all, until the guest initializes the chip)
  vectorBase = 0;
  lowestPriority = 7; // priority rotates: the IRQ after this one is highest
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  initStep = 0; // 0: operational; 2..4: expecting ICW2..ICW4
  needIcw4 = false;
  single = false;
  level = 0; // ELCR: 1 = level-triggered
  lines = 0; // current input levels

  /** Highest-priority IRQ among `bits`, or -1. */
  private highest(bits: number): number {
    if (bits === 0) return -1;
    for (let i = 1; i <= 8; i++) {
      const irq = (this.lowestPriority + i) & 7;
      if (bits & (1 << irq)) return irq;
    }
    return -1;
  }

  /** The IRQ this chip would present to its output now, or -1. */
  pending(): number {
    // Special mask mode: every unmasked level not itself in service may interrupt.
    if (this.specialMask) return this.highest(this.irr & ~this.imr & ~this.isr);
    const irq = this.highest(this.irr & ~this.imr);
    if (irq < 0) return -1;
    // Fully nested: only a request of higher priority than the one in service gets through.
    const current = this.highest(this.isr);
    if (current >= 0 && this.priorityOf(irq) >= this.priorityOf(current)) return -1;
    return irq;
  }

  private priorityOf(irq: number): number {
    return (irq - this.lowestPriority - 1) & 7; // 0 is the highest
  }

  setLine(irq: number, high: boolean): void {
    const bit = 1 << irq;
    const was = (this.lines & bit) !== 0;
    if (high) {
      this.lines |= bit;
      if (!was || this.level & bit) this.irr |= bit; // a rising edge, or a held level
    } else {
      this.lines &= ~bit;
      if (this.level & bit) this.irr &= ~bit;
    }
  }

  /** INTA: moves the IRQ from IRR to ISR; returns it, or 7 (spurious) if none is pending. */
  acknowledge(): { irq: number; spurious: boolean } {
    const irq = this.pending();
    if (irq < 0) return { irq: 7, spurious: true };
    const bit = 1 << irq;
    if (!(this.level & bit)) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = irq;
    } else {
      this.isr |= bit;
    }
    return { irq, spurious: false };
  }

  writeCommand(v: number): void {
    if (v & 0x10) {
      // ICW1: restart initialization.
      this.initStep = 2;
      this.needIcw4 = (v & 1) !== 0;
      this.single = (v & 2) !== 0;
      this.imr = 0;
      this.isr = 0;
      this.irr &= this.level; // edge requests are forgotten
      this.lowestPriority = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.autoEoi = false;
      return;
    }
    if (v & 0x08) {
      // OCW3
      if (v & 0x02) this.readIsr = (v & 1) !== 0;
      if (v & 0x04) this.poll = true;
      if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
      return;
    }
    // OCW2
    const cmd = v >> 5;
    switch (cmd) {
      case 1: // non-specific EOI
      case 5: {
        // rotate on non-specific EOI
        const irq = this.highest(this.isr);
        if (irq >= 0) {
          this.isr &= ~(1 << irq);
          if (cmd === 5) this.lowestPriority = irq;
        }
        break;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << (v & 7));
        break;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << (v & 7));
        this.lowestPriority = v & 7;
        break;
      case 6: // set priority
        this.lowestPriority = v & 7;
        break;
      case 4: // rotate in automatic EOI mode (set)
        this.rotateOnAutoEoi = true;
        break;
      case 0: // rotate in automatic EOI mode (clear)
        this.rotateOnAutoEoi = false;
        break;
    }
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.initStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 2) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v & 0xff;
    }
  }

  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const { irq, spurious } = this.acknowledge();
      return spurious ? 0 : 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }
}

export class I8259Pic implements PortDevice, Stateful {
  readonly stateVersion = 1;
  readonly master = new Chip();
  readonly slave = new Chip();
  /** Interrupts delivered to the CPU, by IRQ: the inspector shows them. */
  readonly delivered = new Array<number>(16).fill(0);
  spurious = 0;

  /** Called whenever the master's output changes: wire it to the CPU's INTR line. */
  constructor(private readonly onOutput: (asserted: boolean) => void) {}

  saveState(): StateRecord {
    return { master: saveFields(this.master, CHIP_STATE), slave: saveFields(this.slave, CHIP_STATE), delivered: [...this.delivered], spurious: this.spurious };
  }

  loadState(r: StateRecord): void {
    loadFields(this.master, recordField(r, 'master'), CHIP_STATE);
    loadFields(this.slave, recordField(r, 'slave'), CHIP_STATE);
    this.delivered.splice(0, 16, ...numbersField(r, 'delivered', { length: 16 }));
    loadFields(this, r, ['spurious']);
    this.update(); // drive the CPU's INTR line from the loaded requests
  }

  /** A device's interrupt line (0-15) went high or low. */
  setIrq(irq: number, high: boolean): void {
    if (irq < 8) this.master.setLine(irq, high);
    else this.slave.setLine(irq - 8, high);
    this.update();
  }

  /** Pulses an edge-triggered line (what the PIT and UARTs do at each event). */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  private update(): void {
    this.master.setLine(2, this.slave.pending() >= 0);
    this.onOutput(this.master.pending() >= 0);
  }

  /** The CPU's interrupt acknowledge cycle: returns the vector. */
  acknowledge(): number {
    const m = this.master.acknowledge();
    let vector: number;
    if (!m.spurious && m.irq === 2) {
      const s = this.slave.acknowledge();
      vector = this.slave.vectorBase + s.irq;
      if (s.spurious) this.spurious++;
      else this.delivered[8 + s.irq]++;
    } else {
      vector = this.master.vectorBase + m.irq;
      if (m.spurious) this.spurious++;
      else this.delivered[m.irq]++;
    }
    this.update();
    return vector;
  }

  read(port: number, _size = 1): number {
    switch (port) {
      case 0x20:
        return this.master.readCommand();
      case 0x21:
        return this.master.imr;
      case 0xa0:
        return this.slave.readCommand();
      case 0xa1:
        return this.slave.imr;
      case 0x4d0:
        return this.master.level;
      case 0x4d1:
        return this.slave.level;
      default:
        return 0xff;
    }
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (port) {
      case 0x20:
        this.master.writeCommand(v);
        break;
      case 0x21:
        this.master.writeData(v);
        break;
      case 0xa0:
        this.slave.writeCommand(v);
        break;
      case 0xa1:
        this.slave.writeData(v);
        break;
      case 0x4d0:
        this.master.level = v & 0xf8;
        break; // IRQ 0-2 are always edge-triggered
      case 0x4d1:
        this.slave.level = v & 0xde;
        break; // so are IRQ 8 and 13
    }
    this.update();
  }
}
