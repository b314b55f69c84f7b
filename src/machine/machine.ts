// A PC: the core, the port bus and the chips, and the run loop that ties
// them to a clock.
//
// Time is virtual by default: each retired instruction is NS_PER_INSTRUCTION
// of guest time, and when the CPU halts with interrupts enabled the clock
// jumps to the next timer event instead of spinning. Nothing reads the host
// clock, so the same image and inputs give the same execution. Under the
// realtime clock the host changes the time an instruction stands for as it
// goes (nsPerInstruction, src/machine/wall-clock.ts), so that guest time
// follows the wall however fast the CPU runs; every timer reads nowNs().

import { type Core, type CoreHost, ExitReason } from '../core/core.ts';
import { PortBus, type PortDevice } from '../devices/port-bus.ts';
import { I8259Pic, PIC_REGISTERS } from '../devices/i8259-pic.ts';
import { I8254Pit, PIT_HZ, PIT_REGISTERS } from '../devices/i8254-pit.ts';
import { UART_REGISTERS, Uart16550 } from '../devices/uart-16550.ts';
import { CMOS_REGISTERS, CmosRtc } from '../devices/cmos-rtc.ts';
import { SystemPorts } from '../devices/system-ports.ts';
import { FpuErrorLatch } from '../devices/fpu-error.ts';
import { DebugExit } from '../devices/debug-exit.ts';
import { VIRTIO_MMIO_WINDOW, VirtioMmio, type VirtioDevice } from '../devices/virtio/mmio-transport.ts';
import { LAPIC_BASE, LocalApic } from '../devices/local-apic.ts';
import { IOAPIC_BASE, IoApic, isaPin } from '../devices/io-apic.ts';
import { MmioBus } from '../devices/mmio-bus.ts';
import { Hpet, HPET_BASE, HPET_WINDOW } from '../devices/hpet.ts';
import { I8042, I8042_COMMAND, I8042_DATA } from '../devices/i8042.ts';
import { ACPI_PM_BASE, ACPI_PM_REGISTERS, AcpiPm } from '../devices/acpi-pm.ts';
import { loadFields, ownFields, StateError, StateRegistry, type StateRecord } from '../state/records.ts';
import { IF } from '../core-abi.ts';

/** IA32_APIC_BASE at power-on: the local APIC at 0xFEE00000, globally enabled, this CPU the bootstrap processor. */
const APIC_BASE_AT_RESET = LAPIC_BASE | (1 << 11) | (1 << 8);

/** Guest time per instruction: the virtual CPU runs at a nominal 100 MIPS. It is also the TSC's tick (100 MHz). */
export const NS_PER_INSTRUCTION = 10;
/**
 * The least guest time an instruction may stand for under the realtime clock
 * (a CPU 20 times the nominal speed): a rate fitted to a moment's burst of
 * speed cannot all but stop guest time.
 */
export const MIN_NS_PER_INSTRUCTION = 0.5;
/** The core's rate is 32.32 fixed point ticks per instruction. */
const RATE_ONE = 2 ** 32;

/** The IRQ line each device is wired to, as on a PC. */
const IRQ = { PIT: 0, keyboard: 1, COM2: 3, COM1: 4, mouse: 12, 'FPU error': 13 } as const;
/** The device on each line, by name, for the inspector (virtio devices join as they are added). */
const IRQ_DEVICES = new Map(Object.entries(IRQ).map(([device, line]) => [line as number, device]));
/**
 * The most instructions a guest may run between waking from HLT and halting
 * again and still count as only keeping time: the idle default guest takes
 * its timer interrupt and reprograms the PIT in 3,300 (median), and once a
 * minute of guest time its kernel's periodic work (since the kernel has
 * networking and ext4) takes 201,000 to 207,000; a shell loop starting
 * `sleep` runs 660,000.
 */
const TIMEKEEPING_BURST = 400_000;
/**
 * Where virtio devices go, in the order they are added: a 4 KiB register
 * window each from VIRTIO_BASE (above any RAM the machine can have), and the
 * ISA lines no other device of this PC uses (9 is the ACPI SCI's, level-triggered).
 */
const VIRTIO_BASE = 0xfeb00000;
const VIRTIO_IRQS = [5, 10, 11, 7, 6] as const;
/** Wall-clock date the virtual RTC starts at (so every run reads the same time). */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1) / 1000;

export type PowerState = 'running' | 'halted' | 'off' | 'reset';

export interface MachineHooks {
  /** A byte the guest wrote to a serial port (0: COM1, 1: COM2). */
  serial?(port: number, byte: number): void;
  /**
   * Moves host input waiting for the devices into them; true if any moved.
   * Called as the run loop goes, so a guest idling between bytes of input
   * gets the next ones instead of sleeping to its next timer.
   */
  pumpInput?(): boolean;
  /**
   * The firmware's part of a CPU reset, after the core is back at its reset
   * state: with no BIOS in the machine, whoever loaded the guest loads it again.
   * Without it, the CPU resets into empty memory.
   */
  reset?(): void;
  /** Given, the machine has QEMU's debug console and exit ports (test programs use them); a byte written to port 0xE9. */
  debugcon?(byte: number): void;
  /** A POST code the guest wrote to port 0x80. */
  postCode?(code: number): void;
}

export interface PcLayout {
  /**
   * 0xC0000-0xFFFFF is RAM, for a BIOS to run from and shadow its option
   * ROMs into (src/machine/firmware-machine.ts). Without a BIOS it is a hole
   * with nothing behind it, as the Linux loader's e820 map says.
   */
  shadowRam?: boolean;
}

export class PcMachine {
  readonly core: Core;
  readonly bus = new PortBus();
  /** The virtio devices' transports, in the order they were added. */
  readonly virtio: VirtioMmio[] = [];
  /** The name each virtio device was added under (its state record's), in the same order. */
  readonly virtioNames: string[] = [];
  private readonly irqDevices = new Map(IRQ_DEVICES);
  readonly pic: I8259Pic;
  readonly pit: I8254Pit;
  readonly com: [Uart16550, Uart16550];
  readonly cmos: CmosRtc;
  readonly system: SystemPorts;
  readonly fpuError: FpuErrorLatch;
  readonly lapic: LocalApic;
  readonly ioapic: IoApic;
  readonly hpet: Hpet;
  readonly acpiPm: AcpiPm;
  readonly i8042: I8042;
  /** Physical addresses above RAM that belong to devices: the APICs' windows and the virtio devices'. */
  readonly mmio = new MmioBus();
  /** The 8259 pair's INTR output, which reaches the CPU through the local APIC's LINT0. */
  private picAsserted = false;
  /**
   * Every part that holds state, by name: the core, each chip, the clock.
   * A device added to the machine is registered here too (src/devices/README.md).
   */
  readonly state = new StateRegistry();
  /** Guest nanoseconds spent halted (skipped), on top of the instructions' time. */
  private idleNs = 0;
  power: PowerState = 'running';
  /**
   * How far a HLT may jump guest time to the next timer event: no limit under
   * the virtual clock; under the realtime clock, the wall clock's reading, so
   * guest time catches up with the wall but never passes it (past it, run()
   * stops 'halted' and the host lets wall time pass).
   */
  idleSkipLimitNs = Infinity;
  /**
   * How long the guest may stay quiet (see quietNs) before run() stops
   * 'halted' instead of skipping to its next timer event: the host sets it
   * when nothing it waits for could come from a guest that only keeps time
   * (src/api/machine.ts). No limit by default.
   */
  quietLimitNs = Infinity;
  /** Guest time of the guest's last sign of life: I/O beyond keeping time, or a longer run between halts. */
  private lifeNs = 0;
  /** The bus's activity count as of lifeNs. */
  private seenActivity = 0;
  /** The instruction count when the CPU last woke from a skipped halt. */
  private wokeAt = 0n;
  resets = 0;
  /** The status the guest asked to exit with through the isa-debug-exit port. */
  exitStatus?: number;

  constructor(
    create: (host: Partial<CoreHost>) => Core,
    readonly memoryBytes: number,
    private readonly hooks: MachineHooks = {},
    layout: PcLayout = {},
  ) {
    this.pic = new I8259Pic((asserted) => {
      this.picAsserted = asserted;
      this.updateIntr();
    });
    this.core = create({
      portIn: (port: number, size: number) => this.bus.read(port, size),
      portOut: (port: number, size: number, value: number) => this.bus.write(port, size, value),
      mmioRead: (addr: number, size: number) => this.mmio.read(addr, size),
      mmioWrite: (addr: number, size: number, value: number) => this.mmio.write(addr, size, value),
      acknowledgeInterrupt: () => this.acknowledgeInterrupt(),
    });
    // The local APIC and the IO-APIC, as on every PC since the Pentium Pro; a kernel that ignores them gets the 8259 through LINT0.
    this.lapic = new LocalApic(
      () => this.nowNs(),
      () => this.updateIntr(),
      () => this.core.requestStop(),
      (v) => this.ioapic.endOfInterrupt(v),
    );
    this.ioapic = new IoApic((vector, level) => this.lapic.deliver(vector, level));
    this.mmio.claim(LAPIC_BASE, 0x1000, this.lapic, 'local APIC');
    this.mmio.claim(IOAPIC_BASE, 0x20, this.ioapic, 'IO-APIC');
    // The HPET, as on QEMU's PC; its legacy replacement routing takes IRQ 0 from the PIT.
    this.hpet = new Hpet(
      () => this.nowNs(),
      (line, high, legacy) => (legacy ? this.setIrq(line, high) : this.ioapic.setPin(line, high)),
      () => this.core.requestStop(),
    );
    this.mmio.claim(HPET_BASE, HPET_WINDOW, this.hpet, 'HPET');
    this.core.apicBase = APIC_BASE_AT_RESET;
    // The legacy hole between 640 KiB and 1 MiB is not RAM: VGA memory, and ROMs unless a BIOS shadows them.
    this.core.setMmioPages(0xa0, layout.shadowRam ? 0xc0 : 0x100);
    // A slice runs up to the next timer event as it stood when the slice began;
    // the guest moving that event (one-shot mode does it at every tick) ends
    // the slice, or the interrupt would come up to a whole slice late.
    this.pit = new I8254Pit(
      () => this.pitTicks(),
      () => {
        if (!this.hpet.legacy) this.pulseIrq(IRQ.PIT);
      },
      () => this.core.requestStop(),
    );
    this.com = [
      new Uart16550(
        0x3f8,
        (b) => hooks.serial?.(0, b),
        (h) => this.setIrq(IRQ.COM1, h),
      ),
      new Uart16550(
        0x2f8,
        (b) => hooks.serial?.(1, b),
        (h) => this.setIrq(IRQ.COM2, h),
      ),
    ];
    this.cmos = new CmosRtc(() => VIRTUAL_EPOCH + this.nowNs() / 1e9, memoryBytes);
    this.system = new SystemPorts(this.core, () => this.requestReset(), hooks.postCode);
    this.claim(0x20, 2, this.pic, 'PIC master', PIC_REGISTERS);
    this.claim(0xa0, 2, this.pic, 'PIC slave', PIC_REGISTERS);
    this.claim(0x4d0, 2, this.pic, 'PIC ELCR', ['master', 'slave']);
    this.claim(0x40, 4, this.pit, 'PIT', PIT_REGISTERS);
    // What an idle kernel touches at every tick: the timer, the PICs' mask and EOI, the I/O delay port.
    for (const [first, count] of [
      [0x20, 2],
      [0xa0, 2],
      [0x40, 4],
      [0x80, 1],
    ])
      this.bus.markTimekeeping(first!, count!);
    this.claim(0x61, 1, this.pit, 'port 0x61 (PIT gate 2, speaker)');
    this.claim(0x3f8, 8, this.com[0], 'COM1', UART_REGISTERS);
    this.claim(0x2f8, 8, this.com[1], 'COM2', UART_REGISTERS);
    this.claim(0x70, 2, this.cmos, 'CMOS', CMOS_REGISTERS);
    this.system.attach(this.bus);
    this.i8042 = new I8042(
      (line, high) => this.setIrq(line, high),
      () => this.requestReset(),
      (on) => this.system.setA20(on),
    );
    this.claim(I8042_DATA, 1, this.i8042, 'i8042 data');
    this.claim(I8042_COMMAND, 1, this.i8042, 'i8042 status/command');
    this.fpuError = new FpuErrorLatch(this.core, (h) => this.setIrq(IRQ['FPU error'], h));
    this.claim(0xf0, 1, this.fpuError, 'FPU error latch (FERR#)');
    this.acpiPm = new AcpiPm(
      () => this.nowNs(),
      () => this.powerOff(),
    );
    this.claim(ACPI_PM_BASE, ACPI_PM_REGISTERS.length, this.acpiPm, 'ACPI PM registers', ACPI_PM_REGISTERS);
    const debugcon = hooks.debugcon;
    const debugExit = debugcon && new DebugExit(debugcon, (status) => this.powerOff(status));
    debugExit?.attach(this.bus);
    this.state.add('cpu', this.core);
    this.state.add('clock', { stateVersion: 1, saveState: () => this.saveClock(), loadState: (r) => this.loadClock(r) });
    this.state.add('pic', this.pic);
    this.state.add('pit', this.pit);
    this.state.add('com1', this.com[0]);
    this.state.add('com2', this.com[1]);
    this.state.add('cmos', this.cmos);
    this.state.add('system-ports', this.system);
    this.state.add('fpu-error', this.fpuError);
    this.state.add('local-apic', this.lapic);
    this.state.add('io-apic', this.ioapic);
    this.state.add('hpet', this.hpet);
    this.state.add('acpi-pm', this.acpiPm);
    this.state.add('i8042', this.i8042);
    this.state.add('ps2-mouse', this.i8042.mouse);
    if (debugExit) this.state.add('debug-exit', debugExit);
  }

  /**
   * Plugs a virtio device into the next free slot (register window and IRQ
   * line) and registers its state under `name`. Add devices before the guest
   * boots, and the same ones in the same order on a machine a snapshot is
   * loaded into: the kernel finds them through virtioCmdline().
   */
  addVirtio(name: string, device: VirtioDevice): VirtioMmio {
    const slot = this.virtio.length;
    const irq = VIRTIO_IRQS[slot];
    if (irq === undefined) throw new Error(`virtio: no slot left for ${name} (this PC has ${VIRTIO_IRQS.length})`);
    const t = new VirtioMmio(device, this.core, (high) => this.setIrq(irq, high));
    this.mmio.claim(VIRTIO_BASE + slot * VIRTIO_MMIO_WINDOW, VIRTIO_MMIO_WINDOW, t, name);
    this.irqDevices.set(irq, name);
    this.state.add(name, t);
    this.virtio.push(t);
    this.virtioNames.push(name);
    return t;
  }

  /** The kernel command-line words that announce the virtio devices (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES). */
  virtioCmdline(): string {
    return this.virtio.map((_, slot) => `virtio_mmio.device=4K@0x${(VIRTIO_BASE + slot * VIRTIO_MMIO_WINDOW).toString(16)}:${VIRTIO_IRQS[slot]}`).join(' ');
  }

  /** An ISA interrupt line went high or low: it reaches both the 8259 pair and the IO-APIC, whichever the kernel uses. */
  setIrq(line: number, high: boolean): void {
    this.pic.setIrq(line, high);
    this.ioapic.setPin(isaPin(line), high);
  }

  /** An edge on an ISA line (the PIT's IRQ 0). */
  pulseIrq(line: number): void {
    this.setIrq(line, true);
    this.setIrq(line, false);
  }

  /** The CPU's INTR: a vector the local APIC would deliver, or the 8259's request let through LINT0. */
  private updateIntr(): void {
    this.core.irqPending = this.apicOn() ? this.lapic.pendingVector() >= 0 || (this.picAsserted && this.lapic.acceptsExtInt()) : this.picAsserted;
  }

  /** INTA: the local APIC's vector first; else the 8259 pair's (ExtINT, or straight when the APIC is globally off). */
  acknowledgeInterrupt(): number {
    if (!this.apicOn()) return this.pic.acknowledge();
    if (this.lapic.pendingVector() >= 0 || !(this.picAsserted && this.lapic.acceptsExtInt())) return this.lapic.acknowledge();
    return this.pic.acknowledge();
  }

  /** IA32_APIC_BASE's global enable: cleared, the local APIC is out of the way (QEMU passes the 8259 straight to the CPU). */
  private apicOn(): boolean {
    return (this.core.apicBase & (1 << 11)) !== 0;
  }

  /** Guest time of the next timer interrupt (the PIT's, the local APIC's or the HPET's), or undefined. */
  private nextTimerNs(): number | undefined {
    const pit = this.pit.nextEvent();
    const pitNs = pit === undefined ? Infinity : (pit * 1e9) / PIT_HZ;
    const next = Math.min(pitNs, this.lapic.nextEventNs() ?? Infinity, this.hpet.nextEventNs() ?? Infinity);
    return Number.isFinite(next) ? next : undefined;
  }

  /** The machine's own state: guest time spent idle (the rest of the clock is the core's count), power, resets. */
  private saveClock(): StateRecord {
    return { idleNs: this.idleNs, power: this.power, resets: this.resets, exitStatus: this.exitStatus ?? null };
  }

  private loadClock(r: StateRecord): void {
    if (!['running', 'halted', 'off'].includes(r.power as string)) throw new StateError(`field power should be running, halted or off, not ${JSON.stringify(r.power)}`);
    loadFields(ownFields(this), r, ['idleNs', 'resets', 'exitStatus'], ['exitStatus']);
    this.power = r.power as PowerState;
    // A resumed guest's quiet span starts at the resume (the CPU's state loads before the clock's).
    this.lifeNs = this.nowNs();
    this.wokeAt = this.core.instructions;
    this.seenActivity = this.bus.activity;
  }

  /**
   * Guest time since the guest last did more than keep time: its CPU halted
   * at every turn, woken only by its timer for no more than a tick's work,
   * and no I/O but the timer's and the interrupt controllers'. A program
   * blocked for good leaves the guest like this; so does one asleep.
   */
  get quietNs(): number {
    return this.nowNs() - this.lifeNs;
  }

  /** At a halt: whether the run since the last wake-up was more than keeping time. */
  private noteLife(): void {
    if (this.bus.activity === this.seenActivity && this.core.instructions - this.wokeAt <= TIMEKEEPING_BURST) return;
    this.seenActivity = this.bus.activity;
    this.lifeNs = this.nowNs();
  }

  /** The guest turned the machine off: through the debug-exit port with a status, or ACPI soft off without one. */
  private powerOff(status?: number): void {
    if (status !== undefined) this.exitStatus = status;
    this.power = 'off';
    this.core.requestStop();
  }

  /**
   * The IRQ line (and the device on it) that an interrupt vector stands for,
   * by the local APIC's timer entry, the IO-APIC's redirection entries and the
   * vector bases the guest gave the PICs: "IRQ 4 (COM1)"; undefined for a
   * vector none of them delivers.
   */
  irqName(vector: number): string | undefined {
    if (this.lapic.timerVector === vector) return 'local APIC timer';
    const pin = this.ioapic.pinWithVector(vector);
    if (pin !== undefined) {
      // The ISA line on that pin (IRQ 0 arrives on pin 2).
      const line = pin === 2 ? 0 : pin === 0 ? undefined : pin;
      const device = line === undefined ? undefined : IRQ_DEVICES.get(line);
      return line === undefined ? `IO-APIC pin ${pin}` : `IRQ ${line}${device ? ` (${device})` : ''}`;
    }
    for (const [chip, first] of [
      [this.pic.master, 0],
      [this.pic.slave, 8],
    ] as const) {
      const line = vector - chip.vectorBase;
      if (chip.vectorBase === 0 || line < 0 || line > 7) continue;
      const device = this.irqDevices.get(first + line);
      return `IRQ ${first + line}${device ? ` (${device})` : ''}`;
    }
    return undefined;
  }

  /** Guest nanoseconds the CPU spent halted, waiting for an interrupt. */
  get haltedNs(): number {
    return this.idleNs;
  }

  private claim(first: number, count: number, d: PortDevice, name: string, registers?: readonly string[]): void {
    this.bus.claim(first, count, d, name, registers);
  }

  /** Guest time since power-on, in nanoseconds: the instructions' ticks (asm/cpu/clock.ts) and the idle time skipped. */
  nowNs(): number {
    return Number(this.core.instructionTicks) * NS_PER_INSTRUCTION + this.idleNs;
  }

  /** The guest time an instruction stands for now: NS_PER_INSTRUCTION unless the realtime clock changed it. */
  get nsPerInstruction(): number {
    return (Number(this.core.tickRate) / RATE_ONE) * NS_PER_INSTRUCTION;
  }

  /**
   * Sets the guest time the instructions from here on stand for, clamped to
   * [MIN_NS_PER_INSTRUCTION, NS_PER_INSTRUCTION]; guest time so far stays as
   * it is (the TSC with it). Setting the rate it has already changes nothing.
   */
  set nsPerInstruction(ns: number) {
    const clamped = Math.min(NS_PER_INSTRUCTION, Math.max(MIN_NS_PER_INSTRUCTION, ns));
    const rate = BigInt(Math.round((clamped / NS_PER_INSTRUCTION) * RATE_ONE));
    if (rate !== this.core.tickRate) this.core.tickRate = rate;
  }

  /**
   * Lets `ns` of guest time pass with the CPU idle (halted). The TSC keeps
   * counting through it, at the virtual CPU's rate.
   */
  skipIdle(ns: number): void {
    if (!(ns > 0)) return;
    const ticks = Math.ceil(ns / NS_PER_INSTRUCTION);
    this.idleNs += ticks * NS_PER_INSTRUCTION;
    this.core.advanceTsc(BigInt(ticks));
  }

  private pitTicks(): number {
    return Math.floor((this.nowNs() * PIT_HZ) / 1e9);
  }

  /** A reset of the whole machine (a PIIX3 reset control write, the keyboard controller's line, a triple fault). */
  requestReset(): void {
    this.power = 'reset';
    this.core.requestStop();
  }

  /**
   * Runs for up to `instructions` instructions' worth of guest time: halted
   * time skipped to a timer counts at nsPerInstruction per instruction, so
   * a slice of an idle guest ends as soon as a busy one would, and what the
   * guest did (console bytes, timeouts) reaches the host on time. (Counting
   * a skip as one instruction let one slice of an idle guest with a periodic
   * tick span minutes of guest time.) Returns the power state afterwards.
   */
  run(instructions: number): PowerState {
    // Halted waiting for input (a serial byte, say) or, under the realtime clock, for a timer: look again.
    if (this.power === 'halted') this.power = 'running';
    let left = instructions;
    while (left > 0 && this.power === 'running') {
      this.hooks.pumpInput?.();
      this.pit.tick();
      this.lapic.tick();
      this.hpet.tick();
      // Run until the next timer event at most, so interrupts arrive on time.
      let slice = Math.min(left, 1_000_000);
      const next = this.nextTimerNs();
      const nsPerInstruction = this.nsPerInstruction;
      if (next !== undefined) slice = Math.max(1, Math.min(slice, Math.ceil((next - this.nowNs()) / nsPerInstruction)));
      const before = this.core.instructions;
      let exit = this.core.run(slice);
      // A slice whose last instruction was HLT ends halted: the same as a HLT exit, wherever the slice ended
      // (a replay cuts slices at recorded inputs, and must meet the halt as the recording did).
      if (exit === ExitReason.Budget && this.core.halted) exit = ExitReason.Halt;
      left -= Number(this.core.instructions - before);
      this.fpuError.poll();
      if (exit === ExitReason.Halt) {
        if ((this.core.eflags & IF) === 0) {
          // HLT with interrupts disabled: nothing can wake the CPU. That is how a
          // kernel without ACPI powers off.
          this.power = 'off';
          break;
        }
        this.noteLife();
        // Input the guest can take now wakes it sooner than any timer.
        if (this.hooks.pumpInput?.()) continue;
        // The guest may have armed the timer during the slice, just before halting.
        const dueNs = this.nextTimerNs() ?? Infinity;
        if (dueNs > this.idleSkipLimitNs || dueNs === Infinity || this.quietNs > this.quietLimitNs) {
          this.power = 'halted';
          break;
        }
        // Skip the idle time to the next timer event, and at least one
        // instruction's worth: an event due now by the nanosecond clock can
        // still be a PIT tick away after rounding (at 5,339 s of guest time,
        // tick 6,370,879,697 converts to a nanosecond that converts back to
        // the tick before), and skipping nothing would spin here for good.
        const before = this.nowNs();
        this.skipIdle(Math.max(dueNs - before, NS_PER_INSTRUCTION));
        this.wokeAt = this.core.instructions;
        left -= Math.max(1, Math.round((this.nowNs() - before) / nsPerInstruction));
      } else if (exit === ExitReason.Breakpoint) {
        break;
      } else if (exit === ExitReason.TripleFault) {
        this.requestReset();
      }
    }
    if (this.power === 'reset') {
      this.resets++;
      this.core.reset();
      this.core.apicBase = APIC_BASE_AT_RESET;
      this.lapic.reset();
      this.hpet.reset();
      this.hooks.reset?.();
      this.power = 'running';
    }
    return this.power;
  }
}
