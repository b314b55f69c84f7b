// A PS/2 mouse on the i8042's auxiliary port, as the IBM PS/2 technical
// reference describes it and Linux's psmouse driver probes it: reset (ACK,
// self-test passed 0xAA, ID 0x00), get ID, set sample rate, resolution and
// scaling, status request, enable/disable reporting, stream and remote mode,
// read data; and the IntelliMouse extensions a driver unlocks with sample
// rate sequences: 200, 100, 80 makes it an IntelliMouse (ID 3, a wheel in a
// fourth byte), then 200, 200, 80 an IntelliMouse Explorer (ID 4, the wheel
// and buttons 4 and 5), as QEMU's mouse does.
//
// The host moves it with move(): in stream mode with reporting on, each call
// is one packet (movement clamped to the 9-bit range, overflow bits set when
// clamped); in remote mode the movement adds up until READ DATA asks.

import { loadFields, numbersField, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

const ACK = 0xfa;
const RESEND = 0xfe;
/** The rate sequences that switch on the extensions, and the ID each gives. */
const UNLOCK = [
  { rates: [200, 100, 80], id: 3 },
  { rates: [200, 200, 80], id: 4 },
] as const;

/** Mouse buttons, as the host presses them (bit 0 left, 1 right, 2 middle, 3 fourth, 4 fifth). */
export interface MouseMotion {
  /** Right is positive. */
  dx: number;
  /** Up is positive, as PS/2 counts it. */
  dy: number;
  /** Wheel clicks, towards the user positive (IntelliMouse). */
  wheel?: number;
  buttons: number;
}

const MOUSE_STATE = ['id', 'reporting', 'remote', 'scaling21', 'resolution', 'rate', 'pending', 'buttons', 'dx', 'dy', 'wheel'] as const;

export class Ps2Mouse implements Stateful {
  readonly stateVersion = 1;
  private id = 0;
  private reporting = false;
  private remote = false;
  private scaling21 = false;
  /** Resolution code 0-3 (1, 2, 4, 8 counts/mm); 2 after reset. */
  private resolution = 2;
  private rate = 100;
  /** A command waiting for its parameter byte (0xF3, 0xE8), or 0. */
  private pending = 0;
  /** The last three sample rates set, oldest first. */
  private rates: number[] = [];
  private buttons = 0;
  /** Movement not yet reported (remote mode). */
  private dx = 0;
  private dy = 0;
  private wheel = 0;

  /** `send(byte)`: a byte from the mouse to the controller. */
  constructor(private readonly send: (byte: number) => void) {}

  saveState(): StateRecord {
    return { ...saveFields(ownFields(this), MOUSE_STATE), rates: [...this.rates] };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, MOUSE_STATE);
    this.rates = numbersField(r, 'rates', { max: 3, below: 256 });
  }

  /** Power-on and the reset command: defaults, reporting off, no extensions. */
  private defaults(): void {
    this.reporting = false;
    this.remote = false;
    this.scaling21 = false;
    this.resolution = 2;
    this.rate = 100;
    this.dx = this.dy = this.wheel = 0;
  }

  /** A byte the controller passed to the mouse (i8042 command 0xD4). */
  write(v: number): void {
    const param = this.pending;
    this.pending = 0;
    if (param === 0xf3) {
      this.rate = v;
      this.rates = [...this.rates, v].slice(-3);
      const unlock = UNLOCK.find((u) => u.rates.every((r, i) => this.rates[i] === r));
      // The Explorer sequence works only on an IntelliMouse already.
      if (unlock && (unlock.id === 3 || this.id === 3)) this.id = unlock.id;
      this.send(ACK);
      return;
    }
    if (param === 0xe8) {
      this.resolution = v & 3;
      this.send(ACK);
      return;
    }
    switch (v) {
      case 0xff:
        this.defaults();
        this.id = 0;
        this.rates = [];
        [ACK, 0xaa, 0x00].forEach((b) => this.send(b));
        return;
      case 0xf6:
        this.defaults();
        this.send(ACK);
        return;
      case 0xf5:
        this.reporting = false;
        this.send(ACK);
        return;
      case 0xf4:
        this.reporting = true;
        this.send(ACK);
        return;
      case 0xf3:
      case 0xe8:
        this.pending = v;
        this.send(ACK);
        return;
      case 0xf2:
        [ACK, this.id].forEach((b) => this.send(b));
        return;
      case 0xf0:
        this.remote = true;
        this.send(ACK);
        return;
      case 0xea:
        this.remote = false;
        this.send(ACK);
        return;
      case 0xee:
      case 0xec:
        this.send(ACK);
        return; // wrap mode on/off: no echo modelled, nothing uses it
      case 0xeb:
        this.send(ACK);
        this.packet();
        return;
      case 0xe9:
        [ACK, (this.remote ? 0x40 : 0) | (this.reporting ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0) | this.statusButtons(), this.resolution, this.rate].forEach((b) => this.send(b));
        return;
      case 0xe7:
        this.scaling21 = true;
        this.send(ACK);
        return;
      case 0xe6:
        this.scaling21 = false;
        this.send(ACK);
        return;
      default:
        this.send(RESEND); // not a command this mouse knows
    }
  }

  /** The status byte's buttons: left in bit 2, middle in bit 1, right in bit 0. */
  private statusButtons(): number {
    return ((this.buttons & 1) << 2) | ((this.buttons & 4) >> 1) | ((this.buttons & 2) >> 1);
  }

  /** The host moved the mouse or pressed buttons. Reported at once in stream mode with reporting on; dropped when reporting is off. */
  move(m: MouseMotion): void {
    this.buttons = m.buttons & 0x1f;
    if (!this.reporting && !this.remote) return;
    this.dx += Math.trunc(m.dx);
    this.dy += Math.trunc(m.dy);
    this.wheel += Math.trunc(m.wheel ?? 0);
    if (!this.remote) this.packet();
  }

  /** One movement packet of the movement so far (three bytes, four with the extensions). */
  private packet(): void {
    const clamp = (v: number) => Math.max(-256, Math.min(255, v));
    const [x, y] = [clamp(this.dx), clamp(this.dy)];
    this.send(
      0x08 | (this.buttons & 1) | (this.buttons & 2) | (this.buttons & 4) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) | (x !== this.dx ? 0x40 : 0) | (y !== this.dy ? 0x80 : 0),
    );
    this.send(x & 0xff);
    this.send(y & 0xff);
    if (this.id === 3) this.send(Math.max(-128, Math.min(127, this.wheel)) & 0xff);
    if (this.id === 4) this.send((Math.max(-8, Math.min(7, this.wheel)) & 0x0f) | ((this.buttons & 0x18) << 1));
    this.dx = this.dy = this.wheel = 0;
  }
}
