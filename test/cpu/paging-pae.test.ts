// PAE paging (SDM vol. 3, 4.4): the PDPTE registers loaded by MOV CR3 and by
// turning paging on, 64-bit directory and table entries, 2 MiB pages,
// accessed and dirty bits in the low half of an entry, and the reserved-bit
// checks: #GP(0) for a bad PDPTE at load time, #PF with the RSVD bit (error
// code bit 3) for a bad directory or table entry at walk time; and NX: with
// EFER.NXE, bit 63 of a directory or table entry (XD) forbids instruction
// fetches from the page, and #PF reports fetches with the I/D bit (4). The
// expected values are the SDM's rules applied to the tables each test builds.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { ExitReason } from '../../src/core/core.ts';
import { listMappings, walkAddress } from '../../src/inspect/mmu.ts';

const PDPT = 0x10000;
const PD0 = 0x11000; // PDPTE 0: linear 0 - 1 GiB
const PD1 = 0x12000; // PDPTE 1: linear 1 - 2 GiB
const PT = 0x13000; // the 4 KiB pages of linear 0x400000 - 0x5fffff
const CODE = 0x1000;

const P = 1,
  RW = 2,
  A = 0x20,
  D = 0x40,
  PS = 0x80;
const XD = 0x80000000; // bit 63, in the high half

function machine() {
  const c = createCore(4 * 1024 * 1024);
  for (let s = 0; s < 6; s++) c.setSegment(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  c.setCr(0, 0x11);
  c.setReg(4, 0x8000);
  const dv = new DataView(c.ram.buffer, c.ram.byteOffset, c.ram.byteLength);
  const entry = (addr: number, low: number, high = 0) => {
    dv.setUint32(addr, low >>> 0, true);
    dv.setUint32(addr + 4, high >>> 0, true);
  };
  entry(PDPT + 0, PD0 | P);
  entry(PDPT + 8, PD1 | P);
  entry(PD0 + 0 * 8, 0x000000 | P | RW | PS); // linear 0 - 2 MiB: identity, a 2 MiB page
  entry(PD0 + 2 * 8, PT | P | RW); // linear 0x400000 - 0x5fffff: a page table
  entry(PT + 0 * 8, 0x30000 | P | RW); // 0x400000 -> 0x30000
  entry(PT + 1 * 8, 0x31000 | P | RW, 0x10); // 0x401000: bit 36 set, reserved on a 36-bit part
  entry(PD1 + 0 * 8, 0x200000 | P | RW | PS); // 0x40000000 -> 0x200000, a 2 MiB page
  entry(PD1 + 1 * 8, 0x400000 | P | RW | PS | 0x2000); // 0x40200000: bit 13 of a 2 MiB PDE is reserved
  entry(PT + 2 * 8, 0x32000 | P | RW, XD); // 0x402000: execute disable (reserved without EFER.NXE)
  entry(PT + 4 * 8, 0x34000 | P | RW); // 0x404000: executable
  c.ram.set([0xb8, 0x77, 0, 0, 0, 0xf4], 0x32000); // mov eax, 0x77; hlt: in both pages
  c.ram.set([0xb8, 0x77, 0, 0, 0, 0xf4], 0x34000);
  return { c, dv };
}

// mov eax, PDPT; mov cr3, eax; mov eax, cr4; or eax, 0x20; mov cr4, eax;
// mov eax, cr0; or eax, 0x80000000; mov cr0, eax
const ENABLE_PAE = [0xb8, ...le(PDPT), 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0x0f, 0x20, 0xc0, 0x0d, 0, 0, 0, 0x80, 0x0f, 0x22, 0xc0];

function le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

function run(c: ReturnType<typeof createCore>, code: number[]) {
  c.ram.set([...ENABLE_PAE, ...code, 0xf4], CODE);
  c.eip = CODE;
  c.exceptionExitMask = (1 << 13) | (1 << 14);
  return c.run(1000);
}

describe('PAE paging', () => {
  it('translates 4 KiB and 2 MiB pages through 64-bit entries and sets A and D in their low halves', () => {
    const { c, dv } = machine();
    // mov dword [0x400010], 0x1234; mov eax, [0x40045678]; hlt
    const exit = run(c, [0xc7, 0x05, ...le(0x400010), ...le(0x1234), 0xa1, ...le(0x40045678)]);
    expect(exit).toBe(ExitReason.Halt);
    expect(dv.getUint32(0x30010, true)).toBe(0x1234);
    expect(dv.getUint32(PT, true) & (A | D)).toBe(A | D); // written: accessed and dirty
    expect(dv.getUint32(PD0 + 2 * 8, true) & A).toBe(A); // the directory entry on the way: accessed
    expect(dv.getUint32(PD1, true) & (A | D)).toBe(A); // the 2 MiB page was only read
    expect(dv.getUint32(PT + 4, true)).toBe(0); // the high halves stay as they were
  });

  it('reads guest memory through a 2 MiB page at the right offset', () => {
    const { c, dv } = machine();
    dv.setUint32(0x200000 + 0x45678, 0xcafef00d, true);
    expect(run(c, [0xa1, ...le(0x40045678)])).toBe(ExitReason.Halt); // mov eax, [0x40045678]
    expect(c.reg(0)).toBe(0xcafef00d);
  });

  it('lists the mappings the CPU uses: each page read through the CPU is the listed frame, and entries that fault are left out', () => {
    const listed = machine();
    expect(run(listed.c, [])).toBe(ExitReason.Halt);
    const mappings = listMappings(listed.c);
    expect(mappings.map((m) => [m.linear, m.bytes])).toEqual([
      [0, 0x200000],
      [0x400000, 0x1000],
      [0x404000, 0x1000],
      [0x40000000, 0x200000],
    ]);
    for (const m of mappings) {
      for (const offset of [0x800, m.bytes - 4]) {
        const { c, dv } = machine();
        dv.setUint32(m.physical + offset, 0x5a000000 + m.linear / 4096 + offset, true);
        expect(run(c, [0xa1, ...le(m.linear + offset)])).toBe(ExitReason.Halt); // mov eax, [linear]
        expect(c.reg(0)).toBe(dv.getUint32(m.physical + offset, true));
      }
    }
  });

  it('raises #PF with P and RSVD for a reserved bit in a table entry or a 2 MiB directory entry', () => {
    for (const [addr, what] of [
      [0x401000, 'table entry bit 36'],
      [0x40200000, '2 MiB directory entry bit 13'],
    ] as const) {
      const { c } = machine();
      expect(run(c, [0xa1, ...le(addr)]), what).toBe(ExitReason.Exception); // mov eax, [addr]
      expect(c.lastException.vector, what).toBe(14);
      expect(c.lastException.errorCode, what).toBe(0x9); // supervisor read, present, reserved bit
      expect(c.cr(2), what).toBe(addr);
    }
  });

  it('raises #PF without P for a linear address whose PDPTE is not present', () => {
    const { c } = machine();
    expect(run(c, [0xa1, ...le(0x80000000)])).toBe(ExitReason.Exception);
    expect(c.lastException.vector).toBe(14);
    expect(c.lastException.errorCode).toBe(0);
    expect(c.cr(2)).toBe(0x80000000);
  });

  it('refuses a PDPT with a reserved bit in a present entry at MOV CR3, with #GP(0) and CR3 unchanged', () => {
    const { c, dv } = machine();
    dv.setUint32(0x20000, PD0 | P | RW, true); // R/W is reserved in a PAE PDPTE
    // mov eax, 0x20000; mov cr3, eax
    expect(run(c, [0xb8, ...le(0x20000), 0x0f, 0x22, 0xd8])).toBe(ExitReason.Exception);
    expect(c.lastException.vector).toBe(13);
    expect(c.lastException.errorCode).toBe(0);
    expect(c.eip).toBe(CODE + ENABLE_PAE.length + 5); // the MOV CR3 itself faulted
    expect(c.cr(3)).toBe(PDPT);
  });

  it("answers the inspector with the MMU's own walk: what a real access finds, with no A/D bit set and no TLB miss counted", () => {
    const cases = [0x400010, 0x40045678, 0x100, 0x401000, 0x40200000, 0x80000000, 0x600000];
    for (const addr of cases) {
      const { c, dv } = machine();
      expect(run(c, [])).toBe(ExitReason.Halt); // paging on, nothing touched yet
      const tables = c.ram.slice(PDPT, PT + 0x1000);
      const misses = c.counter('TLB_MISS');
      const w = walkAddress(c, addr, { write: false, user: false });
      expect(c.ram.slice(PDPT, PT + 0x1000), `${addr.toString(16)}: the walk changed the tables`).toEqual(tables);
      expect(c.counter('TLB_MISS')).toBe(misses);
      // The same access, by the CPU: mov eax, [addr] after the HLT.
      c.ram.set([0xa1, ...le(addr), 0xf4], CODE + 0x100);
      c.eip = CODE + 0x100;
      c.halted = false;
      const exit = c.run(1000);
      if (w.fault) {
        expect(exit, addr.toString(16)).toBe(ExitReason.Exception);
        expect(c.lastException.errorCode, addr.toString(16)).toBe(w.fault.errorCode);
        expect(w.physical).toBeNull();
      } else {
        expect(exit, addr.toString(16)).toBe(ExitReason.Halt);
        expect(c.reg(0), addr.toString(16)).toBe(dv.getUint32(w.physical!, true));
        expect(w.steps.map((s) => s.level)).toEqual(addr < 0x200000 || addr >= 0x40000000 ? ['PDPT', 'PD'] : ['PDPT', 'PD', 'PT']);
      }
    }
  });
});

// mov ecx, 0xc0000080; mov eax, 0x800; xor edx, edx; wrmsr: EFER.NXE on
const NXE_ON = [0xb9, ...le(0xc0000080), 0xb8, ...le(0x800), 0x31, 0xd2, 0x0f, 0x30];
// mov eax, target; jmp eax
const jumpTo = (target: number) => [0xb8, ...le(target), 0xff, 0xe0];

describe('NX (execute disable) with PAE', () => {
  it('CPUID leaf 0x80000001 says NX', () => {
    const { c } = machine();
    // mov eax, 0x80000000; cpuid; mov esi, eax; mov eax, 0x80000001; cpuid
    expect(run(c, [0xb8, ...le(0x80000000), 0x0f, 0xa2, 0x89, 0xc6, 0xb8, ...le(0x80000001), 0x0f, 0xa2])).toBe(ExitReason.Halt);
    expect(c.reg(6) >>> 0).toBeGreaterThanOrEqual(0x80000001);
    expect((c.reg(2) >>> 20) & 1).toBe(1);
  });

  it('reads an XD page, but a fetch from it is #PF with P and I/D, also when the read filled the TLB', () => {
    const { c } = machine();
    // mov eax, [0x402000] (the TLB now holds the page); then jump there
    expect(run(c, [...NXE_ON, 0xa1, ...le(0x402000), ...jumpTo(0x402000)])).toBe(ExitReason.Exception);
    expect(c.reg(0) >>> 0).toBe(0x402000);
    expect(c.lastException.vector).toBe(14);
    expect(c.lastException.errorCode).toBe(0x11); // supervisor, present, instruction fetch
    expect(c.cr(2)).toBe(0x402000);
  });

  it('fetches from an XD page on the first touch fault the same way', () => {
    const { c } = machine();
    expect(run(c, [...NXE_ON, ...jumpTo(0x402000)])).toBe(ExitReason.Exception);
    expect(c.lastException.errorCode).toBe(0x11);
    expect(c.cr(2)).toBe(0x402000);
  });

  it('runs code from a page without XD', () => {
    const { c } = machine();
    expect(run(c, [...NXE_ON, ...jumpTo(0x404000)])).toBe(ExitReason.Halt);
    expect(c.reg(0)).toBe(0x77);
  });

  it('sets I/D for a fetch from a page that is not present, only with NXE', () => {
    for (const nxe of [true, false]) {
      const { c } = machine();
      expect(run(c, [...(nxe ? NXE_ON : []), ...jumpTo(0x403000)])).toBe(ExitReason.Exception);
      expect(c.lastException.errorCode, `NXE ${nxe}`).toBe(nxe ? 0x10 : 0);
    }
  });

  it('treats bit 63 as reserved without NXE', () => {
    const { c } = machine();
    expect(run(c, [0xa1, ...le(0x402000)])).toBe(ExitReason.Exception);
    expect(c.lastException.errorCode).toBe(0x9); // present, reserved bit
  });

  it('keeps EFER to NXE: any other bit is #GP(0)', () => {
    const { c } = machine();
    // mov ecx, 0xc0000080; mov eax, 0x100 (LME); xor edx, edx; wrmsr
    expect(run(c, [0xb9, ...le(0xc0000080), 0xb8, ...le(0x100), 0x31, 0xd2, 0x0f, 0x30])).toBe(ExitReason.Exception);
    expect(c.lastException.vector).toBe(13);
  });
});
