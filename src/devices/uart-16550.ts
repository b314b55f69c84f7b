// A 16550A UART (COM1 at 0x3F8 / IRQ 4, COM2 at 0x2F8 / IRQ 3).
//
// The serial line is the host: bytes the guest transmits go to `onTransmit`
// at once (the transmitter is always ready), bytes the host sends arrive in a
// 16-byte receive FIFO with the trigger levels of FCR. Interrupt
// identification follows the 16550A's priorities (line status, received data
// or timeout, transmitter empty, modem status), the interrupt reaches the PIC
// only while MCR.OUT2 is set (as on a PC), and loopback mode feeds the
// transmitter back and mirrors MCR into MSR, which is what Linux's 8250
// driver checks when it probes the port.

import type { PortDevice } from './port-bus.ts';
import { loadFields, numbersField, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

/**
 * The registers by offset from the base port, for the inspector. With
 * LCR.DLAB set, offsets 0 and 1 are the divisor latch (DLL, DLM) instead.
 */
export const UART_REGISTERS = ['THR/RBR', 'IER', 'IIR/FCR', 'LCR', 'MCR', 'LSR', 'MSR', 'SCR'] as const;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

const IIR_NONE = 0x01;
const IIR_MSR = 0x00;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_RLS = 0x06;
const IIR_TIMEOUT = 0x0c;

const FIFO_SIZE = 16;
const TRIGGER = [1, 4, 8, 14];

/** The registers and latches besides the FIFO: with it, the whole state. */
const UART_STATE = ['ier', 'lcr', 'mcr', 'lsrErrors', 'msr', 'msrDelta', 'scratch', 'divisor', 'fifoEnabled', 'trigger', 'threPending', 'irqHigh', 'transmitted', 'received'];

export class Uart16550 implements PortDevice, Stateful {
  readonly stateVersion = 1;
  private rx: number[] = [];
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  private msr = 0xb0; // CTS, DSR and DCD asserted: the host side is always there
  private msrDelta = 0;
  private scratch = 0;
  private divisor = 12; // 9600 baud
  private fifoEnabled = false;
  private trigger = 1;
  private threPending = false; // THRE interrupt latched until IIR is read or THR written
  private irqHigh = false;
  /** Bytes transmitted and received, for the inspector. */
  transmitted = 0;
  received = 0;

  constructor(
    readonly base: number,
    private readonly onTransmit: (byte: number) => void,
    private readonly setIrq: (high: boolean) => void,
  ) {}

  saveState(): StateRecord {
    return { rx: [...this.rx], ...saveFields(ownFields(this), UART_STATE) };
  }

  /** The IRQ line's level is restored with the PIC, so nothing is re-driven here. */
  loadState(r: StateRecord): void {
    this.rx = numbersField(r, 'rx', { max: FIFO_SIZE, below: 256 });
    loadFields(ownFields(this), r, UART_STATE);
  }

  /** The host sends bytes to the guest; returns how many fitted in the FIFO (the rest are the caller's to retry). */
  receive(bytes: Uint8Array | number[]): number {
    let n = 0;
    for (const b of bytes) {
      if (this.rx.length >= (this.fifoEnabled ? FIFO_SIZE : 1)) break;
      this.rx.push(b & 0xff);
      n++;
    }
    this.received += n;
    this.update();
    return n;
  }

  /**
   * The guest has enabled the receive interrupt: a driver has the port open.
   * Bytes sent before that would be thrown away when the driver resets the FIFO.
   */
  get listening(): boolean {
    return (this.ier & 0x01) !== 0;
  }

  /** Room left in the receive FIFO: the host pushes more when the guest has read. */
  get receiveSpace(): number {
    return (this.fifoEnabled ? FIFO_SIZE : 1) - this.rx.length;
  }

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }
  private get loopback(): boolean {
    return (this.mcr & 0x10) !== 0;
  }

  private interruptId(): number {
    if (this.ier & 0x04 && this.lsrErrors) return IIR_RLS;
    if (this.ier & 0x01 && this.rx.length > 0) {
      if (!this.fifoEnabled || this.rx.length >= this.trigger) return IIR_RDA;
      return IIR_TIMEOUT; // fewer than the trigger level are waiting: the character timeout fires
    }
    if (this.ier & 0x02 && this.threPending) return IIR_THRE;
    if (this.ier & 0x08 && this.msrDelta) return IIR_MSR;
    return IIR_NONE;
  }

  private update(): void {
    const high = this.interruptId() !== IIR_NONE && (this.mcr & 0x08) !== 0;
    if (high !== this.irqHigh) {
      this.irqHigh = high;
      this.setIrq(high);
    }
  }

  private transmit(byte: number): void {
    this.transmitted++;
    if (this.loopback) {
      if (this.rx.length < (this.fifoEnabled ? FIFO_SIZE : 1)) this.rx.push(byte);
      else this.lsrErrors |= LSR_OE;
    } else {
      this.onTransmit(byte);
    }
    // The transmitter is always idle again at once.
    this.threPending = true;
  }

  private modemStatus(): number {
    if (this.loopback) {
      // Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
      const m = this.mcr;
      return ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4) | this.msrDelta;
    }
    return this.msr | this.msrDelta;
  }

  read(port: number, _size = 1): number {
    const reg = port - this.base;
    let v = 0;
    switch (reg) {
      case 0:
        v = this.dlab ? this.divisor & 0xff : (this.rx.shift() ?? 0);
        break;
      case 1:
        v = this.dlab ? this.divisor >> 8 : this.ier;
        break;
      case 2: {
        const id = this.interruptId();
        if (id === IIR_THRE) this.threPending = false; // reading IIR acknowledges THRE
        v = id | (this.fifoEnabled ? 0xc0 : 0);
        break;
      }
      case 3:
        v = this.lcr;
        break;
      case 4:
        v = this.mcr;
        break;
      case 5:
        v = (this.rx.length ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
        this.lsrErrors = 0;
        break;
      case 6:
        v = this.modemStatus();
        this.msrDelta = 0;
        break;
      case 7:
        v = this.scratch;
        break;
    }
    this.update();
    return v;
  }

  write(port: number, _size: number, value: number): void {
    const reg = port - this.base;
    const v = value & 0xff;
    switch (reg) {
      case 0:
        if (this.dlab) this.divisor = (this.divisor & 0xff00) | v;
        else this.transmit(v);
        break;
      case 1:
        if (this.dlab) this.divisor = (this.divisor & 0xff) | (v << 8);
        else {
          // Enabling the THRE interrupt while the transmitter is empty raises it at once.
          if (v & 0x02 && !(this.ier & 0x02)) this.threPending = true;
          this.ier = v & 0x0f;
        }
        break;
      case 2:
        this.fifoEnabled = (v & 0x01) !== 0;
        if (v & 0x02 || !this.fifoEnabled) this.rx = [];
        this.trigger = TRIGGER[v >> 6];
        break;
      case 3:
        this.lcr = v;
        break;
      case 4:
        this.mcr = v & 0x1f;
        break;
      case 7:
        this.scratch = v;
        break;
    }
    this.update();
  }
}
