// Dropping compiled code when its physical page is written. Apart from
// jit.ts so that memory.ts, which every write goes through, need not import
// the translator's half (which reads the TLB through memory.ts).

import { JIT_CODE_MAP } from './state';
import { jitInvalidate } from './host';
import { raiseAttention } from './signals';

/**
 * Physical page `page` is about to be written and holds compiled code: the
 * host drops it, and a region running now stops after the current
 * instruction (it checks `attention`), since what follows may have changed.
 */
export function codeWritten(page: u32): void {
  if (load<u8>(JIT_CODE_MAP + page) == 0) return;
  store<u8>(JIT_CODE_MAP + page, 0);
  jitInvalidate(page);
  raiseAttention();
}

/** The host wrote guest RAM [phys, phys + len) directly (DMA, a loader): code there goes. */
export function jitHostWrote(phys: u32, len: u32): void {
  if (len == 0) return;
  const last = (phys + len - 1) >>> 12;
  for (let p = phys >>> 12; p <= last; p++) codeWritten(p);
}
