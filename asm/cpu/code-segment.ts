// Loading CS: the code segment's cache and the privilege level change
// together in every far transfer, interrupt, task switch and SYSENTER, so
// the one place that does it sits below all of them.

import { SEG_CS, OFF_CPL, OFF_SEG_SEL, OFF_SEG_BASE, cpl } from './state';
import { invalidateFetch } from './fetch-window';
import { setSegmentCache, refreshFast } from './segments';
import { setUserMode } from './memory';
import { noteCplChange } from './counters';

/** Sets the privilege level (CPL) and everything derived from it. */
export function setCpl(c: u32): void {
  noteCplChange(load<u32>(OFF_CPL), c);
  store<u32>(OFF_CPL, c);
  setUserMode(c == 3);
}

/** Loads the CS cache and the CPL together, as every far transfer does. */
export function setCodeSegment(sel: u32, base: u32, limit: u32, attr: u32, newCpl: u32): void {
  setSegmentCache(SEG_CS, sel, base, limit, attr);
  if (newCpl != cpl()) setCpl(newCpl);
  invalidateFetch();
}

/** CS load in real or virtual-8086 mode: only the selector and base change. */
export function setRealCodeSegment(sel: u32): void {
  store<u32>(OFF_SEG_SEL + (<u32>SEG_CS << 2), sel & 0xffff);
  store<u32>(OFF_SEG_BASE + (<u32>SEG_CS << 2), (sel & 0xffff) << 4);
  refreshFast(SEG_CS);
  invalidateFetch();
}
