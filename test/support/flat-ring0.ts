// The machine state most core tests start from: 32-bit protected mode with
// every segment a flat 4 GiB one at base 0 (code selector 8, data 0x10),
// paging off, ring 0.

import type { Core } from '../../src/core/core.ts';

/** Puts `core` in flat 32-bit ring 0 with paging off (CR0 = PE | ET). */
export function flatRing0(core: Core): Core {
  for (let s = 0; s < 6; s++) core.setSegment(s, { selector: s === 1 ? 8 : 0x10, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  core.setCr(0, 0x11);
  core.cpl = 0;
  core.flushTlb();
  return core;
}
