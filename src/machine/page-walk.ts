// The page-table walk for one linear address, step by step, read from guest
// RAM the way the MMU reads it: two levels of 32-bit entries, or with CR4.PAE
// the PDPT and two levels of 64-bit entries. Nothing is cached or changed;
// this is the view the MMU panel draws.

import type { Core } from '../core/core.ts';
import { CR0_PG, CR4_PAE, CR4_PSE } from '../core-abi.ts';

export interface WalkStep {
  level: 'PDPT' | 'PD' | 'PT';
  /** Physical address of the entry read. */
  entryAddress: number;
  index: number;
  /** The entry (a hex string: PAE entries are 64 bits). */
  entry: string;
  present: boolean;
  writable: boolean;
  user: boolean;
  /** The entry maps a large page (4 MiB, or 2 MiB under PAE) instead of pointing to a table. */
  large: boolean;
}

export interface PageWalk {
  linear: number;
  mode: 'no paging' | '32-bit' | 'PAE';
  cr3: number;
  steps: WalkStep[];
  /** The physical address, or null when the walk ends at a not-present entry. */
  physical: number | null;
  pageSize: number;
}


/** Walks `linear` under `cr3` (the current address space unless given). */
export function walkPageTables(core: Core, linear: number, cr3 = core.cr(3) >>> 0): PageWalk {
  linear >>>= 0;
  cr3 >>>= 0;
  if (!(core.cr(0) & CR0_PG)) return { linear, mode: 'no paging', cr3, steps: [], physical: linear, pageSize: 4096 };
  const dv = new DataView(core.residentRam.buffer, core.residentRam.byteOffset, core.ramBytes);
  const read = (addr: number, wide: boolean): bigint => {
    if (addr + (wide ? 8 : 4) > core.ramBytes) return 0n; // outside RAM reads as not present
    core.ramForRead(addr, wide ? 8 : 4);
    return wide ? dv.getBigUint64(addr, true) : BigInt(dv.getUint32(addr, true));
  };
  const pae = (core.cr(4) & CR4_PAE) !== 0;
  const steps: WalkStep[] = [];
  const step = (level: WalkStep['level'], table: number, index: number, wide: boolean): bigint => {
    const entryAddress = table + index * (wide ? 8 : 4);
    const e = read(entryAddress, wide);
    const low = Number(e & 0xffffffffn);
    steps.push({
      level, entryAddress, index,
      entry: '0x' + e.toString(16).padStart(wide ? 16 : 8, '0'),
      present: (low & 1) !== 0,
      // PDPT entries carry no access rights: they allow everything.
      writable: level === 'PDPT' || (low & 2) !== 0,
      user: level === 'PDPT' || (low & 4) !== 0,
      large: level === 'PD' && (low & 0x80) !== 0 && (pae || (core.cr(4) & CR4_PSE) !== 0),
    });
    return e;
  };
  const frame = (e: bigint, mask: bigint): number => Number(e & mask);
  const done = (physical: number | null, pageSize: number): PageWalk => ({ linear, mode: pae ? 'PAE' : '32-bit', cr3, steps, physical, pageSize });
  if (pae) {
    const pdpte = step('PDPT', cr3 & ~0x1f, linear >>> 30, true);
    if (!(pdpte & 1n)) return done(null, 4096);
    const pde = step('PD', frame(pdpte, 0xffffff000n), (linear >>> 21) & 0x1ff, true);
    if (!(pde & 1n)) return done(null, 4096);
    if (steps[1].large) return done(frame(pde, 0xfffe00000n) + (linear & 0x1fffff), 2 << 20);
    const pte = step('PT', frame(pde, 0xffffff000n), (linear >>> 12) & 0x1ff, true);
    if (!(pte & 1n)) return done(null, 4096);
    return done(frame(pte, 0xffffff000n) + (linear & 0xfff), 4096);
  }
  const pde = step('PD', cr3 & ~0xfff, linear >>> 22, false);
  if (!(pde & 1n)) return done(null, 4096);
  if (steps[0].large) return done((frame(pde, 0xffc00000n) + (linear & 0x3fffff)) >>> 0, 4 << 20);
  const pte = step('PT', frame(pde, 0xfffff000n), (linear >>> 12) & 0x3ff, false);
  if (!(pte & 1n)) return done(null, 4096);
  return done((frame(pte, 0xfffff000n) + (linear & 0xfff)) >>> 0, 4096);
}
