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
// jitHostWrote in code-pages.ts) is all that can make it stale.

import {
  JIT_CODE_MAP, JIT_ENTRIES, JIT_HEAT, RAM_BASE, TLB_BASE, OFF_CR0, OFF_EFLAGS, CR0_PE, VM,
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, segBase,
} from './state';
import { T_VALID, T_USER, T_MMIO, T_NX, userMode, markCodeInTlb } from './memory';
import { csIs32, isFlat, stackIs32 } from './segments';
import { ip } from './decode';
import { faulted } from './fault';
import { jitCompile, jitInvalidate } from './host';
import { attention, raiseAttention } from './signals';
import { sliceCount } from './clock';

// 0: interpret only. 1: translate code once hot.
export let jitEnabled: bool = false;
// Look for compiled code before every instruction instead of after control
// transfers only (with a threshold of 0: translate on first execution).
export let jitEveryInstruction: bool = false;
// Instructions the interpreter runs in a physical page before code there is
// compiled: a compilation costs about what interpreting some 10^5
// instructions does, so only code that has already cost that much is worth it.
let threshold: u32 = 0;

// The run() budget, for compiled regions to stop exactly where the
// interpreter would (exported: they import it).
export let runBudget: u32 = 0;
// The block of the region jitSlotHere found, and the mode key it looked up, for jitRun.
let entryBlock: u32 = 0;
let entryMode: u32 = 0;
// The page of the last lookup the interpreter went on from, and the slice count
// then: the instructions in between are charged to that page's heat.
const NO_PAGE: u32 = 0xffffffff;
let heatPage: u32 = NO_PAGE;
let heatFrom: u32 = 0;
let translated: u64 = 0;
// Region calls from the run loop's lookup, from one region's exit straight
// into the next, and from a region's CALL (jitCall).
let entered: u64 = 0;
let chained: u64 = 0;
let called: u64 = 0;
// The mode key of the entry jitRun started from: the key of every region it leads to.
let chainMode: u32 = 0;

// A region's CALL to code outside it calls the callee's region as a wasm
// function and, when that returns to the instruction after the CALL, goes on
// in its own code: a call and its return cost one region change, not two
// through jitRun's lookup. Calls nest up to this depth (the engine's stack is
// the guest's call stack then); a deeper one leaves its region, to be chained
// to as before.
const MAX_CALL_DEPTH: u32 = 16;
let callDepth: u32 = 0;

// The entry cache: ENTRY_COUNT entries of 16 bytes
// { u32 host address of the entry instruction (0: empty), u32 mode, u32 slot,
//   u32 the block of the region to start at }, in sets of ENTRY_WAYS that an
// entry may take any of. Every block of a region is an entry, so a thousand
// regions fill a good part of the table: direct-mapped, an entry whose one
// place a compiled region held was never compiled, and some 10 % of the
// instructions (a hot loop of md5sum, the kernel's blake2s) stayed interpreted.
const ENTRY_BITS: u32 = 16;
const ENTRY_COUNT: u32 = 1 << ENTRY_BITS;
const ENTRY_WAYS: u32 = 4;
const SET_BITS: u32 = ENTRY_BITS - 2;
const SLOT_NONE: u32 = 0; // not compiled (yet)
const SLOT_NEVER: u32 = 0xffffffff; // the host found nothing to translate there
// What jitCompile answers besides a slot or 0 (refused): the region is being
// compiled in the background (the host enters it when done), or the host has
// as many compilations in flight as it allows (ask again later).
const SLOT_PENDING: u32 = 0xfffffffe;
const SLOT_BUSY: u32 = 0xfffffffd;

// Whether the tables may hold anything since they were last zeroed: set by
// the first heat count or compilation (everything else written there follows
// one), so an instance made for a restore or a fork, configured and loaded
// before it runs, skips zeroing 5 MiB it never touched (each fresh page costs
// the host a fault: tens of milliseconds).
let tablesUsed = false;

export function configureJit(enabled: bool, everyInstruction: bool, hotAfter: u32): void {
  jitEnabled = enabled;
  jitEveryInstruction = everyInstruction;
  threshold = hotAfter;
  forgetAll();
}

/** Drops every entry, page mark and heat count (the host dropped its compiled regions, or the machine reset). */
export function forgetAll(): void {
  heatPage = NO_PAGE;
  if (!tablesUsed) return;
  memory.fill(JIT_CODE_MAP, 0, 0x100000);
  memory.fill(JIT_ENTRIES, 0, ENTRY_COUNT << 4);
  memory.fill(JIT_HEAT, 0, 0x400000);
  tablesUsed = false;
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

@inline function entrySet(host: u32, mode: u32): u32 {
  const h = (host ^ (host >>> SET_BITS) ^ (mode << 9)) & ((1 << SET_BITS) - 1);
  return JIT_ENTRIES + (h << 6);
}

/** The entry for `host` under `mode` (compiled, being compiled or refused), or 0. */
function findEntry(host: u32, mode: u32): u32 {
  const set = entrySet(host, mode);
  for (let a = set; a < set + (ENTRY_WAYS << 4); a += 16) {
    if (load<u32>(a) == host && load<u32>(a + 4) == mode && load<u32>(a + 8) != SLOT_NONE) return a;
  }
  return 0;
}

/**
 * Where an entry for `host` goes: its own, else an empty way, else one a
 * refusal holds (asked again if it comes back); 0 when compiled code (or
 * code being compiled) holds every way: a compiled entry keeps its place.
 */
function placeEntry(host: u32, mode: u32): u32 {
  const own = findEntry(host, mode);
  if (own != 0) return own;
  const set = entrySet(host, mode);
  let refused: u32 = 0;
  for (let a = set; a < set + (ENTRY_WAYS << 4); a += 16) {
    const held = load<u32>(a + 8);
    if (held == SLOT_NONE) return a;
    if (held == SLOT_NEVER && refused == 0) refused = a;
  }
  return refused;
}

function setEntry(a: u32, host: u32, mode: u32, slot: u32, block: u32): void {
  store<u32>(a, host);
  store<u32>(a + 4, mode);
  store<u32>(a + 8, slot);
  store<u32>(a + 12, block);
}

/**
 * The slot of compiled code for the instruction at `ip`, asking the host to
 * compile once its page is hot; 0 when the interpreter must run it. Reads the
 * TLB without side effects: an entry not cached there yet is left to the
 * interpreter's fetch, which fills it (and counts the miss) as it would
 * without translation.
 */
export function jitSlotHere(): u32 {
  // The interpreter ran the instructions since the last lookup in that lookup's page.
  const now = sliceCount();
  if (heatPage != NO_PAGE) {
    const h = JIT_HEAT + (heatPage << 2);
    store<u32>(h, load<u32>(h) + (now - heatFrom));
    heatPage = NO_PAGE;
    tablesUsed = true;
  }
  const lin = ip; // CS base is 0 in every mode key
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  const need: u32 = userMode ? T_VALID | T_USER : T_VALID;
  if ((e & (need | T_MMIO | T_NX)) != need) return 0; // execute-disabled code faults in the interpreter's fetch
  const host = (e & 0xfffff000) + (lin & 0xfff);
  const page = (host - RAM_BASE) >>> 12;
  const heat = JIT_HEAT + (page << 2);
  const hasCode = load<u8>(JIT_CODE_MAP + page) != 0;
  // A page with code compiled already has proven hot: the entries its regions
  // miss (returns into it, other functions) are compiled sooner.
  const cold = load<u32>(heat) < (hasCode ? threshold >>> 3 : threshold);
  // Most lookups are in pages with no code compiled and not hot yet: only their heat counts.
  if (cold && !hasCode) {
    heatPage = page;
    heatFrom = now;
    return 0;
  }
  const mode = modeKey();
  if (mode == 0) return 0;
  entryMode = mode;
  const found = findEntry(host, mode);
  if (found != 0) {
    const held = load<u32>(found + 8);
    if (held == SLOT_NEVER || held == SLOT_PENDING) return 0;
    entryBlock = load<u32>(found + 12);
    return held;
  }
  if (cold) {
    heatPage = page;
    heatFrom = now;
    return 0;
  }
  if (placeEntry(host, mode) == 0) return 0; // compiled regions hold every place it could take
  tablesUsed = true;
  let slot = jitCompile(host, mode);
  if (slot == SLOT_BUSY) return 0; // the page stays hot: asked again at its next lookup
  store<u32>(heat, 0);
  // Compiled at once ('first' mode), the host entered the region's blocks itself.
  let a = findEntry(host, mode);
  if (slot == SLOT_PENDING) {
    a = placeEntry(host, mode);
    if (a != 0) setEntry(a, host, mode, SLOT_PENDING, 0);
    slot = 0;
  } else if (slot == 0 || a == 0 || load<u32>(a + 8) != slot) {
    // Refused (or the host could not enter it): remember, until the page changes.
    a = placeEntry(host, mode);
    if (a != 0) setEntry(a, host, mode, SLOT_NEVER, 0);
    slot = 0;
  }
  entryBlock = slot != 0 ? load<u32>(a + 12) : 0;
  // A region being compiled, and even a refusal, depend on the page's bytes: a write there drops them.
  if (load<u8>(JIT_CODE_MAP + page) == 0) {
    store<u8>(JIT_CODE_MAP + page, 1);
    markCodeInTlb(page);
  }
  return slot;
}

/**
 * Runs the region in `slot` from `ip`, and the regions it leads to: a region
 * that leaves to code compiled elsewhere (a RET, an indirect jump, a call or
 * jump out of its page) goes straight on there, without the run loop's
 * lookup and heat counting, while nothing needs the run loop and the budget
 * lasts. Returns the EIP it stopped at: the next instruction, or with
 * `faulted` set the one that faulted.
 */
export function jitRun(slot: u32): u32 {
  heatPage = NO_PAGE;
  const before = sliceCount();
  // Nothing a region runs changes the mode key without faulting or ending at
  // an instruction no region starts at, so the key of this entry holds for the next.
  chainMode = entryMode;
  callDepth = 0;
  entered++;
  const next = runChain(slot, entryBlock, ip, NO_RETURN);
  translated += <u64>(sliceCount() - before);
  return next;
}

// No EIP a region leaves at: jitRun's chain ends only when nothing compiled follows.
const NO_RETURN: u32 = 0xffffffff;

/**
 * Runs the region in `slot` from block `block` at `eip`, and the regions it
 * leads to, until one leaves at `until` (a CALL's return address), a fault,
 * `attention`, the budget, or code with nothing compiled. Returns where it stopped.
 */
function runChain(slot: u32, block: u32, eip: u32, until: u32): u32 {
  let next = eip;
  for (;;) {
    const at = sliceCount();
    next = call_indirect<u32>(slot, next & 0xfffff000, block);
    if (next == until || faulted || attention || sliceCount() >= runBudget || sliceCount() == at) break;
    slot = chainSlot(next, chainMode);
    if (slot == 0) break;
    block = chainBlock;
    chained++;
  }
  return next;
}

// The block chainSlot found.
let chainBlock: u32 = 0;

/** The compiled entry at `eip` under `mode` (0: none), from the entry cache alone. */
function chainSlot(eip: u32, mode: u32): u32 {
  const e = load<u32>(TLB_BASE + ((eip >>> 12) << 2));
  const need: u32 = userMode ? T_VALID | T_USER : T_VALID;
  if ((e & (need | T_MMIO)) != need) return 0;
  const host = (e & 0xfffff000) + (eip & 0xfff);
  const a = findEntry(host, mode);
  if (a == 0) return 0;
  const held = load<u32>(a + 8);
  if (held >= SLOT_BUSY) return 0;
  chainBlock = load<u32>(a + 12);
  return held;
}

/**
 * A region's CALL to `eip` returning to `ret`, the guest state in the core:
 * runs the region compiled there, and the regions it chains to (a callee
 * spread over several regions), until one leaves at `ret`; returns the EIP
 * it stopped at (with `faulted` set, the faulting one), or `eip` itself when
 * the caller should leave to jitRun instead (nothing compiled there, calls
 * nested too deep, or the run loop needed). A callee that never comes back
 * to `ret` (a task switch, longjmp) runs on here until the run loop is
 * needed, the engine's stack as deep as the calls that led there. The caller
 * does not import the function table: a module that imports one costs some
 * 90 µs more to instantiate.
 */
export function jitCall(eip: u32, ret: u32): u32 {
  if (callDepth >= MAX_CALL_DEPTH || attention || sliceCount() >= runBudget) return eip;
  const slot = chainSlot(eip, chainMode);
  if (slot == 0) return eip;
  called++;
  callDepth++;
  const next = runChain(slot, chainBlock, eip, ret);
  callDepth--;
  return next;
}

/** Instructions retired in compiled regions since the core started: the share of the work the translator does. */
export function jitTranslated(): u64 {
  return translated;
}

/** Region calls the run loop made after looking the entry up. */
export function jitEntered(): u64 {
  return entered;
}

/** Region calls made straight from another region's exit. */
export function jitChained(): u64 {
  return chained;
}

/** Region calls made by a region's CALL (jitCall). */
export function jitCalled(): u64 {
  return called;
}

/**
 * The host enters block `block` of the region in `slot` for the instruction
 * at host address `host`: every block of a region can be entered, so one
 * compilation serves every hot entry in it. A compiled entry keeps its place.
 */
export function jitEntry(host: u32, mode: u32, slot: u32, block: u32): void {
  const a = placeEntry(host, mode);
  if (a == 0) return;
  tablesUsed = true;
  setEntry(a, host, mode, slot, block);
}

export function setRunBudget(budget: u32): void {
  runBudget = budget;
  heatPage = NO_PAGE; // the slice count starts again
}

/** The host forgets a region (or a compilation in flight, slot SLOT_PENDING): its entries stop pointing at the slot. */
export function jitForget(host: u32, mode: u32, slot: u32): void {
  const a = findEntry(host, mode);
  if (a != 0 && (load<u32>(a + 8) == slot || load<u32>(a + 8) == SLOT_NEVER)) {
    store<u32>(a + 8, SLOT_NONE);
    store<u32>(a + 12, 0);
  }
}

