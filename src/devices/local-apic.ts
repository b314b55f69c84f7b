// The local APIC of the one CPU: its 4 KiB register window at the base
// IA32_APIC_BASE names (0xFEE00000), the interrupt request, in-service and
// trigger-mode registers, task and processor priority, EOI, the local vector
// table and the APIC timer (one-shot and periodic; TSC-deadline mode is not
// claimed by CPUID, so not offered). Behaviour follows the Intel SDM vol. 3
// chapter 10 (APIC), with QEMU as the reference where the SDM leaves a choice.
//
// Interrupts reach it from the IO-APIC (fixed vectors), from its own timer
// and from the 8259 pair through LINT0 in ExtINT mode ("virtual wire"): as a
// BIOS leaves it and QEMU resets it, LINT0 passes the 8259's INTR through
// until the kernel reprograms it, so a kernel that never touches the APIC
// (ours, or Debian's with `nolapic`) runs on the 8259 as before.
//
// The timer is never stepped: its count is computed from the machine clock
// (guest nanoseconds), and nextEventNs() tells the run loop when it fires.

import type { MmioDevice } from './mmio-bus.ts';
import { loadFields, numbersField, ownFields, saveFields, type StateRecord, type Stateful } from '../state/records.ts';

export const LAPIC_BASE = 0xfee00000;
/** The APIC timer's input clock: a 100 MHz bus, 10 ns per count before the divider. */
export const LAPIC_BUS_NS = 10;

/** LVT entries by index: timer, thermal, performance counters, LINT0, LINT1, error (registers 0x320-0x370). */
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_COUNT = 6;
const MASKED = 1 << 16;
/** The LVT bits software may write, per entry (vector, delivery mode, polarity, trigger, mask, timer mode). */
const LVT_WRITABLE = [0x60000 | 0x100ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
const DELIVERY_EXTINT = 7;
const SVR_ENABLE = 1 << 8;
/** Version 0x14 (an integrated APIC), six LVT entries (max LVT index 5). */
const VERSION = 0x00050014;

const APIC_STATE = ['id', 'tpr', 'ldr', 'dfr', 'svr', 'esr', 'icrLow', 'icrHigh', 'initialCount', 'divide', 'timerStartNs', 'timerArmed', 'timerIrqs'] as const;

export class LocalApic implements MmioDevice, Stateful {
  readonly stateVersion = 1;
  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private esr = 0;
  private icrLow = 0;
  private icrHigh = 0;
  /** 256-bit request, in-service and trigger-mode registers, one bit per vector. */
  private irr = new Uint32Array(8);
  private isr = new Uint32Array(8);
  private tmr = new Uint32Array(8);
  private lvt: number[] = [];
  private initialCount = 0;
  private divide = 0; // the divide configuration register as written (bits 0, 1, 3)
  /** Guest time at which the current count was loaded (or the last period began). */
  private timerStartNs = 0;
  /** The timer counts (initial count written, not yet expired in one-shot mode). */
  private timerArmed = false;
  /** Timer interrupts raised, for the inspector and tests. */
  timerIrqs = 0;

  /**
   * `now`: the machine clock in guest ns; `onChange`: the CPU's view may have
   * changed (recompute INTR); `onTimerMoved`: the next timer event moved, so
   * a running slice must end; `onEoi`: a level-triggered vector was ended
   * (the IO-APIC clears its remote IRR).
   */
  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
    private readonly onTimerMoved: () => void,
    private readonly onEoi: (vector: number) => void,
  ) {
    this.reset();
  }

  /** The state after power-on or RESET: everything masked but LINT0 (ExtINT) and LINT1 (NMI), the virtual wire a BIOS sets up. */
  reset(): void {
    this.id = 0;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.esr = 0;
    this.icrLow = this.icrHigh = 0;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.lvt = new Array<number>(LVT_COUNT).fill(MASKED);
    this.lvt[LVT_LINT0] = DELIVERY_EXTINT << 8;
    this.lvt[LVT_LINT1] = 4 << 8; // NMI
    this.initialCount = 0;
    this.divide = 0;
    this.timerArmed = false;
  }

  saveState(): StateRecord {
    return { ...saveFields(ownFields(this), APIC_STATE), irr: [...this.irr], isr: [...this.isr], tmr: [...this.tmr], lvt: [...this.lvt] };
  }

  loadState(r: StateRecord): void {
    loadFields(ownFields(this), r, APIC_STATE);
    const words = { length: 8, below: 2 ** 32 };
    this.irr = Uint32Array.from(numbersField(r, 'irr', words));
    this.isr = Uint32Array.from(numbersField(r, 'isr', words));
    this.tmr = Uint32Array.from(numbersField(r, 'tmr', words));
    this.lvt = numbersField(r, 'lvt', { length: LVT_COUNT, below: 2 ** 32 });
    this.onChange();
  }

  private get enabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** The timer's vector while its LVT entry is unmasked, for naming an interrupt the CPU took. */
  get timerVector(): number | undefined {
    const l = this.lvt[LVT_TIMER];
    return l & MASKED ? undefined : l & 0xff;
  }

  /** LINT0 passes the 8259's INTR to the CPU (ExtINT, unmasked). */
  acceptsExtInt(): boolean {
    const l = this.lvt[LVT_LINT0];
    return (l & MASKED) === 0 && ((l >> 8) & 7) === DELIVERY_EXTINT;
  }

  /** A fixed interrupt arrives (from the IO-APIC): `level` marks it level-triggered, to be ended by an EOI the IO-APIC hears. */
  deliver(vector: number, level: boolean): void {
    if (vector < 16) {
      this.esr |= 1 << 6; // received illegal vector
      return;
    }
    if (!this.enabled) return; // a software-disabled APIC accepts no fixed interrupts
    setBit(this.irr, vector, true);
    setBit(this.tmr, vector, level);
    this.onChange();
  }

  /** The vector the CPU would take now, or -1: the highest requested one above the processor priority. */
  pendingVector(): number {
    const v = highestBit(this.irr);
    if (v < 0 || (v & 0xf0) <= (this.ppr() & 0xf0)) return -1;
    return v;
  }

  private ppr(): number {
    const isrv = Math.max(highestBit(this.isr), 0);
    return (this.tpr & 0xf0) >= (isrv & 0xf0) ? this.tpr & 0xff : isrv & 0xf0;
  }

  /** INTA: the vector moves from IRR to ISR. Without one (it went away), the spurious vector. */
  acknowledge(): number {
    const v = this.pendingVector();
    if (v < 0) return this.svr & 0xff;
    setBit(this.irr, v, false);
    setBit(this.isr, v, true);
    this.onChange();
    return v;
  }

  private eoi(): void {
    const v = highestBit(this.isr);
    if (v < 0) return;
    setBit(this.isr, v, false);
    if (getBit(this.tmr, v)) this.onEoi(v);
    this.onChange();
  }

  // ---------------------------------------------------------------- timer

  private divisor(): number {
    const d = (this.divide & 3) | ((this.divide >> 1) & 4);
    return d === 7 ? 1 : 2 << d;
  }

  private periodNs(): number {
    return this.initialCount * this.divisor() * LAPIC_BUS_NS;
  }

  private get periodic(): boolean {
    return ((this.lvt[LVT_TIMER] >> 17) & 3) === 1;
  }

  private currentCount(): number {
    if (!this.timerArmed || this.initialCount === 0) return 0;
    const elapsed = Math.floor((this.now() - this.timerStartNs) / (this.divisor() * LAPIC_BUS_NS));
    if (this.periodic) return this.initialCount - (elapsed % this.initialCount);
    return Math.max(0, this.initialCount - elapsed);
  }

  /** Guest time of the next timer interrupt, or undefined if none is due. */
  nextEventNs(): number | undefined {
    if (!this.timerArmed || this.initialCount === 0) return undefined;
    return this.timerStartNs + this.periodNs();
  }

  /** Raises the timer interrupt if its time has come (the run loop calls this between slices). */
  tick(): void {
    const due = this.nextEventNs();
    if (due === undefined || this.now() < due) return;
    if (this.periodic) {
      // Whole periods passed while the CPU was busy come as one interrupt, as an IRR bit holds one request.
      const period = this.periodNs();
      this.timerStartNs += Math.floor((this.now() - this.timerStartNs) / period) * period;
    } else {
      this.timerArmed = false;
    }
    const l = this.lvt[LVT_TIMER];
    if ((l & MASKED) === 0) {
      this.timerIrqs++;
      this.deliver(l & 0xff, false);
    }
  }

  // ---------------------------------------------------------------- registers

  mmioRead(offset: number, size: number): number {
    const reg = offset & 0xff0;
    const v = this.readRegister(reg) >>> 0;
    // Registers are 32-bit at 16-byte strides; a narrower read takes its bytes.
    return size >= 4 ? v : (v >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
  }

  private readRegister(reg: number): number {
    if (reg >= 0x100 && reg < 0x180) return this.isr[(reg - 0x100) >> 4];
    if (reg >= 0x180 && reg < 0x200) return this.tmr[(reg - 0x180) >> 4];
    if (reg >= 0x200 && reg < 0x280) return this.irr[(reg - 0x200) >> 4];
    if (reg >= 0x320 && reg < 0x380) return this.lvt[(reg - 0x320) >> 4];
    switch (reg) {
      case 0x20:
        return this.id << 24;
      case 0x30:
        return VERSION;
      case 0x80:
        return this.tpr;
      case 0x90:
        return 0; // arbitration priority: one CPU
      case 0xa0:
        return this.ppr();
      case 0xd0:
        return this.ldr;
      case 0xe0:
        return this.dfr;
      case 0xf0:
        return this.svr;
      case 0x280:
        return this.esr;
      case 0x2f0:
        return MASKED; // LVT CMCI: not implemented, reads masked
      case 0x300:
        return this.icrLow;
      case 0x310:
        return this.icrHigh;
      case 0x380:
        return this.initialCount;
      case 0x390:
        return this.currentCount();
      case 0x3e0:
        return this.divide;
      default:
        return 0;
    }
  }

  mmioWrite(offset: number, _size: number, value: number): void {
    const reg = offset & 0xff0;
    const v = value >>> 0;
    if (reg >= 0x320 && reg < 0x380) {
      const i = (reg - 0x320) >> 4;
      const wasPeriodic = this.periodic;
      // A software-disabled APIC keeps every LVT entry masked (SDM 10.4.7.2).
      this.lvt[i] = (v & LVT_WRITABLE[i]) | (this.enabled ? 0 : MASKED);
      if (i === LVT_TIMER && wasPeriodic !== this.periodic) this.onTimerMoved();
      this.onChange();
      return;
    }
    switch (reg) {
      case 0x20:
        this.id = v >>> 24;
        break;
      case 0x80:
        this.tpr = v & 0xff;
        this.onChange();
        break;
      case 0xb0:
        this.eoi();
        break;
      case 0xd0:
        this.ldr = v & 0xff000000;
        break;
      case 0xe0:
        this.dfr = v | 0x0fffffff;
        break;
      case 0xf0: {
        this.svr = v & 0x1ff;
        if (!this.enabled) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] |= MASKED;
        this.onChange();
        break;
      }
      case 0x280:
        this.esr = 0;
        break; // a write clears the error status
      case 0x300:
        this.icrLow = v & 0xfff3fff;
        this.interProcessor();
        break;
      case 0x310:
        this.icrHigh = v & 0xff000000;
        break;
      case 0x380:
        this.initialCount = v;
        this.timerStartNs = this.now();
        this.timerArmed = v !== 0;
        this.onTimerMoved();
        break;
      case 0x3e0: {
        // The count so far stays: the new divider applies from now on.
        const left = this.currentCount();
        this.divide = v & 0xb;
        if (this.timerArmed) this.timerStartNs = this.now() - (this.initialCount - left) * this.divisor() * LAPIC_BUS_NS;
        this.onTimerMoved();
        break;
      }
    }
  }

  /**
   * An IPI with one CPU: a fixed interrupt sent to itself (by the self
   * shorthand or its own ID) is accepted; INIT and startup to other CPUs go
   * nowhere. The delivery-status bit never stays busy.
   */
  private interProcessor(): void {
    const shorthand = (this.icrLow >> 18) & 3;
    const mode = (this.icrLow >> 8) & 7;
    const toSelf = shorthand === 1 || shorthand === 2 || (shorthand === 0 && this.icrHigh >>> 24 === this.id);
    if (mode === 0 && toSelf) this.deliver(this.icrLow & 0xff, false);
  }
}

function getBit(words: Uint32Array, bit: number): boolean {
  return ((words[bit >> 5] >>> (bit & 31)) & 1) !== 0;
}

function setBit(words: Uint32Array, bit: number, on: boolean): void {
  if (on) words[bit >> 5] |= 1 << (bit & 31);
  else words[bit >> 5] &= ~(1 << (bit & 31));
}

function highestBit(words: Uint32Array): number {
  for (let w = 7; w >= 0; w--) if (words[w]) return w * 32 + 31 - Math.clz32(words[w]);
  return -1;
}
