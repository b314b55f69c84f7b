// The 8259A pair against the behaviour the Intel 8259A datasheet specifies,
// driven through its ports the way Linux's i8259 driver programs it.

import { beforeEach, describe, expect, it } from 'vitest';
import { I8259Pic } from '../../src/devices/i8259-pic.ts';

let output = false;
let pic: I8259Pic;

function initLikeLinux(): void {
  pic.write(0x20, 1, 0x11); // ICW1: edge, cascade, ICW4 needed
  pic.write(0x21, 1, 0x20); // ICW2: vectors 0x20-0x27
  pic.write(0x21, 1, 0x04); // ICW3: slave on IRQ 2
  pic.write(0x21, 1, 0x01); // ICW4: 8086 mode, normal EOI
  pic.write(0xa0, 1, 0x11);
  pic.write(0xa1, 1, 0x28);
  pic.write(0xa1, 1, 0x02);
  pic.write(0xa1, 1, 0x01);
  pic.write(0x21, 1, 0x00); // OCW1: unmask everything
  pic.write(0xa1, 1, 0x00);
}

beforeEach(() => {
  output = false;
  pic = new I8259Pic((asserted) => (output = asserted));
  initLikeLinux();
});

describe('8259A PIC pair', () => {
  it('masks everything until initialized', () => {
    const fresh = new I8259Pic(() => {});
    expect(fresh.read(0x21, 1)).toBe(0xff);
  });

  it('presents an edge on IRQ 0 as vector base + 0 and marks it in service', () => {
    pic.pulseIrq(0);
    expect(output).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(output).toBe(false);
    pic.write(0x20, 1, 0x0b); // OCW3: read ISR
    expect(pic.read(0x20, 1)).toBe(0x01);
  });

  it('holds lower priorities off until EOI, and lets higher ones nest', () => {
    pic.pulseIrq(3);
    expect(pic.acknowledge()).toBe(0x23);
    pic.pulseIrq(5);
    expect(output).toBe(false); // IRQ 5 waits behind IRQ 3 in service
    pic.pulseIrq(1);
    expect(output).toBe(true); // IRQ 1 outranks it
    expect(pic.acknowledge()).toBe(0x21);
    pic.write(0x20, 1, 0x20); // non-specific EOI ends IRQ 1
    expect(output).toBe(false);
    pic.write(0x20, 1, 0x20); // and then IRQ 3
    expect(output).toBe(true);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('routes slave IRQs through the cascade on IRQ 2', () => {
    pic.pulseIrq(12);
    expect(output).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    pic.write(0xa0, 1, 0x0b);
    expect(pic.read(0xa0, 1)).toBe(0x10);
    pic.write(0x20, 1, 0x0b);
    expect(pic.read(0x20, 1)).toBe(0x04);
  });

  it('ignores masked lines and reports them in IRR', () => {
    pic.write(0x21, 1, 0x01); // mask IRQ 0
    pic.pulseIrq(0);
    expect(output).toBe(false);
    pic.write(0x20, 1, 0x0a); // OCW3: read IRR
    expect(pic.read(0x20, 1)).toBe(0x01);
    pic.write(0x21, 1, 0x00);
    expect(output).toBe(true);
  });

  it('answers a vanished level-triggered request with spurious IRQ 7', () => {
    pic.write(0x4d0, 1, 0x20); // IRQ 5 level-triggered
    pic.setIrq(5, true);
    expect(output).toBe(true);
    pic.setIrq(5, false); // the device withdrew it before the acknowledge
    expect(pic.acknowledge()).toBe(0x27);
    pic.write(0x20, 1, 0x0b);
    expect(pic.read(0x20, 1)).toBe(0x00); // a spurious IRQ 7 is not put in service
    expect(pic.spurious).toBe(1);
  });

  it('rotates priority on "rotate on non-specific EOI"', () => {
    pic.pulseIrq(0);
    expect(pic.acknowledge()).toBe(0x20);
    pic.write(0x20, 1, 0xa0); // rotate on non-specific EOI: IRQ 0 becomes lowest
    pic.pulseIrq(0);
    pic.pulseIrq(4);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('answers a poll with the pending IRQ', () => {
    pic.pulseIrq(6);
    pic.write(0x20, 1, 0x0c); // OCW3: poll
    expect(pic.read(0x20, 1)).toBe(0x86);
  });

  it('ends the interrupt by itself in automatic EOI mode', () => {
    pic.write(0x20, 1, 0x11);
    pic.write(0x21, 1, 0x20);
    pic.write(0x21, 1, 0x04);
    pic.write(0x21, 1, 0x03); // ICW4 with AEOI
    pic.pulseIrq(3);
    expect(pic.acknowledge()).toBe(0x23);
    pic.write(0x20, 1, 0x0b);
    expect(pic.read(0x20, 1)).toBe(0);
  });
});
