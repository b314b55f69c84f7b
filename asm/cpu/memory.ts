// Linear and physical memory: the paging MMU, the TLB in front of it, and
// guest accesses by linear address.
//
// The TLB is direct-mapped by linear page number (one u32 per page of the
// 4 GiB space). An entry holds the host address of the page's first byte in
// wasm memory (RAM_BASE + physical page) or, for non-RAM pages, the physical
// page with T_MMIO, plus permission bits. A guest access is one load, one
// compare and the access itself when the entry allows it; anything else (a
// miss, a permission the entry lacks, a page-crossing access, MMIO) takes the
// slow path, which walks the page tables and refills the entry. With paging
// off, entries are identity mappings, so the fast path is the same.
//
// Write permission is only granted in an entry once the page's dirty bit is
// set, so the first write to a clean page walks the tables and sets D.
//
// The host may watch physical pages (PAGE_WATCH, one byte each): a restored
// or forked machine's RAM is filled lazily, a page on its first access
// (WATCH_ABSENT, checked where an entry is filled and on physical accesses),
// and a machine that was forked tells the host before it first writes a page
// its forks still read (WATCH_WRITE: such an entry carries T_CODE, so writes
// take the slow path that drops code, and the host is told there).
//
// Write-protected RAM (ROM_BITMAP, a chipset's shadow RAM set read-only or
// read from ROM): its TLB entries never grant writing, so a write walks,
// and the walk answers with an MMIO entry (not kept in the TLB) that sends
// the write to the host. Reads and fetches stay on the fast path.

import {
  TLB_BASE, TLB_LIST_BASE, TLB_LIST_CAP, MMIO_BITMAP_BASE, ROM_BITMAP_BASE, RAM_BASE, JIT_CODE_MAP, PAGE_WATCH,
  OFF_CR0, OFF_CR2, OFF_CR3, OFF_CR4, OFF_RAM_SIZE, OFF_A20_MASK,
  OFF_CNT_TLB_HIT, OFF_CNT_TLB_MISS, OFF_CNT_TLB_FLUSH,
  CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, CR4_PAE, OFF_PDPTE, OFF_EFER, EFER_NXE, add64, WATCH_ABSENT, WATCH_WRITE, PROBE_BASE,
} from './state';
import { mmioRead, mmioWrite, pageIn, pageWrite } from './host';
import { raise, faulted, VEC_PF } from './fault';
import { invalidateFetch } from './fetch-window';
import { codeWritten } from './code-pages';

export const T_VALID: u32 = 1; // readable by the supervisor
export const T_USER: u32 = 2; // readable at CPL 3
export const T_WSUP: u32 = 4; // writable by the supervisor (dirty already set)
export const T_WUSER: u32 = 8; // writable at CPL 3 (dirty already set)
export const T_GLOBAL: u32 = 16;
export const T_MMIO: u32 = 32; // not RAM: the high bits are the physical page
// The page holds translated code (jit.ts) or the host watches writes to it:
// writes take the slow path, which drops that code and tells the host before
// the bytes change.
export const T_CODE: u32 = 64;
// Execute disable: the walk found XD set in a PAE entry while EFER.NXE is on; an instruction fetch faults.
export const T_NX: u32 = 128;

// What the current privilege level needs from an entry (see setUserMode).
let readMask: u32 = T_VALID | T_MMIO;
let readNeed: u32 = T_VALID;
let writeMask: u32 = T_WSUP | T_MMIO | T_CODE;
let writeNeed: u32 = T_WSUP;
export let userMode: bool = false;

let tlbListLen: u32 = 0;
let tlbListOverflow: bool = false;


export function setUserMode(user: bool): void {
  userMode = user;
  readMask = user ? T_VALID | T_USER | T_MMIO : T_VALID | T_MMIO;
  readNeed = user ? T_VALID | T_USER : T_VALID;
  writeMask = user ? T_WUSER | T_MMIO | T_CODE : T_WSUP | T_MMIO | T_CODE;
  writeNeed = user ? T_WUSER : T_WSUP;
  invalidateFetch(); // the fetcher's cached code page may be stale
}

// ---------------------------------------------------------------- physical

@inline function ramSize(): u32 {
  return load<u32>(OFF_RAM_SIZE);
}

export function isRamPage(phys: u32): bool {
  if (phys >= ramSize()) return false;
  const page = phys >>> 12;
  return (load<u8>(MMIO_BITMAP_BASE + (page >>> 3)) & (1 << (page & 7))) == 0;
}

/** Fills RAM page `page` first if the host has not yet (a lazily restored or forked machine). */
@inline function present(page: u32): void {
  if (load<u8>(PAGE_WATCH + page) & WATCH_ABSENT) pageIn(page);
}

/** RAM page `page` is about to be written: translated code there goes, and a watching host is told. */
function writing(page: u32): void {
  if (load<u8>(JIT_CODE_MAP + page) != 0) codeWritten(page);
  if (load<u8>(PAGE_WATCH + page) & WATCH_WRITE) pageWrite(page);
}

/** Whether writes to the RAM page holding `phys` go to the host (write-protected shadow RAM). */
@inline function isRomPage(phys: u32): bool {
  const page = phys >>> 12;
  return (load<u8>(ROM_BITMAP_BASE + (page >>> 3)) & (1 << (page & 7))) != 0;
}

export function markRom(startPage: u32, endPage: u32, protect: bool): void {
  for (let p = startPage; p < endPage; p++) {
    const a = ROM_BITMAP_BASE + (p >>> 3);
    const bit = <u32>1 << (p & 7);
    store<u8>(a, <u8>(protect ? <u32>load<u8>(a) | bit : <u32>load<u8>(a) & ~bit));
  }
  dropTlb(false);
}

export function markMmio(startPage: u32, endPage: u32): void {
  for (let p = startPage; p < endPage; p++) {
    const a = MMIO_BITMAP_BASE + (p >>> 3);
    store<u8>(a, <u8>(<u32>load<u8>(a) | (<u32>1 << (p & 7))));
  }
  flushTlb(false);
}

export function physRead(phys: u32, sz: u32): u32 {
  if (isRamPage(phys) && (phys & 0xfff) + (1 << sz) <= 0x1000) {
    present(phys >>> 12);
    const h = RAM_BASE + phys;
    return sz == 0 ? <u32>load<u8>(h) : sz == 1 ? <u32>load<u16>(h) : load<u32>(h);
  }
  if ((phys & 0xfff) + (1 << sz) > 0x1000) {
    let v: u32 = 0;
    for (let i: u32 = 0; i < (1 << sz); i++) v |= physRead(phys + i, 0) << (i << 3);
    return v;
  }
  return mmioRead(phys, 1 << sz);
}

export function physWrite(phys: u32, sz: u32, v: u32): void {
  if ((phys & 0xfff) + (1 << sz) > 0x1000) {
    for (let i: u32 = 0; i < (1 << sz); i++) physWrite(phys + i, 0, v >>> (i << 3));
    return;
  }
  if (isRamPage(phys) && !isRomPage(phys)) {
    const h = RAM_BASE + phys;
    present(phys >>> 12);
    writing(phys >>> 12);
    if (sz == 0) store<u8>(h, <u8>v);
    else if (sz == 1) store<u16>(h, <u16>v);
    else store<u32>(h, v);
    return;
  }
  mmioWrite(phys, 1 << sz, v);
}

// ---------------------------------------------------------------- TLB

export function flushTlb(keepGlobal: bool): void {
  add64(OFF_CNT_TLB_FLUSH, 1);
  dropTlb(keepGlobal);
}

/** Empties the TLB (all but global entries with keepGlobal) without counting a flush: the host's own, when the memory map changes. */
function dropTlb(keepGlobal: bool): void {
  invalidateFetch(); // the fetcher's cached code page may be stale
  if (tlbListOverflow) {
    memory.fill(TLB_BASE, 0, 0x400000);
    tlbListLen = 0;
    tlbListOverflow = false;
    return;
  }
  let kept: u32 = 0;
  for (let i: u32 = 0; i < tlbListLen; i++) {
    const idx = load<u32>(TLB_LIST_BASE + (i << 2));
    const a = TLB_BASE + (idx << 2);
    if (keepGlobal && (load<u32>(a) & T_GLOBAL)) {
      store<u32>(TLB_LIST_BASE + (kept << 2), idx);
      kept++;
    } else {
      store<u32>(a, 0);
    }
  }
  tlbListLen = kept;
}

export function invalidatePage(lin: u32): void {
  store<u32>(TLB_BASE + ((lin >>> 12) << 2), 0);
  invalidateFetch(); // the fetcher's cached code page may be stale
}

function remember(idx: u32, e: u32): void {
  const a = TLB_BASE + (idx << 2);
  if (load<u32>(a) == 0) {
    if (tlbListLen < TLB_LIST_CAP) {
      store<u32>(TLB_LIST_BASE + (tlbListLen << 2), idx);
      tlbListLen++;
    } else {
      tlbListOverflow = true;
    }
  }
  store<u32>(a, e);
}

// Paging-entry bits (SDM vol. 3, 4.3 and 4.4).
export const PTE_P: u32 = 1 << 0;
export const PTE_RW: u32 = 1 << 1;
export const PTE_US: u32 = 1 << 2;
export const PTE_A: u32 = 1 << 5; // accessed
export const PTE_D: u32 = 1 << 6; // dirty
export const PTE_PS: u32 = 1 << 7; // a large page, in a directory entry
export const PTE_G: u32 = 1 << 8; // global, with CR4.PGE

// #PF error-code bits (SDM vol. 3, 4.7).
export const PF_P: u32 = 1 << 0; // a protection violation (0: a not-present entry)
export const PF_W: u32 = 1 << 1; // a write
export const PF_U: u32 = 1 << 2; // at CPL 3
export const PF_RSVD: u32 = 1 << 3; // a reserved bit was set in an entry
export const PF_ID: u32 = 1 << 4; // an instruction fetch (given only when EFER.NXE is on)

function pageFault(lin: u32, code: u32): u32 {
  if (probing) {
    store<u32>(OFF_PROBE_FAULT, code);
    return 0;
  }
  store<u32>(OFF_CR2, lin);
  raise(VEC_PF, code, true);
  return 0;
}

@inline function allowed(u: bool, w: bool, write: bool, user: bool): bool {
  if (user && !u) return false;
  return !write || w || (!user && (load<u32>(OFF_CR0) & CR0_WP) == 0);
}

/**
 * Translates `lin` for an access (walking the page tables, setting accessed
 * and dirty bits as the CPU does) and fills its TLB entry. Returns the entry,
 * or 0 after raising #PF.
 */
function walk(lin: u32, write: bool, user: bool): u32 {
  add64(OFF_CNT_TLB_MISS, 1);
  const c0 = load<u32>(OFF_CR0);
  if ((c0 & CR0_PG) == 0) {
    const phys = lin & 0xfffff000 & load<u32>(OFF_A20_MASK);
    return fill(lin, phys, 0, T_VALID | T_USER | T_WSUP | T_WUSER, write);
  }
  const code: u32 = (write ? PF_W : 0) | (user ? PF_U : 0);
  if ((load<u32>(OFF_CR4) & CR4_PAE) == 0) return walk32(lin, write, user, code);
  return walkPae(lin, write, user, code | (fetching && nxOn() ? PF_ID : 0));
}

/** Two-level 32-bit paging: 4 KiB pages, and 4 MiB pages with CR4.PSE. */
function walk32(lin: u32, write: bool, user: bool, code: u32): u32 {
  const pdeAddr = (walkRoot() & 0xfffff000) | ((lin >>> 20) & 0xffc);
  const pde = readEntry32(pdeAddr);
  if ((pde & PTE_P) == 0) return pageFault(lin, code);
  if ((pde & PTE_PS) != 0 && (load<u32>(OFF_CR4) & CR4_PSE) != 0) {
    return leaf(lin, write, user, code, pdeAddr, pde, pde, (pde & 0xffc00000) | (lin & 0x3ff000), 0, false);
  }
  if ((pde & PTE_A) == 0 && !probing) physWrite(pdeAddr, 2, pde | PTE_A);
  const pteAddr = (pde & 0xfffff000) | ((lin >>> 10) & 0xffc);
  const pte = readEntry32(pteAddr);
  if ((pte & PTE_P) == 0) return pageFault(lin, code);
  return leaf(lin, write, user, code, pteAddr, pte, pde & pte, pte & 0xfffff000, 0, false);
}

// PAE entries are 64 bits; this CPU has 36 physical address bits, so bits
// 62:36 of every entry are reserved (bits 4-30 of the high half), and bit 63
// too unless EFER.NXE makes it XD (execute disable) in directory and table
// entries (never in the PDPTEs).
const PAE_HIGH_RESERVED: u32 = 0xfffffff0;
const XD_HIGH: u32 = 0x80000000;

// Set while the walk is for an instruction fetch (fetchEntry).
let fetching: bool = false;

@inline function nxOn(): bool {
  return (load<u32>(OFF_EFER) & EFER_NXE) != 0;
}

// The upper half of the last 64-bit entry readEntry64 read.
let entryHigh: u32 = 0;

/** Reads a 32-bit paging entry. */
function readEntry32(addr: u32): u32 {
  if (probing && !isRamPage(addr)) return probeStep(addr, 0, 0); // a probe reads no device
  const e = physRead(addr, 2);
  if (probing) probeStep(addr, e, 0);
  return e;
}

/** Reads a 64-bit paging entry; one in a table above 4 GiB reads as all ones (nothing is there). */
function readEntry64(addr: u32, addrHigh: u32): u32 {
  if (addrHigh != 0) {
    entryHigh = 0xffffffff;
    return probing ? probeStep(addr, 0xffffffff, 0xffffffff) : 0xffffffff;
  }
  if (probing && !isRamPage(addr)) {
    entryHigh = 0;
    return probeStep(addr, 0, 0);
  }
  entryHigh = physRead(addr + 4, 2);
  const e = physRead(addr, 2);
  if (probing) probeStep(addr, e, entryHigh);
  return e;
}

/** PAE paging: the PDPTE registers, then 64-bit directory and table entries; 2 MiB pages when PS is set. */
function walkPae(lin: u32, write: bool, user: bool, code: u32): u32 {
  let pdpte = load<u64>(OFF_PDPTE + ((lin >>> 30) << 3));
  if (probing) {
    // A probe may name any CR3: its PDPTEs are read from the table there, not the registers.
    const lo = readEntry64((walkRoot() & 0xffffffe0) + ((lin >>> 30) << 3), 0);
    pdpte = (<u64>entryHigh << 32) | <u64>lo;
  }
  if ((pdpte & PTE_P) == 0) return pageFault(lin, code);
  const pdeAddr = (<u32>pdpte & 0xfffff000) + (((lin >>> 21) & 0x1ff) << 3);
  const pde = readEntry64(pdeAddr, <u32>(pdpte >>> 32));
  const pdeHigh = entryHigh;
  const reserved = nxOn() ? PAE_HIGH_RESERVED & ~XD_HIGH : PAE_HIGH_RESERVED;
  if ((pde & PTE_P) == 0) return pageFault(lin, code);
  if ((pdeHigh & reserved) != 0) return pageFault(lin, code | PF_P | PF_RSVD);
  if ((pde & PTE_PS) != 0) {
    if ((pde & 0x1fe000) != 0) return pageFault(lin, code | PF_P | PF_RSVD);
    return leaf(lin, write, user, code, pdeAddr, pde, pde, (pde & 0xffe00000) | (lin & 0x1ff000), pdeHigh & ~XD_HIGH, (pdeHigh & XD_HIGH) != 0);
  }
  if ((pde & PTE_A) == 0 && !probing) physWrite(pdeAddr, 2, pde | PTE_A);
  const pteAddr = (pde & 0xfffff000) + (((lin >>> 12) & 0x1ff) << 3);
  const pte = readEntry64(pteAddr, pdeHigh);
  const pteHigh = entryHigh;
  if ((pte & PTE_P) == 0) return pageFault(lin, code);
  if ((pteHigh & reserved) != 0) return pageFault(lin, code | PF_P | PF_RSVD);
  return leaf(lin, write, user, code, pteAddr, pte, pde & pte, pte & 0xfffff000, pteHigh & ~XD_HIGH, ((pdeHigh | pteHigh) & XD_HIGH) != 0);
}

/**
 * The last level of a walk: the permission check (U/S and R/W of every level
 * combined in `perms`, XD of any level: `noExec`), the accessed and dirty
 * bits, and the TLB entry. `physHigh` is non-zero when the page lies above 4 GiB.
 */
function leaf(lin: u32, write: bool, user: bool, code: u32, entryAddr: u32, entry: u32, perms: u32, phys: u32, physHigh: u32, noExec: bool): u32 {
  const u = (perms & PTE_US) != 0;
  const w = (perms & PTE_RW) != 0;
  if (probing) {
    // Where the page is, even when this access may not touch it (the inspector shows both).
    store<u32>(OFF_PROBE_PHYS, (phys & load<u32>(OFF_A20_MASK)) | (lin & 0xfff));
    store<u32>(OFF_PROBE_PHYS_HIGH, physHigh);
  }
  if (!allowed(u, w, write, user)) return pageFault(lin, code | PF_P);
  if (noExec && fetching) return pageFault(lin, code | PF_P);
  if (probing) return 1;
  const updated = entry | PTE_A | (write ? PTE_D : 0);
  if (updated != entry) physWrite(entryAddr, 2, updated);
  let flags = T_VALID;
  if (u) flags |= T_USER;
  if (updated & PTE_D) {
    if (w || (load<u32>(OFF_CR0) & CR0_WP) == 0) flags |= T_WSUP;
    if (w && u) flags |= T_WUSER;
  }
  if ((entry & PTE_G) != 0 && (load<u32>(OFF_CR4) & CR4_PGE) != 0) flags |= T_GLOBAL;
  if (noExec) flags |= T_NX;
  return fill(lin, phys & load<u32>(OFF_A20_MASK), physHigh, flags, write);
}

// Where a page above 4 GiB goes: no RAM or device is there, so it reads as
// all ones and ignores writes, like the top page of the 32-bit space, which
// nothing claims.
const NOWHERE_PAGE: u32 = 0xfffff000;

function fill(lin: u32, phys: u32, physHigh: u32, flags: u32, write: bool): u32 {
  let e: u32;
  if (physHigh != 0) e = NOWHERE_PAGE | flags | T_MMIO;
  else if (!isRamPage(phys)) e = phys | flags | T_MMIO;
  else {
    const page = phys >>> 12;
    present(page);
    const slow = <u32>load<u8>(JIT_CODE_MAP + page) | <u32>(load<u8>(PAGE_WATCH + page) & WATCH_WRITE);
    e = (RAM_BASE + phys) | flags | (slow != 0 ? T_CODE : 0);
    if (isRomPage(phys)) {
      remember(lin >>> 12, e & ~(T_WSUP | T_WUSER));
      return write ? phys | (flags & ~T_GLOBAL) | T_MMIO : e & ~(T_WSUP | T_WUSER);
    }
  }
  remember(lin >>> 12, e);
  return e;
}

// ---------------------------------------------------------------- probe

// The inspector's walk (probeWalk): the walk above with `probing` set, so it
// sets no accessed or dirty bit, fills no TLB entry, raises nothing, reads
// no device and counts no miss; it records the entries it read and the
// answer in the probe block for the host (src/inspect/mmu.ts).
let probing: bool = false;
let probeCr3: u32 = 0;

export const OFF_PROBE: u32 = PROBE_BASE;
export const OFF_PROBE_FAULT: u32 = OFF_PROBE; // u32: the #PF error code the access would raise, or PROBE_OK
export const OFF_PROBE_PHYS: u32 = OFF_PROBE + 4; // u32: the physical address (bits 0-31)
export const OFF_PROBE_PHYS_HIGH: u32 = OFF_PROBE + 8; // u32: bits 32-35 (PAE)
export const OFF_PROBE_STEPS: u32 = OFF_PROBE + 12; // u32: how many entries the walk read
export const OFF_PROBE_STEP: u32 = OFF_PROBE + 16; // PROBE_MAX_STEPS x { u32 entry address, u32 entry low, u32 entry high, u32 0 }
export const PROBE_STEP_SIZE: u32 = 16;
export const PROBE_MAX_STEPS: u32 = 3;
export const PROBE_OK: u32 = 0xffffffff;

@inline function walkRoot(): u32 {
  return probing ? probeCr3 : load<u32>(OFF_CR3);
}

function probeStep(addr: u32, lo: u32, hi: u32): u32 {
  const n = load<u32>(OFF_PROBE_STEPS);
  const p = OFF_PROBE_STEP + n * PROBE_STEP_SIZE;
  store<u32>(p, addr);
  store<u32>(p + 4, lo);
  store<u32>(p + 8, hi);
  store<u32>(OFF_PROBE_STEPS, n + 1);
  return lo;
}

/**
 * Walks `lin` under `cr3` as an access (write, user) would, changing
 * nothing: the answer (PROBE_OK or the #PF error code, the physical address,
 * the entries read) is in the probe block. Without paging the physical
 * address is `lin` through the A20 gate.
 */
export function probeWalk(lin: u32, cr3: u32, write: bool, user: bool): u32 {
  store<u32>(OFF_PROBE_FAULT, PROBE_OK);
  store<u32>(OFF_PROBE_STEPS, 0);
  store<u32>(OFF_PROBE_PHYS_HIGH, 0);
  if ((load<u32>(OFF_CR0) & CR0_PG) == 0) {
    store<u32>(OFF_PROBE_PHYS, lin & load<u32>(OFF_A20_MASK));
    return PROBE_OK;
  }
  probing = true;
  probeCr3 = cr3;
  const code: u32 = (write ? PF_W : 0) | (user ? PF_U : 0);
  if ((load<u32>(OFF_CR4) & CR4_PAE) != 0) walkPae(lin, write, user, code);
  else walk32(lin, write, user, code);
  probing = false;
  return load<u32>(OFF_PROBE_FAULT);
}

/**
 * After the host changed paging state behind the CPU's back: drops every
 * translation and, in PAE mode, reloads the PDPTE registers from CR3 as a
 * MOV CR3 would. Returns false if an entry there has a reserved bit set.
 */
export function resyncPaging(): bool {
  flushTlb(false);
  if ((load<u32>(OFF_CR4) & CR4_PAE) == 0 || (load<u32>(OFF_CR0) & CR0_PG) == 0) return true;
  return loadPdptes(load<u32>(OFF_CR3));
}

/**
 * Loads the four PDPTE registers from the table CR3 points at, as MOV CR3,
 * and enabling paging or PAE, do in PAE mode. Returns false when an entry has
 * a reserved bit set: the instruction then raises #GP(0) and changes nothing.
 */
export function loadPdptes(cr3: u32): bool {
  const base = cr3 & 0xffffffe0;
  for (let i: u32 = 0; i < 4; i++) {
    const low = physRead(base + (i << 3), 2);
    const high = physRead(base + (i << 3) + 4, 2);
    // Present entries: bits 1-2 and 5-8 and 63:36 are reserved.
    if ((low & 1) != 0 && ((low & 0x1e6) != 0 || (high & PAE_HIGH_RESERVED) != 0)) return false;
  }
  for (let i: u32 = 0; i < 4; i++) {
    const low = physRead(base + (i << 3), 2);
    const high = physRead(base + (i << 3) + 4, 2);
    store<u64>(OFF_PDPTE + (i << 3), (<u64>high << 32) | <u64>low);
  }
  return true;
}

/** The TLB entry for an access, walking on a miss. 0 after a #PF. */
export function lookup(lin: u32, write: bool, user: bool): u32 {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  const need: u32 = write ? (user ? T_WUSER : T_WSUP) : (user ? T_VALID | T_USER : T_VALID);
  if ((e & need) == need) return e;
  return walk(lin, write, user);
}

// ---------------------------------------------------------------- linear accesses

@inline function entryRead(e: u32, lin: u32, sz: u32): u32 {
  if (e & T_MMIO) return mmioRead((e & 0xfffff000) | (lin & 0xfff), 1 << sz);
  const h = (e & 0xfffff000) + (lin & 0xfff);
  return sz == 0 ? <u32>load<u8>(h) : sz == 1 ? <u32>load<u16>(h) : load<u32>(h);
}

@inline function entryWrite(e: u32, lin: u32, sz: u32, v: u32): void {
  if (e & T_MMIO) {
    mmioWrite((e & 0xfffff000) | (lin & 0xfff), 1 << sz, v);
    return;
  }
  const h = (e & 0xfffff000) + (lin & 0xfff);
  if (sz == 0) store<u8>(h, <u8>v);
  else if (sz == 1) store<u16>(h, <u16>v);
  else store<u32>(h, v);
}

/** Reads 1 << sz bytes at `lin` with the given privilege; 0 after a fault. */
export function readAs(lin: u32, sz: u32, user: bool): u32 {
  const n: u32 = 1 << sz;
  if ((lin & 0xfff) + n <= 0x1000) {
    const e = lookup(lin, false, user);
    if (faulted) return 0;
    return entryRead(e, lin, sz);
  }
  // Page-crossing: translate both pages before touching either.
  const second = (lin | 0xfff) + 1;
  const e1 = lookup(lin, false, user);
  if (faulted) return 0;
  const e2 = lookup(second, false, user);
  if (faulted) return 0;
  let v: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = lin + i;
    v |= entryRead(a < second ? e1 : e2, a, 0) << (i << 3);
  }
  return v;
}

/** Writes 1 << sz bytes at `lin`; both pages are checked before any byte is written. */
export function writeAs(lin: u32, sz: u32, v: u32, user: bool): void {
  const n: u32 = 1 << sz;
  if ((lin & 0xfff) + n <= 0x1000) {
    const e = lookup(lin, true, user);
    if (faulted) return;
    if (e & T_CODE) dropCode(lin, e);
    entryWrite(e, lin, sz, v);
    return;
  }
  const second = (lin | 0xfff) + 1;
  const e1 = lookup(lin, true, user);
  if (faulted) return;
  const e2 = lookup(second, true, user);
  if (faulted) return;
  if (e1 & T_CODE) dropCode(lin, e1);
  if (e2 & T_CODE) dropCode(second, e2);
  for (let i: u32 = 0; i < n; i++) {
    const a = lin + i;
    entryWrite(a < second ? e1 : e2, a, 0, v >>> (i << 3));
  }
}

@inline function hit(): void {
  add64(OFF_CNT_TLB_HIT, 1);
}

/**
 * A write is about to land on a page that holds translated code or that the
 * host watches: the code goes (jit.ts), the host is told, and this TLB entry
 * stops sending writes the slow way.
 */
function dropCode(lin: u32, e: u32): void {
  store<u32>(TLB_BASE + ((lin >>> 12) << 2), e & ~T_CODE);
  writing(((e & 0xfffff000) - RAM_BASE) >>> 12);
}

/**
 * The slow path of a write at the current privilege. When the entry lacked
 * nothing but the absence of code, the access counts as the TLB hit it is
 * without a translator, so the counters do not depend on translation.
 */
function writeSlow(lin: u32, sz: u32, v: u32): void {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & writeMask) == (writeNeed | T_CODE) && (lin & 0xfff) + (1 << sz) <= 0x1000) {
    hit();
    dropCode(lin, e);
    entryWrite(e, lin, sz, v);
    return;
  }
  writeAs(lin, sz, v, userMode);
}

/** Marks every TLB entry that maps physical page `page` as holding translated code. */
export function markCodeInTlb(page: u32): void {
  const host = RAM_BASE + (page << 12);
  if (tlbListOverflow) {
    for (let i: u32 = 0; i < 0x100000; i++) markIfMaps(i, host);
    return;
  }
  for (let i: u32 = 0; i < tlbListLen; i++) markIfMaps(load<u32>(TLB_LIST_BASE + (i << 2)), host);
}

@inline function markIfMaps(idx: u32, host: u32): void {
  const a = TLB_BASE + (idx << 2);
  const e = load<u32>(a);
  if ((e & 0xfffff000) == host && (e & (T_VALID | T_MMIO)) == T_VALID) store<u32>(a, e | T_CODE);
}

@inline export function readLin8(lin: u32): u32 {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & readMask) == readNeed) {
    hit();
    return load<u8>((e & 0xfffff000) + (lin & 0xfff));
  }
  return readAs(lin, 0, userMode);
}
@inline export function readLin16(lin: u32): u32 {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & readMask) == readNeed && (lin & 0xfff) <= 0xffe) {
    hit();
    return load<u16>((e & 0xfffff000) + (lin & 0xfff));
  }
  return readAs(lin, 1, userMode);
}
@inline export function readLin32(lin: u32): u32 {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & readMask) == readNeed && (lin & 0xfff) <= 0xffc) {
    hit();
    return load<u32>((e & 0xfffff000) + (lin & 0xfff));
  }
  return readAs(lin, 2, userMode);
}
@inline export function readLin(lin: u32, sz: u32): u32 {
  return sz == 2 ? readLin32(lin) : sz == 1 ? readLin16(lin) : readLin8(lin);
}

@inline export function writeLin8(lin: u32, v: u32): void {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & writeMask) == writeNeed) {
    hit();
    store<u8>((e & 0xfffff000) + (lin & 0xfff), <u8>v);
    return;
  }
  writeSlow(lin, 0, v);
}
@inline export function writeLin16(lin: u32, v: u32): void {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & writeMask) == writeNeed && (lin & 0xfff) <= 0xffe) {
    hit();
    store<u16>((e & 0xfffff000) + (lin & 0xfff), <u16>v);
    return;
  }
  writeSlow(lin, 1, v);
}
@inline export function writeLin32(lin: u32, v: u32): void {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & writeMask) == writeNeed && (lin & 0xfff) <= 0xffc) {
    hit();
    store<u32>((e & 0xfffff000) + (lin & 0xfff), v);
    return;
  }
  writeSlow(lin, 2, v);
}
@inline export function writeLin(lin: u32, sz: u32, v: u32): void {
  if (sz == 2) writeLin32(lin, v);
  else if (sz == 1) writeLin16(lin, v);
  else writeLin8(lin, v);
}

/**
 * Checks that `lin` can be written (both pages when it crosses one) and
 * returns the host address when the access is plain RAM in one page, or 0
 * when the caller must go through writeLin. Read-modify-write instructions
 * call this first so a read-only page faults before anything changes.
 */
export function prepareWrite(lin: u32, sz: u32): u32 {
  const e = load<u32>(TLB_BASE + ((lin >>> 12) << 2));
  if ((e & writeMask) == writeNeed && (lin & 0xfff) + (1 << sz) <= 0x1000) {
    hit();
    return (e & 0xfffff000) + (lin & 0xfff);
  }
  if ((e & writeMask) == (writeNeed | T_CODE) && (lin & 0xfff) + (1 << sz) <= 0x1000) {
    hit();
    dropCode(lin, e);
    return (e & 0xfffff000) + (lin & 0xfff);
  }
  const e1 = lookup(lin, true, userMode);
  if (faulted) return 0;
  if ((lin & 0xfff) + (1 << sz) > 0x1000) {
    const second = (lin | 0xfff) + 1;
    const e2 = lookup(second, true, userMode);
    if (faulted) return 0;
    if (e1 & T_CODE) dropCode(lin, e1);
    if (e2 & T_CODE) dropCode(second, e2);
    return 0;
  }
  if (e1 & T_CODE) dropCode(lin, e1);
  return (e1 & T_MMIO) ? 0 : (e1 & 0xfffff000) + (lin & 0xfff);
}

/** The TLB entry for an instruction fetch at `lin`: a page whose entry says XD faults (#PF with I/D). 0 after a fault. */
export function fetchEntry(lin: u32): u32 {
  fetching = true;
  const e = lookup(lin, false, userMode);
  fetching = false;
  if (faulted || (e & T_NX) == 0) return e;
  return pageFault(lin, PF_P | PF_ID | (userMode ? PF_U : 0));
}

/** Host address of `lin` for reading when it is RAM in a present page (filling the TLB), 0 otherwise or after a fault. */
export function hostForRead(lin: u32): u32 {
  const e = lookup(lin, false, userMode);
  if (faulted || (e & T_MMIO) != 0) return 0;
  return (e & 0xfffff000) + (lin & 0xfff);
}
