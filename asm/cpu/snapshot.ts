// What a snapshot needs from inside the core. Between run() calls the CPU's
// state is the state block and the inspector's block, except for a few
// values the run loop keeps in wasm globals; these are copied into the state
// block (OFF_HOT_STATE) before the host saves it, and back after it loads
// one. Everything else held in globals (the decoder's window, the lazy flags,
// the user-mode masks) is either folded into the state block when run()
// returns or re-derived from it when run() starts. The TLB is not state: it
// is flushed, in the saved machine and the loaded one alike, so both go on
// with the same (empty) TLB and count the same misses.

import { OFF_HOT_STATE, RAM_BASE, OFF_RAM_SIZE, OFF_CNT_TLB_FLUSH, add64 } from './state';
import { saveShadows, loadShadows } from './system';
import { breakpointStop, setBreakpointStop } from './breakpoint';
import { cr3UseClock, setCr3UseClock } from './counters';
import { flushTlb } from './memory';

// OFF_HOT_STATE layout: u64 interrupt-shadow end, u64 debug-shadow end,
// u64 breakpoint stop, u32 CR3 table use clock.
const HOT_SHADOWS: u32 = OFF_HOT_STATE;
const HOT_BREAKPOINT: u32 = OFF_HOT_STATE + 16;
const HOT_CR3_CLOCK: u32 = OFF_HOT_STATE + 24;

/** A flush that is not the guest's: the inspector's flush count stays as the guest made it. */
function flushUncounted(): void {
  flushTlb(false);
  add64(OFF_CNT_TLB_FLUSH, <u64>-1);
}

/** Copies the run loop's globals into the state block and flushes the TLB. */
export function saveHotState(): void {
  saveShadows(HOT_SHADOWS);
  store<u64>(HOT_BREAKPOINT, breakpointStop());
  store<u32>(HOT_CR3_CLOCK, cr3UseClock());
  flushUncounted();
}

/** Sets the run loop's globals from a loaded state block and flushes the TLB. */
export function loadHotState(): void {
  loadShadows(HOT_SHADOWS);
  setBreakpointStop(load<u64>(HOT_BREAKPOINT));
  setCr3UseClock(load<u32>(HOT_CR3_CLOCK));
  flushUncounted();
}

/** True when guest physical page `page` (4 KiB) holds only zeros: a snapshot leaves it out. */
export function pageIsZero(page: u32): bool {
  if ((page << 12) >= load<u32>(OFF_RAM_SIZE)) return true;
  const start = RAM_BASE + (page << 12);
  for (let p = start; p < start + 4096; p += 32) {
    if ((load<u64>(p) | load<u64>(p + 8) | load<u64>(p + 16) | load<u64>(p + 24)) != 0) return false;
  }
  return true;
}

/** The host changed PAGE_WATCH: entries filled before it go, so each page's next access sees its bits. */
export function pagesWatched(): void {
  flushUncounted();
}
