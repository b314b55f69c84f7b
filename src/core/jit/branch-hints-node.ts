// Branch hints in Node: V8 reads a module's `metadata.code.branch_hint`
// section (the hints the translator writes, emitter.ts) only with the
// branch-hinting feature on, which Chromium ships on and Node 20-24 keep
// behind this flag. With it, the optimising compiler lays a region's slow
// paths (TLB misses, faults, budget exits) out of line and spills for their
// helper calls there: bench:cpu's memory loop went from 580 to 757 MIPS.
// V8 options are process-wide, so the compile thread's compilations see it too.

import { setFlagsFromString } from 'node:v8';

let set = false;

export function enableBranchHints(): void {
  if (set) return;
  set = true;
  setFlagsFromString('--experimental-wasm-branch-hinting');
}
