// Forks whose RAM is filled by page on demand, on a bare PC running a few
// instructions with paging on (so the page walk's accessed and dirty bits
// are physical writes too), interpreted and translated. The oracle is the
// plain way: a machine given a whole copy of the parent's RAM up front.
// A fork must see its parent's RAM as it was at the fork however the parent
// wrote it afterwards, and run to the very state the whole copy runs to.

import { describe, expect, it } from 'vitest';
import { Core, type JitMode } from '../../src/core/core.ts';
import { coreModule } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { enterFlatProtectedMode } from '../../src/boot/flat-protected-mode.ts';
import { LazyRam } from '../../src/snapshot/lazy-ram.ts';
import { walkAddress } from '../../src/inspect/mmu.ts';

const RAM = 16 << 20;
const CODE = 0x1000;
const PAGE_DIRECTORY = 0x10000;

// mov dword [0x200000], 0x11111111; mov eax, [0x300000]; mov [0x300004], eax; add dword [0x300000], 1; hlt
const PROGRAM = [
  0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x11, 0x11, 0x11, 0x11, 0xa1, 0x00, 0x00, 0x30, 0x00, 0xa3, 0x04, 0x00, 0x30, 0x00, 0x83, 0x05, 0x00, 0x00, 0x30, 0x00, 0x01, 0xf4,
];

const machine = (jit: JitMode) => new PcMachine((h) => Core.create(coreModule(), RAM, h, { jit }), RAM);

/** A machine about to run PROGRAM with 4 MiB identity pages. */
function parent(jit: JitMode): PcMachine {
  const pc = machine(jit);
  const ram = pc.core.ram;
  enterFlatProtectedMode(pc.core, 0x800);
  ram.set(PROGRAM, CODE);
  const pd = new DataView(ram.buffer, ram.byteOffset + PAGE_DIRECTORY, 4096);
  for (let i = 0; i < RAM >> 22; i++) pd.setUint32(i * 4, (i << 22) | 0x83, true); // present, writable, 4 MiB
  ram.fill(0x22, 0x200000, 0x200010);
  new DataView(ram.buffer, ram.byteOffset + 0x300000).setUint32(0, 0xaabbccdd, true);
  pc.core.setCr(4, 0x10); // PSE
  pc.core.setCr(3, PAGE_DIRECTORY);
  pc.core.setCr(0, 0x80000011);
  pc.core.eip = CODE;
  pc.core.flushTlb();
  return pc;
}

/** A machine in `from`'s state, its RAM filled from `from` as the guest reaches it. */
function lazyFork(from: PcMachine, jit: JitMode): PcMachine {
  const records = structuredClone(from.state.save());
  const pc = machine(jit);
  pc.state.load(records);
  LazyRam.restore(pc.core, LazyRam.fork(from.core));
  return pc;
}

/** A machine in `from`'s state with a whole copy of its RAM: the oracle. */
function wholeCopy(from: PcMachine, jit: JitMode): PcMachine {
  const pc = machine(jit);
  pc.state.load(structuredClone(from.state.save()));
  pc.core.ram.set(from.core.ram);
  return pc;
}

const runToHalt = (pc: PcMachine) => pc.core.run(1000);

describe.each(['off', 'first'] as const)('a lazily filled fork (translator %s)', (jit) => {
  it('sees its parent as it was at the fork, and runs as a whole copy does', () => {
    const p = parent(jit);
    const before = p.core.ram.slice();
    const oracle = wholeCopy(p, jit);
    const child = lazyFork(p, jit);
    const grandchild = lazyFork(child, jit);
    const looker = lazyFork(p, jit);
    // Nothing was copied: the child's memory is still zeros where the parent's data lies.
    expect(child.core.residentRam[0x300000]).toBe(0);
    // The inspector reads the pages it looks at, and only those.
    expect(walkAddress(child.core, 0x300000).physical).toBe(0x300000);
    expect(child.core.ramForRead(0x300000, 4).subarray(0x300000, 0x300004)).toEqual(Uint8Array.of(0xdd, 0xcc, 0xbb, 0xaa));
    expect(child.core.residentRam[0x200000]).toBe(0);

    runToHalt(p);
    const value = new DataView(p.core.ram.buffer, p.core.ram.byteOffset + 0x300000);
    expect([value.getUint32(0, true), value.getUint32(4, true)]).toEqual([0xaabbccde, 0xaabbccdd]);
    // The parent's writes (its stores and the page walk's A/D bits) are not the fork's.
    expect(Buffer.from(looker.core.ram).equals(Buffer.from(before))).toBe(true);

    for (const m of [oracle, child, grandchild]) runToHalt(m);
    for (const m of [child, grandchild, p]) {
      expect(m.state.save()).toEqual(oracle.state.save()); // registers, counters (TLB misses and hits too), devices
      expect(Buffer.from(m.core.ram).equals(Buffer.from(oracle.core.ram))).toBe(true);
    }
  });

  it('keeps a page for every fork that still reads it', () => {
    const p = parent(jit);
    const before = p.core.ram.slice();
    const first = lazyFork(p, jit);
    const second = lazyFork(p, jit);
    runToHalt(p);
    // Both forks were made before the parent wrote: each finds the page as it was.
    for (const m of [first, second]) expect(Buffer.from(m.core.ram).equals(Buffer.from(before))).toBe(true);
  });
});
