// The 8254 against its datasheet, programmed the way Linux programs it: the
// periodic tick on channel 0 and the channel-2 TSC calibration through port 0x61.

import { describe, expect, it } from 'vitest';
import { I8254Pit } from '../../src/devices/i8254-pit.ts';

function setup() {
  const clock = { t: 0 };
  let irqs = 0;
  const pit = new I8254Pit(
    () => clock.t,
    () => irqs++,
  );
  return { pit, clock, irqs: () => irqs };
}

describe('8254 PIT', () => {
  it('raises IRQ 0 once per period in mode 2 (Linux periodic tick, HZ=100)', () => {
    const { pit, clock, irqs } = setup();
    const latch = Math.round(1193182 / 100);
    pit.write(0x43, 1, 0x34); // channel 0, LSB then MSB, mode 2
    pit.write(0x40, 1, latch & 0xff);
    pit.write(0x40, 1, latch >> 8);
    expect(pit.nextEvent()).toBe(latch);
    clock.t = latch * 10 - 1;
    pit.tick();
    expect(irqs()).toBe(9);
    clock.t = latch * 10;
    pit.tick();
    expect(irqs()).toBe(10);
  });

  it('strobes IRQ 0 in mode 4 N+1 clocks after each count, and says when counter 0 is reloaded (Linux one-shot tick)', () => {
    const clock = { t: 0 };
    let irqs = 0;
    const reloads: number[] = [];
    const pit = new I8254Pit(
      () => clock.t,
      () => irqs++,
      () => reloads.push(clock.t),
    );
    pit.write(0x43, 1, 0x38); // pit_set_oneshot: channel 0, LSB then MSB, mode 4
    expect(pit.nextEvent()).toBeUndefined(); // no count yet: nothing to wait for
    clock.t = 100;
    pit.write(0x40, 1, 1000 & 0xff); // pit_next_event: the LSB alone loads nothing
    expect(reloads).toEqual([]);
    pit.write(0x40, 1, 1000 >> 8);
    expect(reloads).toEqual([100]);
    expect(pit.nextEvent()).toBe(100 + 1000 + 1);
    clock.t = 2000;
    pit.tick();
    expect(irqs).toBe(1);
    expect(pit.nextEvent()).toBeUndefined(); // one strobe per count
    // Channel 2 (the speaker and TSC calibration) does not move IRQ 0's event.
    pit.write(0x43, 1, 0xb0);
    pit.write(0x42, 1, 0xff);
    pit.write(0x42, 1, 0xff);
    expect(reloads).toEqual([100]);
  });

  it('counts down and latches the count for a two-byte read', () => {
    const { pit, clock } = setup();
    pit.write(0x43, 1, 0x30); // channel 0, LSB/MSB, mode 0
    pit.write(0x40, 1, 0x00);
    pit.write(0x40, 1, 0x10); // 0x1000
    clock.t = 0x123;
    pit.write(0x43, 1, 0x00); // latch channel 0
    clock.t = 0x500; // the latched value does not move
    const lo = pit.read(0x40, 1);
    const hi = pit.read(0x40, 1);
    expect((hi << 8) | lo).toBe(0x1000 - 0x123);
  });

  it('shows channel 2 reaching terminal count on port 0x61 bit 5, gated by bit 0', () => {
    const { pit, clock } = setup();
    // As pit_calibrate_tsc does: gate on, speaker off; channel 2 mode 0; count 0xffff.
    pit.write(0x61, 1, (pit.read(0x61, 1) & ~0x02) | 0x01);
    pit.write(0x43, 1, 0xb0);
    pit.write(0x42, 1, 0xff);
    pit.write(0x42, 1, 0xff);
    expect(pit.read(0x61, 1) & 0x20).toBe(0);
    clock.t = 0xfffe;
    expect(pit.read(0x61, 1) & 0x20).toBe(0);
    clock.t = 0xffff;
    expect(pit.read(0x61, 1) & 0x20).toBe(0x20);
  });

  it('does not count channel 2 while its gate is low', () => {
    const { pit, clock } = setup();
    pit.write(0x43, 1, 0xb0);
    pit.write(0x42, 1, 0x10);
    pit.write(0x42, 1, 0x00);
    clock.t = 0x1000;
    expect(pit.read(0x61, 1) & 0x20).toBe(0);
    pit.write(0x61, 1, 0x01); // gate rises now: counting starts
    clock.t = 0x1000 + 0x10;
    expect(pit.read(0x61, 1) & 0x20).toBe(0x20);
  });

  it('reports status through the read-back command', () => {
    const { pit } = setup();
    pit.write(0x43, 1, 0x36); // channel 0, LSB/MSB, mode 3
    pit.write(0x43, 1, 0xe2); // read-back status of channel 0 only
    const status = pit.read(0x40, 1);
    expect(status & 0x40).toBe(0x40); // null count: nothing loaded yet
    expect((status >> 4) & 3).toBe(3);
    expect((status >> 1) & 7).toBe(3);
  });

  it('toggles the refresh bit of port 0x61 as time passes', () => {
    const { pit, clock } = setup();
    const a = pit.read(0x61, 1) & 0x10;
    clock.t += 18;
    expect(pit.read(0x61, 1) & 0x10).not.toBe(a);
  });
});
