// FNSTENV/FLDENV and FNSAVE/FRSTOR: the 14- or 28-byte environment in its
// real-mode or protected-mode layout, followed for SAVE/RSTOR by the eight
// registers as 80-bit values in stack order.

import {
  OFF_FPU_CW, OFF_FPU_EMPTY, OFF_FPU_FIP, OFF_FPU_FCS, OFF_FPU_FOP, OFF_FPU_FDP, OFF_FPU_FDS,
} from '../state';
import { readMem, writeMem } from '../decode';
import { faulted } from '../fault';
import { protectedMode } from '../segments';
import { cw, sw, setSw, phys, SW_ES, SW_B, finit } from './stack';
import { physBits, physTag, setPhysBits, exactMant, exactSe } from './exact';
import { probeWrite, read64 } from './memory';

/** Tag word from the emptiness mask and the values: 0 valid, 1 zero, 2 special, 3 empty. */
export function tagWord(): u32 {
  const empty = load<u32>(OFF_FPU_EMPTY);
  let t: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) {
    let tag: u32 = 0;
    if ((empty & (1 << p)) != 0) tag = 3;
    else tag = physTag(p);
    t |= tag << (p << 1);
  }
  return t;
}

/** SW_ES and B follow from the flags and masks (after a load of either word). */
export function recomputeSummary(): void {
  let s = sw() & ~(SW_ES | SW_B);
  if ((s & ~cw() & 0x3f) != 0) s |= SW_ES | SW_B;
  setSw(s);
}

function envSize(op32: bool): u32 {
  return op32 ? 28 : 14;
}

export function storeEnv(seg: i32, off: u32, op32: bool): bool {
  if (!probeWrite(seg, off, envSize(op32))) return false;
  const fip = load<u32>(OFF_FPU_FIP);
  const fcs = load<u32>(OFF_FPU_FCS);
  const fop = load<u32>(OFF_FPU_FOP) & 0x7ff;
  const fdp = load<u32>(OFF_FPU_FDP);
  const fds = load<u32>(OFF_FPU_FDS);
  const sz: u32 = op32 ? 2 : 1;
  const step: u32 = op32 ? 4 : 2;
  const pad: u32 = op32 ? 0xffff0000 : 0;
  writeMem(seg, off, sz, pad | cw());
  writeMem(seg, off + step, sz, pad | sw());
  writeMem(seg, off + step * 2, sz, pad | tagWord());
  if (protectedMode()) {
    writeMem(seg, off + step * 3, sz, fip);
    writeMem(seg, off + step * 4, sz, op32 ? (fcs & 0xffff) | (fop << 16) : fcs);
    writeMem(seg, off + step * 5, sz, fdp);
    writeMem(seg, off + step * 6, sz, op32 ? pad | (fds & 0xffff) : fds);
  } else {
    // Real and virtual-8086 mode store 20- or 32-bit linear pointers split in two.
    const ip = (fcs << 4) + fip;
    const dp = (fds << 4) + fdp;
    writeMem(seg, off + step * 3, sz, pad | (ip & 0xffff));
    writeMem(seg, off + step * 4, sz, ((ip >> 16) << 12) | fop);
    writeMem(seg, off + step * 5, sz, pad | (dp & 0xffff));
    writeMem(seg, off + step * 6, sz, (dp >> 16) << 12);
  }
  return !faulted;
}

/** FNSTENV also masks every exception (so a handler can run FPU code). */
export function fnstenv(seg: i32, off: u32, op32: bool): void {
  if (!storeEnv(seg, off, op32)) return;
  store<u32>(OFF_FPU_CW, cw() | 0x3f);
  recomputeSummary();
}

/** Reads the environment; nothing changes unless all of it could be read. */
export function loadEnv(seg: i32, off: u32, op32: bool): bool {
  const sz: u32 = op32 ? 2 : 1;
  const step: u32 = op32 ? 4 : 2;
  const c = readMem(seg, off, sz);
  const s = readMem(seg, off + step, sz);
  const t = readMem(seg, off + step * 2, sz);
  const w3 = readMem(seg, off + step * 3, sz);
  const w4 = readMem(seg, off + step * 4, sz);
  const w5 = readMem(seg, off + step * 5, sz);
  const w6 = readMem(seg, off + step * 6, sz);
  if (faulted) return false;
  store<u32>(OFF_FPU_CW, c & 0x1f7f);
  setSw(s);
  let empty: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((t >> (p << 1)) & 3) == 3) empty |= 1 << p;
  store<u32>(OFF_FPU_EMPTY, empty);
  if (protectedMode()) {
    store<u32>(OFF_FPU_FIP, w3);
    store<u32>(OFF_FPU_FCS, w4 & 0xffff);
    store<u32>(OFF_FPU_FOP, op32 ? (w4 >> 16) & 0x7ff : 0);
    store<u32>(OFF_FPU_FDP, w5);
    store<u32>(OFF_FPU_FDS, w6 & 0xffff);
  } else {
    store<u32>(OFF_FPU_FIP, (w3 & 0xffff) | ((w4 >> 12) << 16));
    store<u32>(OFF_FPU_FCS, 0);
    store<u32>(OFF_FPU_FOP, w4 & 0x7ff);
    store<u32>(OFF_FPU_FDP, (w5 & 0xffff) | ((w6 >> 12) << 16));
    store<u32>(OFF_FPU_FDS, 0);
  }
  recomputeSummary();
  return true;
}

export function fnsave(seg: i32, off: u32, op32: bool): void {
  const base = envSize(op32);
  if (!probeWrite(seg, off, base + 80)) return;
  if (!storeEnv(seg, off, op32)) return;
  for (let i: u32 = 0; i < 8; i++) {
    physBits(phys(i));
    const o = off + base + i * 10;
    writeMem(seg, o, 2, <u32>exactMant);
    writeMem(seg, o + 4, 2, <u32>(exactMant >> 32));
    writeMem(seg, o + 8, 1, exactSe);
  }
  if (!faulted) finit();
}

export function frstor(seg: i32, off: u32, op32: bool): void {
  const base = envSize(op32);
  // Read the registers first: a fault must leave the FPU as it was.
  readMem(seg, off + base + 79, 0);
  if (faulted) return;
  if (!loadEnv(seg, off, op32)) return;
  for (let i: u32 = 0; i < 8; i++) {
    const o = off + base + i * 10;
    const m = read64(seg, o);
    const se = readMem(seg, o + 8, 1);
    setPhysBits(phys(i), m, se);
  }
}
