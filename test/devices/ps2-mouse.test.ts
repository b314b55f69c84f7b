// The PS/2 mouse behind the i8042's auxiliary port, driven through the
// controller as Linux's psmouse driver does (drivers/input/mouse/psmouse-base.c:
// reset, get ID, the IntelliMouse and Explorer sample-rate knocks, status
// request, enable), answered as the IBM PS/2 mouse reference specifies, and
// moved by the host: stream packets on IRQ 12 in the byte layout the
// reference and the Explorer extension give.

import { describe, expect, it } from 'vitest';
import { I8042 } from '../../src/devices/i8042.ts';

function controller() {
  let irq12 = 0;
  let level = false;
  const c = new I8042(
    (line, high) => {
      if (line !== 12) return;
      if (high && !level) irq12++; // a rising edge, what the interrupt controller sees
      level = high;
    },
    () => {},
    () => {},
  );
  const status = () => c.read(0x64, 1);
  const drain = () => {
    const out: number[] = [];
    while (status() & 1) {
      expect(status() & 0x20, 'a byte from the auxiliary port').toBe(0x20);
      out.push(c.read(0x60, 1));
    }
    return out;
  };
  /** Bytes to the mouse (0xD4 before each), and everything it answers. */
  const mouse = (...bytes: number[]) => {
    for (const b of bytes) {
      c.write(0x64, 1, 0xd4);
      c.write(0x60, 1, b);
    }
    return drain();
  };
  c.write(0x64, 1, 0x60);
  c.write(0x60, 1, 0x03); // both ports' interrupts on
  return { c, mouse, drain, irq12: () => irq12 };
}

describe('PS/2 mouse', () => {
  it('resets to a standard mouse and identifies itself', () => {
    const m = controller();
    expect(m.mouse(0xff)).toEqual([0xfa, 0xaa, 0x00]);
    expect(m.mouse(0xf2)).toEqual([0xfa, 0x00]);
    // Status: stream mode, reporting off, 1:1, no buttons; 4 counts/mm (code 2), 100 samples/s.
    expect(m.mouse(0xe9)).toEqual([0xfa, 0x00, 0x02, 100]);
    expect(m.mouse(0xe8, 3, 0xe7, 0xe9)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0x10, 0x03, 100]);
    expect(m.mouse(0x42)).toEqual([0xfe]); // not a command
  });

  it('becomes an IntelliMouse (ID 3), then an Explorer (ID 4), by the sample-rate knocks; a reset undoes it', () => {
    const m = controller();
    expect(m.mouse(0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03]);
    expect(m.mouse(0xf3, 200, 0xf3, 200, 0xf3, 80, 0xf2)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x04]);
    expect(m.mouse(0xff, 0xf2)).toEqual([0xfa, 0xaa, 0x00, 0xfa, 0x00]);
    // The Explorer knock alone does nothing on a plain mouse.
    expect(m.mouse(0xf3, 200, 0xf3, 200, 0xf3, 80, 0xf2)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x00]);
  });

  it("sends stream packets for the host's motion once reporting is on, one interrupt per byte", () => {
    const m = controller();
    expect(m.c.moveMouse({ dx: 5, dy: 5, buttons: 0 })).toBe(true);
    expect(m.drain()).toEqual([]); // reporting off after power-on
    expect(m.mouse(0xf4)).toEqual([0xfa]);
    const before = m.irq12();
    m.c.moveMouse({ dx: 3, dy: -2, buttons: 1 }); // left button, right and down
    expect(m.drain()).toEqual([0x08 | 0x01 | 0x20, 3, 0xfe]);
    expect(m.irq12() - before).toBe(3);
    m.c.moveMouse({ dx: -300, dy: 0, buttons: 4 }); // beyond 9 bits: clamped, X overflow
    expect(m.drain()).toEqual([0x08 | 0x04 | 0x10 | 0x40, 0x00, 0x00]);
    // The Explorer's fourth byte: the wheel (towards the user positive) and buttons 4 and 5.
    m.mouse(0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf3, 200, 0xf3, 200, 0xf3, 80);
    m.c.moveMouse({ dx: 0, dy: 0, wheel: -1, buttons: 0x08 });
    expect(m.drain()).toEqual([0x08, 0, 0, 0x0f | 0x10]);
    // A disabled auxiliary port takes no motion.
    m.c.write(0x64, 1, 0xa7);
    expect(m.c.moveMouse({ dx: 1, dy: 1, buttons: 0 })).toBe(false);
    expect(m.drain()).toEqual([]);
  });

  it('adds motion up in remote mode until READ DATA asks', () => {
    const m = controller();
    expect(m.mouse(0xf0)).toEqual([0xfa]);
    m.c.moveMouse({ dx: 2, dy: 1, buttons: 0 });
    m.c.moveMouse({ dx: 2, dy: 1, buttons: 2 });
    expect(m.drain()).toEqual([]);
    expect(m.mouse(0xeb)).toEqual([0xfa, 0x08 | 0x02, 4, 2]);
  });
});
