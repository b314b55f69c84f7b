// The 8042 keyboard controller of the PC (ports 0x60 data, 0x64 status and
// command) with a PS/2 keyboard on its first port and a PS/2 mouse
// (ps2-mouse.ts) on the second (auxiliary) one, as the IBM PC/AT and PS/2
// technical references and Linux's drivers/input/serio/i8042.c describe it:
//
// - controller commands: read/write the command byte (0x20/0x60), self-test
//   (0xAA: 0x55), interface tests (0xAB, 0xA9), disable/enable either port
//   (0xAD/0xAE, 0xA7/0xA8), read input port (0xC0), read/write the output port
//   (0xD0/0xD1: bit 0 is the CPU reset line, bit 1 the A20 gate), write a byte
//   back as if from either port (0xD2/0xD3, Linux's loopback probe), send to
//   the auxiliary device (0xD4: the mouse), pulse the
//   output lines (0xF0-0xFF: bit 0 resets the CPU, how Linux reboots);
// - the keyboard's commands: reset (0xFF: ACK, self-test passed), identify
//   (0xF2: an MF2 keyboard, AB 83), enable/disable scanning, LEDs, scan code
//   set, typematic rate, echo, set defaults; each acknowledged with 0xFA.
//
// Bytes from either port wait in one output buffer, keyboard first; with the
// command byte's interrupt bits set, a full buffer drives IRQ 1 (keyboard) or
// IRQ 12 (auxiliary) until the guest reads it. No keys are ever pressed yet:
// the host has no keyboard input path; it moves the mouse with moveMouse().

import type { PortDevice } from './port-bus.ts';
import { type MouseMotion, Ps2Mouse } from './ps2-mouse.ts';
import { loadFields, numbersField, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

/** The two ports, for the inspector: data at 0x60, status/command at 0x64 (claimed as two ranges). */
export const I8042_DATA = 0x60;
export const I8042_COMMAND = 0x64;

const STATUS_OBF = 0x01;
const STATUS_SYSTEM = 0x04;
const STATUS_COMMAND = 0x08; // the last write went to port 0x64
const STATUS_UNLOCKED = 0x10;
const STATUS_AUX_OBF = 0x20;
const CMD_KBD_IRQ = 0x01;
const CMD_AUX_IRQ = 0x02;
const CMD_SYSTEM = 0x04;
const CMD_KBD_DISABLED = 0x10;
const CMD_AUX_DISABLED = 0x20;
const CMD_TRANSLATE = 0x40;
const ACK = 0xfa;
/** The most bytes a response queues (a keyboard reset's two, an identify's three, a mouse's status four). */
const QUEUE_MAX = 16;
/** The longest mouse packet (IntelliMouse): host motion waits for room for a whole one. */
const MOUSE_PACKET_MAX = 4;

const I8042_STATE = ['commandByte', 'outputPort', 'status', 'pendingCommand', 'kbdPending', 'scanning', 'scanSet', 'lastByte'] as const;

export class I8042 implements PortDevice, Stateful {
  /** 2: the queue holds [byte, aux] pairs (the timeout flag went with the absent mouse). */
  readonly stateVersion = 2;
  private commandByte = CMD_KBD_IRQ | CMD_SYSTEM | CMD_TRANSLATE;
  /** Output port: bit 0 the reset line (1 = running), bit 1 the A20 gate. */
  private outputPort = 0x03;
  private status = STATUS_UNLOCKED;
  /** A controller command waiting for its data byte on port 0x60 (0: none). */
  private pendingCommand = 0;
  /** A keyboard command waiting for its parameter byte (0: none). */
  private kbdPending = 0;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: state, saved and loaded by name (I8042_STATE); the keyboard has no host input yet
  private scanning = true;
  private scanSet = 2;
  /** Bytes waiting for the output buffer, each tagged: [byte, from the auxiliary port 0/1]. */
  private queue: number[] = [];
  /** The byte in the output buffer (valid while STATUS_OBF is set). */
  private lastByte = 0;
  /** The mouse on the auxiliary port (its state is its own part: the machine registers it). */
  readonly mouse = new Ps2Mouse((b) => this.send(b, true));

  constructor(
    private readonly setIrq: (line: 1 | 12, high: boolean) => void,
    private readonly resetCpu: () => void,
    private readonly setA20: (on: boolean) => void,
  ) {}

  saveState(): StateRecord {
    return { ...saveFields(ownFields(this), I8042_STATE), queue: [...this.queue] };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, I8042_STATE);
    this.queue = numbersField(r, 'queue', { max: QUEUE_MAX * 2, below: 256 });
    this.updateIrq();
  }

  read(port: number, _size: number): number {
    if (port === I8042_COMMAND) return this.status;
    const v = this.status & STATUS_OBF ? this.lastByte : 0;
    this.status &= ~(STATUS_OBF | STATUS_AUX_OBF);
    // The read drops the interrupt line; the next byte raises it again, so each byte is an edge.
    this.updateIrq();
    this.fill();
    return v;
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === I8042_COMMAND) {
      this.status |= STATUS_COMMAND;
      this.command(v);
      return;
    }
    this.status &= ~STATUS_COMMAND;
    const pending = this.pendingCommand;
    this.pendingCommand = 0;
    switch (pending) {
      case 0x60:
        this.commandByte = v;
        this.status = (this.status & ~STATUS_SYSTEM) | (v & CMD_SYSTEM);
        this.updateIrq();
        return;
      case 0xd1:
        this.writeOutputPort(v);
        return;
      case 0xd2:
        this.send(v, false);
        return;
      case 0xd3:
        this.send(v, true);
        return;
      case 0xd4:
        this.mouse.write(v);
        return;
      default:
        this.keyboard(v);
    }
  }

  private command(c: number): void {
    if (c >= 0x20 && c < 0x40) {
      this.send(c === 0x20 ? this.commandByte : 0, false); // RAM byte 0 is the command byte; the rest read 0
      return;
    }
    if (c >= 0xf0) {
      if ((c & 1) === 0) this.resetCpu(); // pulse bit 0 (the reset line) low
      return;
    }
    switch (c) {
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCommand = c;
        return;
      case 0xa7:
        this.commandByte |= CMD_AUX_DISABLED;
        return;
      case 0xa8:
        this.commandByte &= ~CMD_AUX_DISABLED;
        return;
      case 0xa9:
        this.send(0x00, false);
        return; // auxiliary interface test: lines fine
      case 0xaa:
        this.status |= STATUS_SYSTEM;
        this.send(0x55, false);
        return;
      case 0xab:
        this.send(0x00, false);
        return; // keyboard interface test: no error
      case 0xad:
        this.commandByte |= CMD_KBD_DISABLED;
        return;
      case 0xae:
        this.commandByte &= ~CMD_KBD_DISABLED;
        return;
      case 0xc0:
        this.send(0xbf, false);
        return; // input port: keyboard not inhibited, colour display
      case 0xd0:
        this.send(this.outputPort | (this.status & STATUS_OBF ? 0x10 : 0) | (this.status & STATUS_AUX_OBF ? 0x20 : 0), false);
        return;
    }
  }

  private writeOutputPort(v: number): void {
    this.outputPort = v;
    this.setA20((v & 0x02) !== 0);
    if ((v & 0x01) === 0) this.resetCpu();
  }

  /** A byte written to the keyboard. */
  private keyboard(v: number): void {
    const param = this.kbdPending;
    this.kbdPending = 0;
    if (param === 0xf0) {
      // Scan code set: 0 asks which one is in use, 1-3 selects one.
      this.send(ACK, false);
      if (v === 0) this.send(this.scanSet, false);
      else if (v <= 3) this.scanSet = v;
      return;
    }
    if (param !== 0) {
      this.send(ACK, false); // the LED or typematic parameter
      return;
    }
    switch (v) {
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.kbdPending = v;
        this.send(ACK, false);
        return;
      case 0xee:
        this.send(0xee, false);
        return; // echo
      case 0xf2:
        [ACK, 0xab, 0x83].forEach((b) => this.send(b, false));
        return;
      case 0xf4:
        this.scanning = true;
        this.send(ACK, false);
        return;
      case 0xf5:
        this.scanning = false;
        this.send(ACK, false);
        return;
      case 0xf6:
        this.scanning = true;
        this.scanSet = 2;
        this.send(ACK, false);
        return;
      case 0xff:
        this.scanning = true;
        this.scanSet = 2;
        this.send(ACK, false);
        this.send(0xaa, false); // basic assurance test passed
        return;
      default:
        this.send(0xfe, false); // resend: not a command
    }
  }

  /**
   * The host moved the mouse: a packet if the auxiliary port is enabled and
   * the output queue has room for all of it (a packet cut short would
   * misalign every later one); otherwise the motion is lost, as a mouse
   * whose clock line is held drops it. Returns whether the mouse took it.
   */
  moveMouse(m: MouseMotion): boolean {
    if (this.commandByte & CMD_AUX_DISABLED || this.queue.length + MOUSE_PACKET_MAX * 2 > QUEUE_MAX * 2) return false;
    this.mouse.move(m);
    return true;
  }

  private send(byte: number, aux: boolean): void {
    if (this.queue.length >= QUEUE_MAX * 2) return;
    this.queue.push(byte, aux ? 1 : 0);
    this.fill();
  }

  /** Moves the next waiting byte into an empty output buffer. */
  private fill(): void {
    if (!(this.status & STATUS_OBF) && this.queue.length) {
      const [byte, aux] = this.queue.splice(0, 2);
      this.lastByte = byte;
      this.status |= STATUS_OBF | (aux ? STATUS_AUX_OBF : 0);
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const full = (this.status & STATUS_OBF) !== 0;
    const aux = (this.status & STATUS_AUX_OBF) !== 0;
    this.setIrq(1, full && !aux && (this.commandByte & CMD_KBD_IRQ) !== 0);
    this.setIrq(12, full && aux && (this.commandByte & CMD_AUX_IRQ) !== 0);
  }
}
