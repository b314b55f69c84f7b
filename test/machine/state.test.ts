// The device-state interface on a bare PC: every chip on the port bus is a
// registered part, a machine's records load into a fresh machine and save
// back unchanged, and loading them makes the fresh machine's chips answer
// the guest as the first machine's do.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';

const MiB = 1 << 20;
const pc = (debugcon?: (b: number) => void) => new PcMachine((h) => createCore(16 * MiB, h), 16 * MiB, debugcon ? { debugcon } : {});

/** Port writes that put every chip in a state other than its power-on one, as a guest's drivers would. */
function drive(m: PcMachine): void {
  const out = (port: number, v: number) => m.bus.write(port, 1, v);
  [
    [0x20, 0x11],
    [0x21, 0x30],
    [0x21, 0x04],
    [0x21, 0x01],
    [0x21, 0xfa],
    [0xa0, 0x11],
    [0xa1, 0x38],
    [0xa1, 0x02],
    [0xa1, 0x01],
    [0xa1, 0xbf],
  ].forEach(([p, v]) => out(p!, v!));
  out(0x43, 0x34);
  out(0x40, 0x9b);
  out(0x40, 0x2e); // PIT channel 0: mode 2, 11931 (100 Hz)
  out(0x43, 0xb6);
  out(0x42, 0x34);
  out(0x61, 0x01); // channel 2 half loaded, gate on
  out(0x3fb, 0x83);
  out(0x3f8, 0x01);
  out(0x3fb, 0x03);
  out(0x3fa, 0xc7);
  out(0x3f9, 0x05);
  out(0x3fc, 0x0b);
  out(0x3ff, 0x5a);
  m.com[0].receive([0x61, 0x62, 0x63]);
  out(0x70, 0x8f);
  out(0x71, 0x42);
  out(0x80, 0x77);
  out(0x92, 0x00);
  out(0x604, 0x01);
  m.bus.write(0x600, 2, 0xffff);
  m.bus.write(0x602, 2, 0x0120); // PM1: enable the power button and RTC events
  const lapic = (reg: number, v: number) => m.mmio.write(0xfee00000 + reg, 4, v);
  lapic(0xf0, 0x1ff);
  lapic(0x80, 0x20);
  lapic(0x3e0, 0xb);
  lapic(0x320, 0x200ec);
  lapic(0x380, 5000); // timer periodic, divide by 1
  m.lapic.deliver(0x51, true); // a level interrupt requested
  m.mmio.write(0xfec00000, 4, 0x14);
  m.mmio.write(0xfec00010, 4, 0x8039); // IO-APIC pin 2: level, vector 0x39
  m.mmio.write(0xfec00000, 4, 0x15);
  m.mmio.write(0xfec00010, 4, 0x01000000);
  const hpet = (reg: number, v: number) => m.mmio.write(0xfed00000 + reg, 4, v);
  hpet(0x010, 3);
  hpet(0x100, 0x14c);
  hpet(0x108, 5000);
  hpet(0x108, 4000); // legacy routing, timer 0 periodic (VAL_SET, then the period)
  hpet(0x140, (20 << 9) | 6);
  hpet(0x148, 777); // timer 2 on pin 20, level
  out(0x64, 0xd4);
  out(0x60, 0xf3);
  out(0x64, 0xd4);
  out(0x60, 200);
  out(0x64, 0xd4);
  out(0x60, 0xf4); // mouse: a rate, reporting on
  m.core.setReg(0, 0x12345678);
  m.core.ram[0x1234] = 0x99;
  m.skipIdle(123_456);
}

/** What the guest reads back from every chip's ports. */
function readAll(m: PcMachine): number[] {
  const ports = [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x41, 0x61, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x3f8, 0x3f8, 0x2fd, 0x71, 0x80, 0x92];
  const apic = [0x20, 0x80, 0xa0, 0xf0, 0x200 + 0x20, 0x1a0, 0x320, 0x350, 0x380, 0x390, 0x3e0].map((r) => m.mmio.read(0xfee00000 + r, 4));
  const ioapic = [0x01, 0x14, 0x15, 0x16].map((r) => (m.mmio.write(0xfec00000, 4, r), m.mmio.read(0xfec00010, 4)));
  const hpet = [0x010, 0x020, 0x0f0, 0x100, 0x108, 0x140, 0x148].map((r) => m.mmio.read(0xfed00000 + r, 4));
  m.bus.write(0x64, 1, 0xd4);
  m.bus.write(0x60, 1, 0xe9); // the mouse's status request
  const i8042 = Array.from({ length: 6 }, () => m.bus.read(0x60, 1)); // the ACKs waiting, then the mouse's status
  return [...ports.map((p) => m.bus.read(p, 1)), m.bus.read(0x600, 4), m.bus.read(0x604, 2), m.bus.read(0x608, 4), ...apic, ...ioapic, ...hpet, ...i8042];
}

describe('machine state records', () => {
  it('cover every device on the port bus', () => {
    const m = pc(() => {});
    const missing = [...m.bus.devices()].filter((d) => !m.state.has(d)).map((d) => d.constructor.name);
    expect(missing).toEqual([]);
    expect(m.state.manifest.map((p) => p.name)).toEqual([
      'cpu',
      'clock',
      'pic',
      'pit',
      'com1',
      'com2',
      'cmos',
      'system-ports',
      'fpu-error',
      'local-apic',
      'io-apic',
      'hpet',
      'acpi-pm',
      'i8042',
      'ps2-mouse',
      'debug-exit',
    ]);
  });

  it('load into a fresh machine and save back the same, which then answers the guest the same', () => {
    const a = pc();
    drive(a);
    const saved = a.state.save();
    const b = pc();
    b.state.load(structuredClone(saved));
    b.core.ram.set(a.core.ram);
    expect(b.state.save()).toEqual(a.state.save());
    expect(b.nowNs()).toBe(a.nowNs());
    expect(b.core.reg(0)).toBe(0x12345678);
    expect(readAll(b)).toEqual(readAll(a));
  });

  it('refuse a malformed record, naming the part and the field', () => {
    const saved = pc().state.save();
    (saved.pit!.state.counters as Record<string, unknown>[])[1]!.mode = 'two';
    expect(() => pc().state.load(saved)).toThrow(/^pit: field mode should be a number, not "two"$/);
    const short = pc().state.save();
    short.com1!.state.rx = Array(17).fill(0);
    expect(() => pc().state.load(short)).toThrow(/^com1: field rx should be a list of at most 16 whole numbers below 256$/);
  });
});
