// The translator's half in the core: finding a compiled region for the next
// instruction by its physical address and mode, counting how often an entry
// is reached before it is worth compiling, entering a region through the
// function table, and dropping compiled code when its page is written.
//
// The compiler lives in the host (src/core/jit/): a region is a wasm
// function, in a module that imports this core's memory, globals and the
// helpers in jit-helpers.ts, installed in this module's function table. It
// covers instructions in one physical page, so a write to that page (by the
// guest through any linear alias, by the page walker, or by a device through
// jitHostWrote) is all that can make it stale.

import {
  JIT_CODE_MAP, JIT_ENTRIES, RAM_BASE, TLB_BASE, OFF_CR0, OFF_EFLAGS, CR0_PE, VM,
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, segBase,
} from './state';
import { T_VALID, T_USER, T_MMIO, userMode, markCodeInTlb } from './memory';
import { csIs32, isFlat, stackIs32 } from './segments';
import { ip } from './decode';
import { jitCompile, jitInvalidate } from './host';
import { raiseAttention } from './signals';

// 0: interpret only. 1: translate entries reached `threshold` times.
export let jitEnabled: bool = false;
// Look for compiled code before every instruction instead of after control
// transfers only (with a threshold of 1: translate on first execution).
export let jitEveryInstruction: bool = false;
let threshold: u32 = 1;

// The run() budget, for compiled regions to stop exactly where the
// interpreter would (exported: they import it).
export let runBudget: u32 = 0;
// The block of the region jitSlotHere found, for jitRun.
let entryBlock: u32 = 0;

// The entry cache: direct-mapped, ENTRY_COUNT entries of 16 bytes
// { u32 host address of the entry instruction (0: empty), u32 mode, u32 slot,
//   u32 heat until compiled, then the block of the region to start at }.
const ENTRY_BITS: u32 = 16;
const ENTRY_COUNT: u32 = 1 << ENTRY_BITS;
const SLOT_NONE: u32 = 0; // not compiled (yet)
const SLOT_NEVER: u32 = 0xffffffff; // the host found nothing to translate there

export function configureJit(enabled: bool, everyInstruction: bool, hotAfter: u32): void {
  jitEnabled = enabled;
  jitEveryInstruction = everyInstruction;
  threshold = hotAfter == 0 ? 1 : hotAfter;
  forgetAll();
}

/** Drops every entry and page mark (the host dropped its compiled regions, or the machine reset). */
export function forgetAll(): void {
  memory.fill(JIT_CODE_MAP, 0, 0x100000);
  memory.fill(JIT_ENTRIES, 0, ENTRY_COUNT << 4);
}

/**
 * The mode a region compiled here depends on, or 0 where nothing is
 * translated: protected mode outside virtual-8086, 32-bit code and stack,
 * CS SS DS ES flat with base 0. Bit 1 is CPL 3 (the TLB permission a compiled
 * access checks).
 */
function modeKey(): u32 {
  if (!csIs32 || !stackIs32()) return 0;
  if ((load<u32>(OFF_CR0) & CR0_PE) == 0 || (load<u32>(OFF_EFLAGS) & VM) != 0) return 0;
  if (!isFlat(SEG_CS, false) || !isFlat(SEG_SS, true) || !isFlat(SEG_DS, true) || !isFlat(SEG_ES, true)) return 0;
  if ((segBase(SEG_CS) | segBase(SEG_SS) | segBase(SEG_DS) | segBase(SEG_ES)) != 0) return 0;
  return userMode ? 3 : 1;
}

@inline function entryAddr(host: u32, mode: u32): u32 {
  const h = (host ^ (host >>> ENTRY_BITS) ^ (mode << 9)) & (ENTRY_COUNT - 1);
  return JIT_ENTRIES + (h << 4);
}

/**
 * The slot of compiled code for the instruction at `ip`, compiling it when it
 * has become hot; 0 when the interpreter must run it. Reads the TLB without
 * side effects: an entry not cached there yet is left to the interpreter's
 * fetch, which fills it (and counts the miss) as it would without translation.
 */
export function jitSlotHere(): u32 {
  const lin = ip; // CS base is 0 in every mode key
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  const need: u32 = userMode ? T_VALID | T_USER : T_VALID;
  if ((e & (need | T_MMIO)) != need) return 0;
  const mode = modeKey();
  if (mode == 0) return 0;
  const host = (e & 0xfffff000) + (lin & 0xfff);
  const a = entryAddr(host, mode);
  let slot: u32;
  if (load<u32>(a) == host && load<u32>(a + 4) == mode) {
    slot = load<u32>(a + 8);
    if (slot != SLOT_NONE) {
      entryBlock = load<u32>(a + 12);
      return slot == SLOT_NEVER ? 0 : slot;
    }
    const heat = load<u32>(a + 12) + 1;
    store<u32>(a + 12, heat);
    if (heat < threshold) return 0;
  } else {
    const held = load<u32>(a + 8);
    if (held != SLOT_NONE && held != SLOT_NEVER) return 0; // a compiled region keeps its place
    store<u32>(a, host);
    store<u32>(a + 4, mode);
    store<u32>(a + 8, SLOT_NONE);
    store<u32>(a + 12, 1);
    if (1 < threshold) return 0;
  }
  slot = jitCompile(host, mode);
  if (slot == 0 || load<u32>(a) != host || load<u32>(a + 4) != mode || load<u32>(a + 8) != slot) {
    // Refused (or the host could not enter it): remember, until the page changes.
    store<u32>(a, host);
    store<u32>(a + 4, mode);
    store<u32>(a + 8, SLOT_NEVER);
    store<u32>(a + 12, 0);
    slot = 0;
  }
  entryBlock = load<u32>(a + 12);
  // Even a refusal depends on the page's bytes: a write there lets the entry try again.
  const page = (host - RAM_BASE) >>> 12;
  if (load<u8>(JIT_CODE_MAP + page) == 0) {
    store<u8>(JIT_CODE_MAP + page, 1);
    markCodeInTlb(page);
  }
  return slot;
}

/**
 * Runs the region in `slot` from `ip`. Returns the EIP it stopped at: the
 * next instruction, or with `faulted` set the one that faulted.
 */
export function jitRun(slot: u32): u32 {
  return call_indirect<u32>(slot, ip & 0xfffff000, entryBlock);
}

/**
 * The host enters block `block` of the region in `slot` for the instruction
 * at host address `host`: every block of a region can be entered, so one
 * compilation serves every hot entry in it. A compiled entry keeps its place.
 */
export function jitEntry(host: u32, mode: u32, slot: u32, block: u32): void {
  const a = entryAddr(host, mode);
  const held = load<u32>(a + 8);
  const same = load<u32>(a) == host && load<u32>(a + 4) == mode;
  if (!same && held != SLOT_NONE && held != SLOT_NEVER) return;
  store<u32>(a, host);
  store<u32>(a + 4, mode);
  store<u32>(a + 8, slot);
  store<u32>(a + 12, block);
}

export function setRunBudget(budget: u32): void {
  runBudget = budget;
}

/** The host forgets a region: its entries stop pointing at the slot. */
export function jitForget(host: u32, mode: u32, slot: u32): void {
  const a = entryAddr(host, mode);
  if (load<u32>(a) == host && load<u32>(a + 4) == mode && (load<u32>(a + 8) == slot || load<u32>(a + 8) == SLOT_NEVER)) {
    store<u32>(a + 8, SLOT_NONE);
    store<u32>(a + 12, 0);
  }
}

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
