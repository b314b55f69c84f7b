// A linear-address breakpoint for the inspector's "run to". While one is
// armed the run loop keeps `attention` raised, so every boundary takes the
// slow path and checks here; with none armed the loop is exactly as fast as
// without this file.

import { SEG_CS, segBase, INSPECT_BASE } from './state';
import { ip } from './decode';
import { retired } from './clock';
import { INSPECT } from './counters';

export const OFF_BP_ARMED: u32 = INSPECT_BASE + 0x840; // u32, set by the host
export const OFF_BP_LINEAR: u32 = INSPECT_BASE + 0x844; // u32
// Retired count when the breakpoint last stopped the CPU: resuming from there
// executes the instruction instead of stopping on it again.
let stoppedAt: u64 = 0xffffffffffffffff;

@inline export function breakpointArmed(): bool {
  return INSPECT && load<u32>(OFF_BP_ARMED) != 0;
}

/** Where the breakpoint last stopped, to and from a snapshot (snapshot.ts). */
export function breakpointStop(): u64 {
  return stoppedAt;
}
export function setBreakpointStop(at: u64): void {
  stoppedAt = at;
}

/** True when the next instruction starts at the breakpoint (and we did not just stop there). */
export function atBreakpoint(): bool {
  if (segBase(SEG_CS) + ip != load<u32>(OFF_BP_LINEAR)) return false;
  const now = retired();
  if (now == stoppedAt) return false;
  stoppedAt = now;
  return true;
}
