// The 16550A through the steps Linux's 8250 driver takes to find and use it,
// with the register semantics of the 16550A datasheet.

import { describe, expect, it } from 'vitest';
import { Uart16550 } from '../../src/devices/uart-16550.ts';

function setup() {
  const sent: number[] = [];
  const irq = { high: false, edges: 0 };
  const u = new Uart16550(
    0x3f8,
    (b) => sent.push(b),
    (h) => {
      irq.high = h;
      if (h) irq.edges++;
    },
  );
  return { u, sent, irq };
}

describe('16550A UART', () => {
  it('passes the 8250 probe: scratch, IER, loopback modem lines, FIFO', () => {
    const { u } = setup();
    u.write(0x3ff, 1, 0xa5);
    expect(u.read(0x3ff, 1)).toBe(0xa5);
    u.write(0x3f9, 1, 0x00);
    expect(u.read(0x3f9, 1) & 0x0f).toBe(0);
    u.write(0x3f9, 1, 0x0f);
    expect(u.read(0x3f9, 1) & 0x0f).toBe(0x0f);
    u.write(0x3f9, 1, 0x00);
    u.write(0x3fc, 1, 0x10 | 0x0a); // loopback with RTS and OUT2
    expect(u.read(0x3fe, 1) & 0xf0).toBe(0x90); // CTS and DCD come back
    u.write(0x3fc, 1, 0x00);
    u.write(0x3fa, 1, 0x01); // enable the FIFO
    expect(u.read(0x3fa, 1) & 0xc0).toBe(0xc0); // "16550A"
  });

  it('sends transmitted bytes to the host and reports the transmitter empty', () => {
    const { u, sent } = setup();
    for (const b of Buffer.from('hi\n')) u.write(0x3f8, 1, b);
    expect(sent).toEqual([0x68, 0x69, 0x0a]);
    expect(u.read(0x3fd, 1) & 0x60).toBe(0x60);
  });

  it('raises its IRQ for received data only with IER.RDA and MCR.OUT2, and clears it when read', () => {
    const { u, irq } = setup();
    u.write(0x3f9, 1, 0x01);
    u.receive([0x41]);
    expect(irq.high).toBe(false); // OUT2 gates the interrupt on a PC
    u.write(0x3fc, 1, 0x08);
    expect(irq.high).toBe(true);
    expect(u.read(0x3fa, 1) & 0x0f).toBe(0x04);
    expect(u.read(0x3fd, 1) & 1).toBe(1);
    expect(u.read(0x3f8, 1)).toBe(0x41);
    expect(irq.high).toBe(false);
  });

  it('identifies a character timeout below the FIFO trigger level', () => {
    const { u } = setup();
    u.write(0x3fa, 1, 0xc1); // FIFO on, trigger at 14
    u.write(0x3f9, 1, 0x01);
    u.receive([1, 2, 3]);
    expect(u.read(0x3fa, 1) & 0x0f).toBe(0x0c);
    u.receive(new Array(11).fill(9));
    expect(u.read(0x3fa, 1) & 0x0f).toBe(0x04);
  });

  it('raises THRE when its interrupt is enabled and acknowledges it on an IIR read', () => {
    const { u, irq } = setup();
    u.write(0x3fc, 1, 0x08);
    u.write(0x3f9, 1, 0x02);
    expect(irq.high).toBe(true);
    expect(u.read(0x3fa, 1) & 0x0f).toBe(0x02);
    expect(irq.high).toBe(false);
    expect(u.read(0x3fa, 1) & 0x0f).toBe(0x01);
  });

  it('loops transmitted bytes back to the receiver in loopback mode', () => {
    const { u, sent } = setup();
    u.write(0x3fa, 1, 0x01);
    u.write(0x3fc, 1, 0x10);
    u.write(0x3f8, 1, 0x5a);
    expect(sent).toEqual([]);
    expect(u.read(0x3f8, 1)).toBe(0x5a);
  });

  it('holds at most 16 received bytes and tells the host how many it took', () => {
    const { u } = setup();
    u.write(0x3fa, 1, 0x01);
    expect(u.receive(new Array(20).fill(7))).toBe(16);
    expect(u.receiveSpace).toBe(0);
  });

  it('keeps the divisor latch behind LCR.DLAB', () => {
    const { u } = setup();
    u.write(0x3fb, 1, 0x80);
    u.write(0x3f8, 1, 0x01);
    u.write(0x3f9, 1, 0x00);
    u.write(0x3fb, 1, 0x03);
    u.write(0x3fb, 1, 0x83);
    expect(u.read(0x3f8, 1)).toBe(0x01);
    expect(u.read(0x3f9, 1)).toBe(0x00);
  });
});
