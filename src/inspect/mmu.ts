// The MMU view: a page walk under any CR3 with the #PF it would raise for a
// given access (the core's own walker, asm/cpu/memory.ts probeWalk, so the
// view is the MMU's answer), the mappings of an address space (32-bit or
// PAE), and the address spaces the CPU has loaded recently. Nothing in the
// guest or the TLB changes.

import type { Core } from '../core/core.ts';
import { CR0_PG, CR3_SLOTS, CR4_PAE, CR4_PSE, EFER_NXE, OFF_CR3_TABLE, OFF_EFER } from '../core-abi.ts';

export interface Access {
  write: boolean;
  user: boolean;
}

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

export interface MmuWalk {
  linear: number;
  mode: 'no paging' | '32-bit' | 'PAE';
  cr3: number;
  steps: WalkStep[];
  /** The physical address, or null when the walk ends at a not-present or malformed entry. */
  physical: number | null;
  pageSize: number;
  access: Access;
  /** The page fault this access would raise, or null when it would succeed. */
  fault: { vector: 14; errorCode: number; reason: string } | null;
}

// Paging-entry and #PF error-code bits (SDM vol. 3, 4.3 and 4.7).
const P = 1,
  RW = 2,
  US = 4,
  PS = 0x80,
  RSVD = 8;

/** Which entry of its table `level` is for `linear`. */
function indexAt(level: WalkStep['level'], linear: number, pae: boolean): number {
  if (level === 'PDPT') return linear >>> 30;
  if (level === 'PD') return pae ? (linear >>> 21) & 0x1ff : linear >>> 22;
  return pae ? (linear >>> 12) & 0x1ff : (linear >>> 12) & 0x3ff;
}

/** Walks `linear` under `cr3` (the current address space unless given) as `access` would. */
export function walkAddress(core: Core, linear: number, access: Access = { write: false, user: true }, cr3 = core.cr(3) >>> 0): MmuWalk {
  linear >>>= 0;
  cr3 >>>= 0;
  const probe = core.probeWalk(linear, cr3, access);
  if (!(core.cr(0) & CR0_PG)) return { linear, mode: 'no paging', cr3, steps: [], physical: probe.physical, pageSize: 4096, access, fault: null };
  const pae = (core.cr(4) & CR4_PAE) !== 0;
  const levels: WalkStep['level'][] = pae ? ['PDPT', 'PD', 'PT'] : ['PD', 'PT'];
  const steps = probe.entries.map(({ address, entry }, k): WalkStep => {
    const level = levels[k]!;
    const low = Number(entry & 0xffffffffn);
    return {
      level,
      entryAddress: address,
      index: indexAt(level, linear, pae),
      entry: '0x' + entry.toString(16).padStart(pae ? 16 : 8, '0'),
      present: (low & P) !== 0,
      // PDPT entries carry no access rights: they allow everything.
      writable: level === 'PDPT' || (low & RW) !== 0,
      user: level === 'PDPT' || (low & US) !== 0,
      large: level === 'PD' && (low & PS) !== 0 && (pae || (core.cr(4) & CR4_PSE) !== 0),
    };
  });
  const pageSize = steps.some((s) => s.large) ? (pae ? 2 << 20 : 4 << 20) : 4096;
  const code = probe.fault;
  const mapped = code === null || ((code & P) !== 0 && (code & RSVD) === 0);
  const last = steps[steps.length - 1];
  const reason =
    code === null
      ? null
      : !(code & P)
        ? `${last.level} entry ${last.index} is not present`
        : code & RSVD
          ? `${last.level} entry ${last.index} has a reserved bit set`
          : access.user && steps.some((s) => !s.user)
            ? 'a supervisor-only page, accessed from user mode'
            : 'a read-only page, written';
  return {
    linear,
    mode: pae ? 'PAE' : '32-bit',
    cr3,
    steps,
    physical: mapped ? probe.physical : null,
    pageSize,
    access,
    fault: code === null ? null : { vector: 14, errorCode: code, reason: reason! },
  };
}

export interface Mapping {
  linear: number;
  physical: number;
  bytes: number;
  writable: boolean;
  user: boolean;
}

/**
 * The present mappings of an address space, 32-bit or PAE (whichever CR4
 * selects now), adjacent pages with contiguous frames and equal rights
 * merged into one range.
 */
export function listMappings(core: Core, cr3 = core.cr(3) >>> 0): Mapping[] {
  const ram = core.residentRam;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  // An entry beyond RAM reads as not present, as a walk of garbage tables would find it.
  const entry32 = (addr: number) => (addr + 4 <= ram.byteLength ? (core.ramForRead(addr, 4), dv.getUint32(addr, true)) : 0);
  const entry64 = (addr: number) => (addr + 8 <= ram.byteLength ? (core.ramForRead(addr, 8), dv.getBigUint64(addr, true)) : 0n);
  const out: Mapping[] = [];
  const add = (linear: number, physical: number, bytes: number, flags: number) => {
    const writable = (flags & 2) !== 0;
    const user = (flags & 4) !== 0;
    const last = out[out.length - 1];
    if (last && last.linear + last.bytes === linear && last.physical + last.bytes === physical && last.writable === writable && last.user === user) {
      last.bytes += bytes;
    } else {
      out.push({ linear, physical, bytes, writable, user });
    }
  };
  if (core.cr(4) & CR4_PAE) {
    // PAE (SDM vol. 3, 4.4): four PDPTEs at CR3, then 512 eight-byte entries
    // per directory and table; a PS directory entry maps 2 MiB. The PDPTEs
    // carry no rights, so a page's rights are the AND of its PDE and PTE.
    const frame = (e: bigint) => Number(e & 0xffffff000n);
    // Bits the core's 36-bit physical addresses leave reserved (and XD, bit
    // 63, unless EFER.NXE is on): such an entry faults instead of mapping.
    const nxe = (core.memory.getUint32(OFF_EFER, true) & EFER_NXE) !== 0;
    const high = nxe ? 0x7ffffffn : 0xfffffffn;
    const reserved = (e: bigint, big: boolean) => ((e >> 36n) & high) !== 0n || (big && (e & 0x1fe000n) !== 0n);
    const pdpt = (cr3 & ~0x1f) >>> 0;
    for (let i = 0; i < 4; i++) {
      const pdpte = entry64(pdpt + i * 8);
      if (!(pdpte & 1n)) continue;
      for (let j = 0; j < 512; j++) {
        const pde = entry64(frame(pdpte) + j * 8);
        if (!(pde & 1n) || reserved(pde, (pde & 0x80n) !== 0n)) continue;
        const linear = i * 0x40000000 + j * 0x200000;
        if (pde & 0x80n) {
          add(linear, Number(pde & 0xfffe00000n), 0x200000, Number(pde & 7n));
          continue;
        }
        for (let k = 0; k < 512; k++) {
          const pte = entry64(frame(pde) + k * 8);
          if (pte & 1n && !reserved(pte, false)) add(linear + k * 4096, frame(pte), 4096, Number(pte & pde & 7n));
        }
      }
    }
    return out;
  }
  const pse = (core.cr(4) & CR4_PSE) !== 0;
  const pd = (cr3 & ~0xfff) >>> 0;
  for (let i = 0; i < 1024; i++) {
    const pde = entry32(pd + i * 4);
    if (!(pde & 1)) continue;
    if (pse && pde & 0x80) {
      add(i * 0x400000, (pde & 0xffc00000) >>> 0, 0x400000, pde);
      continue;
    }
    const pt = (pde & 0xfffff000) >>> 0;
    for (let j = 0; j < 1024; j++) {
      const pte = entry32(pt + j * 4);
      // Rights are the AND of both levels.
      if (pte & 1) add(i * 0x400000 + j * 4096, (pte & 0xfffff000) >>> 0, 4096, pte & pde);
    }
  }
  return out;
}

export interface AddressSpace {
  cr3: number;
  loads: number;
  current: boolean;
}

/** The address spaces (CR3 values) loaded recently, most used first. */
export function addressSpaces(core: Core): AddressSpace[] {
  const dv = core.memory;
  const base = OFF_CR3_TABLE;
  const slots = CR3_SLOTS;
  const current = (core.cr(3) & ~0xfff) >>> 0;
  const out: AddressSpace[] = [];
  for (let i = 0; i < slots; i++) {
    const loads = Number(dv.getBigUint64(base + i * 16 + 8, true));
    if (loads) {
      const cr3 = dv.getUint32(base + i * 16, true);
      out.push({ cr3, loads, current: cr3 === current });
    }
  }
  return out.sort((a, b) => b.loads - a.loads);
}
