// x86 to WebAssembly: compiles a region of one physical page of guest code,
// entered at one offset, into the body of a wasm function.
//
// Instructions are split and classified by the one instruction table
// (src/isa decode; forms.ts). The region is the set of basic blocks reachable
// from the entry by direct jumps inside the page (region.ts); a loop over a
// br_table dispatches between them, so guest loops stay in wasm
// (emit-region.ts). Guest registers live in wasm locals and are written back
// at every exit (emitter.ts). Flags stay lazy as in the interpreter
// (emit-flags.ts).
//
// Exactness: every block checks `attention` and the run budget before it
// starts, so interrupts, host requests and the virtual clock see the same
// instruction boundaries as with the interpreter. A memory access goes
// through the core's own paths and a fault leaves the registers, flags and
// EIP of the faulting instruction (emit-memory.ts, emit-exits.ts).
// Instructions the translator does not emit are run by the interpreter from
// inside the region (jitStep); those that change the mode, privilege, control
// flow in ways not compiled here, or talk to devices end the region instead.

import type { CoreLayout } from './abi.ts';
import { findRegion } from './region.ts';
import { Emitter } from './emitter.ts';
import { emitRegion, type Translation } from './emit-region.ts';

export { GLOBALS, FUNCS, LOCALS, type CoreLayout } from './abi.ts';
export type { Translation } from './emit-region.ts';

/**
 * Translates the code of `page` (its 4096 bytes) entered at `entry`, leaving
 * the blocks at the offsets in `compiled` to the regions that have them.
 * Returns null when the first instruction cannot be translated.
 */
export function translate(page: Uint8Array, entry: number, layout: CoreLayout, user: boolean, compiled?: ReadonlySet<number>): Translation | null {
  const region = findRegion(page, entry, compiled);
  if (!region) return null;
  // Twice: the first emission finds which guest state the code uses, the second moves only that.
  const first = new Emitter(region, layout, user);
  emitRegion(first);
  return emitRegion(new Emitter(region, layout, user, { touched: first.touched, written: first.written }));
}
