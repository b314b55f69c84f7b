// The parts of QEMU's PC that a BIOS looks for, driven as SeaBIOS drives
// them: PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) with
// the i440FX/PIIX3 functions under the IDs QEMU's PC gives them, fw_cfg's
// traditional interface (QEMU's docs/specs/fw_cfg.rst), the ROM at both its
// addresses, and every part of the firmware machine in its state records.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { firmwareMachine } from '../../src/machine/firmware-machine.ts';
import type { PcMachine } from '../../src/machine/machine.ts';

/** A 64 KiB ROM: a far jump at its reset vector, a marker at its first byte. */
function rom(): Uint8Array {
  const r = new Uint8Array(0x10000);
  r[0] = 0x5a;
  r.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0);
  return r;
}

const machine = () => firmwareMachine(createCore, { rom: rom(), romName: 'test.rom', memoryMiB: 32 });

/** A configuration read of bus 0, device `dev`, function `fn`, register `reg` (a dword). */
function config(m: PcMachine, dev: number, fn: number, reg: number, size = 4): number {
  m.bus.write(0xcf8, 4, 0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc));
  return m.bus.read(0xcfc + (reg & 3), size);
}

describe('PCI configuration mechanism #1', () => {
  it("finds the host bridge, the ISA bridge and the IDE function at QEMU's addresses and IDs; nothing elsewhere", () => {
    const m = machine();
    expect(config(m, 0, 0, 0x00)).toBe(0x12378086); // i440FX PMC
    expect(config(m, 0, 0, 0x2c)).toBe(0x11001af4); // the subsystem SeaBIOS takes for QEMU
    expect(config(m, 0, 0, 0x08) >>> 8).toBe(0x060000); // host bridge
    expect(config(m, 1, 0, 0x00)).toBe(0x70008086);
    expect((config(m, 1, 0, 0x0c) >>> 16) & 0xff).toBe(0x80); // multi-function
    expect(config(m, 1, 1, 0x00)).toBe(0x70108086);
    expect(config(m, 1, 1, 0x08) >>> 8).toBe(0x010100); // IDE, both channels in compatibility mode
    expect(config(m, 2, 0, 0x00)).toBe(0xffffffff);
    m.bus.write(0xcf8, 4, 0x00000000); // enable bit clear: no configuration cycle
    expect(m.bus.read(0xcfc, 4)).toBe(0xffffffff);
    m.bus.write(0xcf8, 4, 0x80000000);
    expect(m.bus.read(0xcf8, 4)).toBe(0x80000000);
  });

  it('keeps the IDs read-only and takes the PAM and PIRQ registers; 0xCF9 bit 2 resets', () => {
    const m = machine();
    m.bus.write(0xcf8, 4, 0x80000000);
    m.bus.write(0xcfc, 4, 0);
    expect(config(m, 0, 0, 0x00)).toBe(0x12378086);
    m.bus.write(0xcf8, 4, 0x80000058);
    m.bus.write(0xcfd, 1, 0x30); // PAM0 (0x59): 0xF0000-0xFFFFF read/write
    expect(config(m, 0, 0, 0x59, 1)).toBe(0x30);
    expect(config(m, 1, 0, 0x60)).toBe(0x80808080); // PIRQA-D disabled at reset
    m.bus.write(0xcf9, 1, 0x06);
    m.run(1);
    expect(m.resets).toBe(1);
  });
});

describe('fw_cfg', () => {
  const item = (m: PcMachine, key: number, n: number) => {
    m.bus.write(0x510, 2, key);
    return Array.from({ length: n }, () => m.bus.read(0x511, 1));
  };
  it('gives the signature, the traditional interface only, the RAM size, one CPU and zeros for what it lacks', () => {
    const m = machine();
    expect(String.fromCharCode(...item(m, 0x00, 4))).toBe('QEMU');
    expect(item(m, 0x01, 4)).toEqual([1, 0, 0, 0]);
    expect(item(m, 0x03, 8)).toEqual([0, 0, 0, 2, 0, 0, 0, 0]); // 32 MiB, little-endian
    expect(item(m, 0x05, 2)).toEqual([1, 0]);
    expect(item(m, 0x19, 4)).toEqual([0, 0, 0, 0]); // no files
    expect(item(m, 0x8003, 4)).toEqual([0, 0, 0, 0]);
    expect(item(m, 0x00, 6).slice(4)).toEqual([0, 0]); // past an item's end
  });
});

describe('the firmware machine', () => {
  it('shows the ROM at the top of 4 GiB and its copy below 1 MiB, with 0xC0000-0xFFFFF RAM', () => {
    const m = machine();
    expect(m.mmio.read(0xffff0000, 1)).toBe(0x5a);
    expect(m.mmio.read(0xfffffff0, 1)).toBe(0xea);
    expect(m.core.ram[0xf0000]).toBe(0x5a);
    m.run(1); // the far jump at the reset vector
    expect(m.core.eip).toBe(0);
    expect(m.core.segment(1).base).toBe(0xf0000);
  });

  it('passes POST codes from port 0x80 and from 0x190, where test ROMs write them, to its watcher', () => {
    const codes: [number, number][] = [];
    const m = firmwareMachine(createCore, { rom: rom(), romName: 'test.rom', memoryMiB: 32, postCode: (code, port) => codes.push([code, port]) });
    m.bus.write(0x80, 1, 0x12);
    m.bus.write(0x190, 1, 0x34);
    expect(codes).toEqual([
      [0x12, 0x80],
      [0x34, 0x190],
    ]);
    expect(m.bus.read(0x190, 1)).toBe(0x34);
  });

  it('registers every device on the port bus, and its records load into a fresh one unchanged', () => {
    const a = machine();
    const missing = [...a.bus.devices()].filter((d) => !a.state.has(d)).map((d) => d.constructor.name);
    expect(missing).toEqual([]);
    config(a, 0, 0, 0x58);
    a.bus.write(0xcfd, 1, 0x10);
    a.bus.write(0x510, 2, 0);
    a.bus.read(0x511, 1);
    const b = machine();
    b.state.load(structuredClone(a.state.save()));
    expect(b.state.save()).toEqual(a.state.save());
    expect(config(b, 0, 0, 0x59, 1)).toBe(0x10);
  });
});

const SEABIOS = '/usr/share/seabios/bios.bin';

describe.skipIf(!existsSync(SEABIOS))('SeaBIOS without a disk', () => {
  it('runs its POST to "no bootable device", and again from the start after a reset through 0xCF9', () => {
    let log = '';
    const m = firmwareMachine(createCore, {
      rom: readFileSync(SEABIOS),
      romName: SEABIOS,
      memoryMiB: 32,
      biosLog: (b) => {
        log += String.fromCharCode(b);
      },
    });
    const until = (text: string, count: number) => {
      for (let i = 0; i < 200 && log.split(text).length - 1 < count; i++) m.run(1_000_000);
      expect(log.split(text).length - 1, `"${text}" ${count} times in the log:\n${log.slice(-2000)}`).toBe(count);
    };
    until('No bootable device.', 1);
    expect(log).toMatch(/Running on QEMU \(i440fx\)/);
    expect(log).toMatch(/RamSize: 0x02000000 \[cmos\]/);
    expect(config(m, 0, 0, 0x59, 1)).not.toBe(0); // the BIOS set up shadowing
    m.bus.write(0xcf9, 1, 0x06);
    m.run(1);
    expect(m.resets).toBe(1);
    expect(config(m, 0, 0, 0x59, 1)).toBe(0); // PAM back to reading the ROM
    until('No bootable device.', 2);
    expect(log.split('Running on QEMU (i440fx)').length - 1).toBe(2);
  });
});
