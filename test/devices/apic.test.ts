// The local APIC and the IO-APIC on a PcMachine, driven the way Linux drives
// them (arch/x86/kernel/apic/apic.c, io_apic.c), with the SDM's and the
// 82093AA datasheet's rules as the expected behaviour. The Debian kernel test
// (test/machine/debian-kernel-boot.test.ts) is the proof that a real kernel
// finds and uses them; this one pins the edges a boot may not reach.

import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/machine.ts';
import { createCore } from '../../src/core/load-node.ts';
import { LAPIC_BASE } from '../../src/devices/local-apic.ts';
import { IOAPIC_BASE } from '../../src/devices/io-apic.ts';

async function machine(): Promise<PcMachine> {
  return new PcMachine((host) => createCore(1 << 20, host), 1 << 20);
}

const lapic = (m: PcMachine, reg: number, v?: number) => (v === undefined ? m.mmio.read(LAPIC_BASE + reg, 4) : (m.mmio.write(LAPIC_BASE + reg, 4, v), v));
function ioapic(m: PcMachine, reg: number, v?: number): number {
  m.mmio.write(IOAPIC_BASE, 4, reg);
  if (v === undefined) return m.mmio.read(IOAPIC_BASE + 0x10, 4);
  m.mmio.write(IOAPIC_BASE + 0x10, 4, v);
  return v;
}
/** The CPU's interrupt acknowledge, as the core makes it. */
const inta = (m: PcMachine) => m.acknowledgeInterrupt();

describe('local APIC', () => {
  it('is announced by CPUID and IA32_APIC_BASE at 0xFEE00000, version 0x14 with six LVT entries', async () => {
    const m = await machine();
    expect(m.core.apicBase >>> 0).toBe(0xfee00900);
    expect(lapic(m, 0x30)).toBe(0x00050014);
    expect(lapic(m, 0xf0)).toBe(0xff); // software-disabled at reset
    // The virtual wire a BIOS leaves: LINT0 ExtINT, LINT1 NMI, the rest masked.
    expect(lapic(m, 0x350)).toBe(0x700);
    expect(lapic(m, 0x360)).toBe(0x400);
    expect(lapic(m, 0x320)).toBe(0x10000);
  });

  it('passes the 8259 through LINT0 until the kernel masks it, then delivers only its own vectors', async () => {
    const m = await machine();
    m.pic.write(0x20, 1, 0x11);
    m.pic.write(0x21, 1, 0x20);
    m.pic.write(0x21, 1, 0x04);
    m.pic.write(0x21, 1, 0x01);
    m.pic.write(0x21, 1, 0xfe);
    m.pulseIrq(0);
    expect(inta(m)).toBe(0x20);
    m.pic.write(0x20, 1, 0x20);
    lapic(m, 0xf0, 0x1ff); // software-enable, spurious vector 0xFF
    lapic(m, 0x350, 0x10700); // LINT0 masked, as Linux does with an IO-APIC
    m.pulseIrq(0);
    expect(inta(m)).toBe(0xff); // nothing for the CPU: the spurious vector
  });

  it('counts its timer down at 100 MHz over the divider, one-shot and periodic', async () => {
    const m = await machine();
    lapic(m, 0xf0, 0x1ff);
    lapic(m, 0x3e0, 0x3); // divide by 16
    lapic(m, 0x320, 0xec); // one-shot, vector 0xEC
    lapic(m, 0x380, 1000); // 1000 x 16 x 10 ns = 160 us
    expect(m.lapic.nextEventNs()).toBe(m.nowNs() + 160_000);
    m.skipIdle(80_000);
    expect(lapic(m, 0x390)).toBe(500);
    m.skipIdle(80_000);
    m.lapic.tick();
    expect(lapic(m, 0x390)).toBe(0);
    expect(m.lapic.pendingVector()).toBe(0xec);
    expect(inta(m)).toBe(0xec);
    expect(m.lapic.nextEventNs()).toBeUndefined(); // one-shot: done
    lapic(m, 0xb0, 0); // EOI
    lapic(m, 0x320, 0x200ec); // periodic
    lapic(m, 0x380, 1000);
    m.skipIdle(160_000 * 3 + 10);
    m.lapic.tick();
    expect(m.lapic.nextEventNs()).toBe(160_000 * 4 + (m.nowNs() - 160_000 * 3 - 10));
    expect(lapic(m, 0x390)).toBe(1000);
  });

  it('takes vectors by priority class above the TPR, and an EOI ends the highest in service', async () => {
    const m = await machine();
    lapic(m, 0xf0, 0x1ff);
    m.lapic.deliver(0x41, false);
    m.lapic.deliver(0x61, false);
    expect(inta(m)).toBe(0x61);
    expect(m.lapic.pendingVector()).toBe(-1); // 0x41 is below the class in service
    lapic(m, 0xb0, 0);
    lapic(m, 0x80, 0x50); // TPR above 0x41's class
    expect(m.lapic.pendingVector()).toBe(-1);
    lapic(m, 0x80, 0);
    expect(inta(m)).toBe(0x41);
  });
});

describe('IO-APIC', () => {
  it('reports 24 pins, sends an unmasked ISA edge as its vector (IRQ 0 on pin 2)', async () => {
    const m = await machine();
    expect(ioapic(m, 1)).toBe(0x00170011);
    lapic(m, 0xf0, 0x1ff);
    ioapic(m, 0x10 + 2 * 2, 0x30); // pin 2: vector 0x30, edge, unmasked
    m.pulseIrq(0);
    expect(inta(m)).toBe(0x30);
    expect(ioapic(m, 0x10 + 2 * 2) & 0x1000).toBe(0); // delivery status idle
  });

  it('holds a level-triggered pin with remote IRR until the EOI, then sends it again if still asserted', async () => {
    const m = await machine();
    lapic(m, 0xf0, 0x1ff);
    ioapic(m, 0x10 + 2 * 9, 0x8000 | 0x39); // pin 9: level, vector 0x39
    m.setIrq(9, true);
    expect(inta(m)).toBe(0x39);
    expect(ioapic(m, 0x10 + 2 * 9) & 0x4000).toBe(0x4000); // remote IRR
    expect(m.lapic.pendingVector()).toBe(-1);
    lapic(m, 0xb0, 0); // EOI: the line is still high
    expect(inta(m)).toBe(0x39);
    m.setIrq(9, false);
    lapic(m, 0xb0, 0);
    expect(ioapic(m, 0x10 + 2 * 9) & 0x4000).toBe(0);
    expect(m.lapic.pendingVector()).toBe(-1);
  });
});
