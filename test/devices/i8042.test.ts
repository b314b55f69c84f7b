// The 8042 keyboard controller through the sequences Linux's i8042 and atkbd
// drivers send (drivers/input/serio/i8042.c, keyboard/atkbd.c) and the
// answers the PC/AT references specify. The Debian kernel test shows the
// kernel finding it ("serio: i8042 KBD port").

import { describe, expect, it } from 'vitest';
import { I8042 } from '../../src/devices/i8042.ts';

function controller() {
  const irqs: string[] = [];
  const events = { resets: 0, a20: [] as boolean[] };
  /** Each line's level, and its rising edges (what an edge-triggered 8259 or IO-APIC pin sees). */
  const level = new Map<number, boolean>();
  const c = new I8042(
    (line, high) => {
      if (high && !level.get(line)) irqs.push(`irq${line}`);
      level.set(line, high);
    },
    () => events.resets++,
    (on) => events.a20.push(on),
  );
  const cmd = (v: number) => c.write(0x64, 1, v);
  const data = (v: number) => c.write(0x60, 1, v);
  const status = () => c.read(0x64, 1);
  /** Everything waiting in the output buffer, as the driver drains it. */
  const drain = () => {
    const out: number[] = [];
    while (status() & 1) out.push(c.read(0x60, 1));
    return out;
  };
  return { c, cmd, data, status, drain, irqs, events };
}

describe('i8042 keyboard controller', () => {
  it('passes the self-test and keeps the command byte as written', () => {
    const k = controller();
    k.cmd(0xaa);
    expect(k.drain()).toEqual([0x55]);
    expect(k.status() & 0x04).toBe(0x04); // system flag after the self-test
    k.cmd(0x20);
    const ctr = k.drain()[0]!;
    expect(ctr & 0x01).toBe(0x01); // keyboard interrupt enabled at reset
    k.cmd(0x60);
    k.data(0x47);
    k.cmd(0x20);
    expect(k.drain()).toEqual([0x47]);
    k.cmd(0xab);
    expect(k.drain()).toEqual([0x00]);
  });

  it('loops a byte back through the auxiliary port on IRQ 12 (the AUX probe of Linux)', () => {
    const k = controller();
    k.cmd(0x60);
    k.data(0x03); // both interrupts on
    k.cmd(0xd3);
    k.data(0x5a);
    expect(k.status() & 0x21).toBe(0x21); // output buffer full, from the auxiliary port
    expect(k.irqs).toContain('irq12');
    expect(k.drain()).toEqual([0x5a]);
  });

  it('answers the keyboard commands atkbd sends: reset, identify as MF2, scan code set, LEDs', () => {
    const k = controller();
    k.data(0xff);
    expect(k.drain()).toEqual([0xfa, 0xaa]);
    const edges = k.irqs.length;
    k.data(0xf2);
    expect(k.drain()).toEqual([0xfa, 0xab, 0x83]);
    // One interrupt edge per byte: the driver reads one byte per interrupt.
    expect(k.irqs.length - edges).toBe(3);
    k.data(0xf0);
    k.data(0x00);
    expect(k.drain()).toEqual([0xfa, 0xfa, 0x02]);
    k.data(0xed);
    k.data(0x07);
    expect(k.drain()).toEqual([0xfa, 0xfa]);
    expect(k.irqs.filter((i) => i === 'irq1').length).toBeGreaterThan(0);
  });

  it('resets the CPU by pulsing output line 0 (0xFE) or writing the output port, and drives A20', () => {
    const k = controller();
    k.cmd(0xfe);
    expect(k.events.resets).toBe(1);
    k.cmd(0xd1);
    k.data(0x01); // A20 off, reset line high
    expect(k.events).toEqual({ resets: 1, a20: [false] });
    k.cmd(0xd1);
    k.data(0x02); // reset line low
    expect(k.events.resets).toBe(2);
  });
});
