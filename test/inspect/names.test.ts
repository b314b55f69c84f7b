// The trace's names for numbers, checked against references outside our code:
// the system call numbers against the host's kernel headers (the i386 ABI),
// the port names against the chips the machine actually wires up.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/machine.ts';
import { createCore } from '../../src/core/load-node.ts';
import { SYSCALL_NAMES, syscallName } from '../../src/inspect/names.ts';
import { describe as describeEvent, type TraceEvent } from '../../src/inspect/trace.ts';

// linux-libc-dev's i386 system call numbers (installed with gcc-multilib by scripts/setup.sh)
const UNISTD_32 = '/usr/include/x86_64-linux-gnu/asm/unistd_32.h';

describe('names in the trace', () => {
  it('names each system call by the number the i386 ABI gives it', () => {
    const abi = new Map<string, number>();
    for (const m of readFileSync(UNISTD_32, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) abi.set(m[1]!, Number(m[2]));
    expect(SYSCALL_NAMES.size).toBeGreaterThan(200);
    for (const [n, name] of SYSCALL_NAMES) expect([name, abi.get(name)]).toEqual([name, n]);
    expect(syscallName(4)).toBe('write');
    expect(syscallName(100000)).toBe('system call 100000');
  });

  it('names an interrupt vector by the IRQ line the guest mapped it to and the device on that line', () => {
    const pc = new PcMachine((h) => createCore(16 << 20, h), 16 << 20);
    expect(pc.irqName(0x30)).toBeUndefined(); // no PIC initialized yet
    // the PICs initialized as Linux does: ICW1-4, master at 0x30, slave at 0x38
    for (const [port, value] of [
      [0x20, 0x11],
      [0x21, 0x30],
      [0x21, 0x04],
      [0x21, 0x01],
      [0xa0, 0x11],
      [0xa1, 0x38],
      [0xa1, 0x02],
      [0xa1, 0x01],
    ]) {
      pc.bus.write(port!, 1, value!);
    }
    expect(pc.irqName(0x30)).toBe('IRQ 0 (PIT)');
    expect(pc.irqName(0x33)).toBe('IRQ 3 (COM2)');
    expect(pc.irqName(0x34)).toBe('IRQ 4 (COM1)');
    expect(pc.irqName(0x37)).toBe('IRQ 7');
    expect(pc.irqName(0x3d)).toBe('IRQ 13 (FPU error)');
    expect(pc.irqName(0x80)).toBeUndefined();
    const e: TraceEvent = { seq: 0, kind: 'irq', instructions: 0, eip: 0, cr3: 0, a: 0x34, b: 0, c: 0, irq: pc.irqName(0x34) };
    expect(describeEvent(e)).toBe('interrupt vector 0x34 from IRQ 4 (COM1)');
  });

  it('names the vectors of the IO-APIC entries and the local APIC timer as Linux programs them', () => {
    const pc = new PcMachine((h) => createCore(16 << 20, h), 16 << 20);
    const entry = (pin: number, low: number) => (pc.mmio.write(0xfec00000, 4, 0x10 + 2 * pin), pc.mmio.write(0xfec00010, 4, low));
    entry(2, 0x30); // the PIT on pin 2
    entry(4, 0x24); // COM1
    entry(9, 0x10000 | 0x29); // masked: not named
    pc.mmio.write(0xfee000f0, 4, 0x1ff);
    pc.mmio.write(0xfee00320, 4, 0xec); // the local APIC timer's vector
    expect(pc.irqName(0x30)).toBe('IRQ 0 (PIT)');
    expect(pc.irqName(0x24)).toBe('IRQ 4 (COM1)');
    expect(pc.irqName(0x29)).toBeUndefined();
    expect(pc.irqName(0xec)).toBe('local APIC timer');
  });

  it('names a port by the device wired there and its register, and shows a byte as the character it is', () => {
    const pc = new PcMachine((h) => createCore(16 << 20, h), 16 << 20);
    expect(pc.bus.portName(0x3f8)).toBe('COM1 THR/RBR');
    expect(pc.bus.portName(0x2fd)).toBe('COM2 LSR');
    expect(pc.bus.portName(0x43)).toBe('PIT mode/command');
    expect(pc.bus.portName(0xa1)).toBe('PIC slave data/mask');
    expect(pc.bus.portName(0x80)).toBe('POST code');
    expect(pc.bus.portName(0x378)).toBe('unclaimed port 0x378');
    const event = (b: number, c: number): TraceEvent => ({ seq: 0, kind: 'port', instructions: 0, eip: 0, cr3: 0, a: 0x3f8, b, c, port: pc.bus.portName(0x3f8) });
    expect(describeEvent(event(0x68, 0x101))).toBe("out 0x3f8 COM1 THR/RBR <- 0x68 'h' (1 byte)");
    expect(describeEvent(event(0x0a, 0x101))).toBe("out 0x3f8 COM1 THR/RBR <- 0xa '\\n' (1 byte)");
    expect(describeEvent(event(0x1ff, 0x002))).toBe('in 0x3f8 COM1 THR/RBR -> 0x1ff (2 byte)');
    // a status register's bits are no text
    expect(describeEvent({ ...event(0x60, 0x001), a: 0x3fd, port: pc.bus.portName(0x3fd) })).toBe('in 0x3fd COM1 LSR -> 0x60 (1 byte)');
  });
});
