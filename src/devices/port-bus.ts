// The I/O port space: devices claim port ranges; an access to a port nobody
// claims reads as all ones (an open bus) and writes go nowhere.

export interface PortDevice {
  /** Reads `size` bytes (1, 2 or 4) at `port`. */
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
}

/** What a claimed port range is called, for the inspector: the device, and its registers by offset. */
interface PortRange {
  first: number;
  count: number;
  name: string;
  registers?: readonly string[];
}

export class PortBus {
  /**
   * Each port's claim: 1 + its index in `claims`, 0 for nobody's. A byte a
   * port rather than an array of 65,536 references: every machine (a fork
   * too) makes its bus, and each fresh page of it costs a page fault.
   */
  private readonly slot = new Uint8Array(0x10000);
  private readonly claims: { device: PortDevice; range: PortRange }[] = [];
  /** Accesses to ports nobody claims, by port: the inspector shows them. */
  readonly unclaimed = new Map<number, number>();
  /** Accesses by port (reads and writes), for the inspector's counters. */
  readonly accesses = new Float64Array(0x10000);
  /** Called for every access while the inspector traces port I/O. */
  observer?: (port: number, size: number, value: number, write: boolean) => void;
  /** Ports a kernel touches just to keep time (its timer, the interrupt controller, the I/O delay port). */
  private readonly timekeeping = new Uint8Array(0x10000);
  /** Accesses to any other port: a count that moves whenever the guest does I/O that is more than keeping time. */
  activity = 0;

  /** Gives ports first..first+count-1 to `device`, called `name` (its registers named by offset, if given). */
  claim(first: number, count: number, device: PortDevice, name: string, registers?: readonly string[]): void {
    for (let p = first; p < first + count; p++) {
      if (this.slot[p]) throw new Error(`port 0x${p.toString(16)} is claimed twice`);
    }
    if (this.claims.length === 0xff) throw new Error('more than 255 port ranges claimed');
    this.claims.push({ device, range: { first, count, name, registers } });
    this.slot.fill(this.claims.length, first, first + count);
  }

  /** Marks ports first..first+count-1 as timekeeping: accesses to them do not count as activity. */
  markTimekeeping(first: number, count: number): void {
    this.timekeeping.fill(1, first, first + count);
  }

  /** Every device that claimed a port. */
  devices(): Set<PortDevice> {
    return new Set(this.claims.map((c) => c.device));
  }

  /** A port's device and register, as a person would say it: "COM1 THR/RBR", "PIT counter 0". */
  portName(port: number): string {
    const r = this.claims[this.slot[port & 0xffff]! - 1]?.range;
    if (!r) return `unclaimed port 0x${port.toString(16)}`;
    const offset = port - r.first;
    const register = r.registers?.[offset];
    if (register) return `${r.name} ${register}`;
    return r.count > 1 ? `${r.name}+${offset}` : r.name;
  }

  read(port: number, size: number): number {
    const v = this.readDevice(port, size);
    this.accesses[port & 0xffff]++;
    if (!this.timekeeping[port & 0xffff]) this.activity++;
    this.observer?.(port & 0xffff, size, v, false);
    return v;
  }

  private readDevice(port: number, size: number): number {
    const s = this.slot[port & 0xffff]!;
    if (s) return this.claims[s - 1]!.device.read(port & 0xffff, size) >>> 0;
    this.unclaimed.set(port, (this.unclaimed.get(port) ?? 0) + 1);
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  write(port: number, size: number, value: number): void {
    this.accesses[port & 0xffff]++;
    if (!this.timekeeping[port & 0xffff]) this.activity++;
    this.observer?.(port & 0xffff, size, value, true);
    const s = this.slot[port & 0xffff]!;
    if (s) this.claims[s - 1]!.device.write(port & 0xffff, size, value);
    else this.unclaimed.set(port, (this.unclaimed.get(port) ?? 0) + 1);
  }
}
