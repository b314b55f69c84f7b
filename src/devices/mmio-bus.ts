// Physical address ranges above RAM that belong to devices (virtio-MMIO
// windows): the core sends every access outside RAM here, and the bus routes
// it to the device whose window holds it, by offset.
//
// Unclaimed addresses read as all ones and ignore writes, like an empty bus.

export interface MmioDevice {
  /** A read of `size` bytes (1, 2 or 4) at `offset` into the device's window. */
  mmioRead(offset: number, size: number): number;
  mmioWrite(offset: number, size: number, value: number): void;
}

interface Window {
  base: number;
  size: number;
  device: MmioDevice;
  name: string;
}

export class MmioBus {
  private readonly windows: Window[] = [];

  claim(base: number, size: number, device: MmioDevice, name: string): void {
    for (const w of this.windows) {
      if (base < w.base + w.size && w.base < base + size) throw new Error(`MMIO: ${name} at 0x${base.toString(16)} overlaps ${w.name}`);
    }
    this.windows.push({ base, size, device, name });
  }

  private find(addr: number): Window | undefined {
    return this.windows.find((w) => addr >= w.base && addr < w.base + w.size);
  }

  read(addr: number, size: number): number {
    const w = this.find(addr);
    return w ? w.device.mmioRead(addr - w.base, size) >>> 0 : 0xffffffff;
  }

  write(addr: number, size: number, value: number): void {
    const w = this.find(addr);
    w?.device.mmioWrite(addr - w.base, size, value);
  }

  /** The claimed windows, for the inspector. */
  get claims(): readonly { base: number; size: number; name: string }[] {
    return this.windows.map(({ base, size, name }) => ({ base, size, name }));
  }
}
