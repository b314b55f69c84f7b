// A virtio 1.x driver's side of initialisation over virtio-MMIO (spec 3.1.1,
// 4.2.3), for the device tests that drive a device through its registers.

import { expect } from 'vitest';
import { STATUS } from '../../src/devices/virtio/mmio-transport.ts';

/** A queue's ring areas in guest RAM: descriptor table, available ring, used ring. */
export interface Rings {
  desc: number;
  avail: number;
  used: number;
}

/**
 * Resets the device, accepts VERSION_1 and `features` (bits 0-31), sets up
 * one queue of `size` per entry of `rings`, and sets DRIVER_OK. `rd`/`wr`
 * access the device's registers by offset.
 */
export function initialiseDriver(rd: (off: number) => number, wr: (off: number, v: number) => void, features: number, rings: Rings[], size: number): void {
  wr(0x70, 0);
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
  wr(0x24, 1);
  wr(0x20, 1); // VERSION_1
  wr(0x24, 0);
  wr(0x20, features);
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
  expect(rd(0x70) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
  rings.forEach((r, q) => {
    wr(0x30, q);
    wr(0x38, size);
    wr(0x80, r.desc);
    wr(0x84, 0);
    wr(0x90, r.avail);
    wr(0x94, 0);
    wr(0xa0, r.used);
    wr(0xa4, 0);
    wr(0x44, 1);
    expect(rd(0x44)).toBe(1);
  });
  wr(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
}
