// The core through its ABI, in the situations the differential test (CPL 3,
// flat segments) never reaches: the reset state, real mode from the reset
// vector, interrupts, and faults that escalate to a triple fault. Expected
// values come from the Intel SDM (vol. 3, "Processor State After Reset", the
// IVT layout and the double-fault rules), not from this core.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { ExitReason } from '../../src/core/core.ts';

const MiB = 1024 * 1024;

/** Flat 32-bit protected mode at CPL 0, paging off, a stack at 0x8000. */
function flat(c: ReturnType<typeof createCore>): void {
  for (let s = 0; s < 6; s++) c.setSegment(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  c.setCr(0, 0x11);
  c.setReg(4, 0x8000);
}

describe('core ABI', () => {
  it('refuses a RAM size that is not a positive multiple of 4 KiB, naming it', () => {
    expect(() => createCore(1000)).toThrow(/multiple of 4 KiB, got 1000/);
    expect(() => createCore(0)).toThrow(/multiple of 4 KiB/);
  });

  it('starts in the reset state of the SDM', () => {
    const c = createCore(MiB);
    expect(c.eip).toBe(0xfff0);
    expect(c.segment(1)).toMatchObject({ selector: 0xf000, base: 0xffff0000, limit: 0xffff });
    for (const s of [0, 2, 3, 4, 5]) expect(c.segment(s)).toMatchObject({ selector: 0, base: 0, limit: 0xffff });
    expect(c.eflags).toBe(0x2);
    expect(c.cr(0)).toBe(0x60000010);
    expect(c.reg(2) >>> 8).toBe(0xf); // EDX holds the processor signature: family 15
  });
});

describe('real mode', () => {
  it('fetches the first instruction from the reset vector through MMIO, jumps into RAM and does port I/O', () => {
    // A 16-byte "ROM" at the top of the 4 GiB space: JMP FAR 0000:7C00.
    const rom = new Uint8Array(16).fill(0xf4);
    rom.set([0xea, 0x00, 0x7c, 0x00, 0x00]);
    const writes: [number, number, number][] = [];
    const c = createCore(MiB, {
      mmioRead: (addr, size) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (addr + i >= 0xfffffff0 ? rom[(addr + i) & 15] : 0xff) << (8 * i);
        return v >>> 0;
      },
      portOut: (port, size, value) => void writes.push([port, size, value]),
    });
    // mov ax, 0x1234; out 0x80, al; out 0x84, ax; hlt
    c.ram.set([0xb8, 0x34, 0x12, 0xe6, 0x80, 0xe7, 0x84, 0xf4], 0x7c00);
    expect(c.run(100)).toBe(ExitReason.Halt);
    expect(writes).toEqual([
      [0x80, 1, 0x34],
      [0x84, 2, 0x1234],
    ]);
    expect(c.segment(1).base).toBe(0);
    expect(c.eip).toBe(0x7c08); // after the HLT
  });

  it('delivers an external interrupt through the IVT and returns with IRET', () => {
    let acknowledged = 0;
    const c = createCore(MiB, {
      acknowledgeInterrupt: () => {
        acknowledged++;
        c.irqPending = false;
        return 0x08;
      },
    });
    // IVT entry 8 -> 0000:0500; handler: inc bx; iret
    new DataView(c.ram.buffer, c.ram.byteOffset).setUint32(8 * 4, 0x00000500, true);
    c.ram.set([0x43, 0xcf], 0x500);
    // Program at 0x7c00: sti; nop; hlt   (the interrupt arrives while halted)
    c.ram.set([0xfb, 0x90, 0xf4, 0xf4], 0x7c00);
    c.setSegment(1, { selector: 0, base: 0, limit: 0xffff, attr: 0x9b });
    c.eip = 0x7c00;
    c.setReg(4, 0x7000);
    expect(c.run(100)).toBe(ExitReason.Halt);
    expect(c.eip).toBe(0x7c03);
    c.irqPending = true;
    expect(c.run(100)).toBe(ExitReason.Halt); // wakes, runs the handler, returns, halts again
    expect(acknowledged).toBe(1);
    expect(c.reg(3) & 0xffff).toBe(1);
    expect(c.eip).toBe(0x7c04);
    expect(c.reg(4)).toBe(0x7000); // IRET popped what delivery pushed
  });

  it('holds an interrupt off for one instruction after STI', () => {
    const c = createCore(MiB, {
      acknowledgeInterrupt: () => {
        c.irqPending = false;
        return 0x08;
      },
    });
    new DataView(c.ram.buffer, c.ram.byteOffset).setUint32(8 * 4, 0x00000500, true);
    c.ram.set([0xf4], 0x500); // the handler halts, so EIP tells where we were interrupted
    c.ram.set([0xfb, 0x43, 0x43, 0xf4], 0x7c00); // sti; inc bx; inc bx; hlt
    c.setSegment(1, { selector: 0, base: 0, limit: 0xffff, attr: 0x9b });
    c.eip = 0x7c00;
    c.setReg(4, 0x7000);
    c.irqPending = true;
    expect(c.run(100)).toBe(ExitReason.Halt);
    // STI, then the shadowed INC BX, then the interrupt: exactly one INC ran.
    expect(c.reg(3) & 0xffff).toBe(1);
    expect(c.eip).toBe(0x501);
    const ret = new DataView(c.ram.buffer, c.ram.byteOffset).getUint16(0x7000 - 6, true);
    expect(ret).toBe(0x7c02);
  });
});

describe('identification and time', () => {
  it('CPUID reports a GenuineIntel Pentium 4 (family 15) and only features the core has', () => {
    const c = createCore(MiB);
    flat(c);
    // xor eax,eax; cpuid; mov [0x100],ebx; mov [0x104],edx; mov [0x108],ecx; mov eax,1; cpuid; hlt
    c.ram.set([0x31, 0xc0, 0x0f, 0xa2, 0x89, 0x1d, 0, 1, 0, 0, 0x89, 0x15, 4, 1, 0, 0, 0x89, 0x0d, 8, 1, 0, 0, 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xf4], 0x1000);
    c.eip = 0x1000;
    expect(c.run(100)).toBe(ExitReason.Halt);
    expect(Buffer.from(c.ram.subarray(0x100, 0x10c)).toString('latin1')).toBe('GenuineIntel');
    expect((c.reg(0) >> 8) & 0xf).toBe(15);
    const edx = c.reg(2);
    const ecx = c.reg(1);
    for (const bit of [0, 4, 6, 8, 15]) expect((edx >>> bit) & 1).toBe(1); // FPU, TSC, PAE, CMPXCHG8B, CMOV: all implemented
    for (const bit of [19, 23, 24, 25, 26]) expect((edx >>> bit) & 1).toBe(1); // CLFSH, MMX, FXSR, SSE, SSE2 (asm/cpu/sse)
    expect(ecx & 1).toBe(1); // SSE3
    for (const bit of [3, 9, 13, 19]) expect((ecx >>> bit) & 1).toBe(0); // no MONITOR, SSSE3, CMPXCHG16B, SSE4.1
    for (const bit of [12, 14, 16, 17]) expect((edx >>> bit) & 1).toBe(0); // no MTRR, MCA, PAT, PSE-36
  });

  it('RDTSC counts retired instructions, so it is the same on every run', () => {
    const runOnce = () => {
      const c = createCore(MiB);
      flat(c);
      // rdtsc; mov ebx,eax; nop x3; rdtsc; sub eax,ebx; hlt
      c.ram.set([0x0f, 0x31, 0x89, 0xc3, 0x90, 0x90, 0x90, 0x0f, 0x31, 0x29, 0xd8, 0xf4], 0x1000);
      c.eip = 0x1000;
      expect(c.run(100)).toBe(ExitReason.Halt);
      return c.reg(0);
    };
    expect(runOnce()).toBe(5); // mov and three nops retire between the two reads
    expect(runOnce()).toBe(runOnce());
  });
});

describe('ring 0', () => {
  it('INS reads the port only for a destination it can write, and writes it once', () => {
    let reads = 0;
    const writes: number[] = [];
    const c = createCore(MiB, {
      portIn: () => 0x40 + reads++,
      mmioWrite: (addr) => void writes.push(addr),
    });
    flat(c);
    c.setMmioPages(0x80, 0x81); // device memory at 0x80000
    // mov edi, 0x3000; mov ecx, 3; rep insb; mov edi, 0x80000; insb; hlt
    c.ram.set([0xbf, 0, 0x30, 0, 0, 0xb9, 3, 0, 0, 0, 0xf3, 0x6c, 0xbf, 0, 0, 8, 0, 0x6c, 0xf4], 0x1000);
    c.eip = 0x1000;
    c.exceptionExitMask = 1 << 13;
    expect(c.run(100)).toBe(ExitReason.Halt);
    expect([...c.ram.subarray(0x3000, 0x3003)]).toEqual([0x40, 0x41, 0x42]);
    expect(writes).toEqual([0x80000]); // one store to the device, not a probe and then the value
    expect(reads).toBe(4);
    // A destination beyond the segment limit faults before the port is read.
    c.setSegment(0, { selector: 16, base: 0, limit: 0xfff, attr: 0x4093 });
    c.ram.set([0xbf, 0, 0x30, 0, 0, 0x6c, 0xf4], 0x1100);
    c.eip = 0x1100;
    c.halted = false;
    expect(c.run(100)).toBe(ExitReason.Exception);
    expect(c.lastException.vector).toBe(13);
    expect(reads).toBe(4);
  });

  it('has the P6 microcode signature MSR that Linux clears and reads back around CPUID', () => {
    const c = createCore(MiB);
    flat(c);
    // mov ecx, 0x8b; xor eax, eax; xor edx, edx; wrmsr; mov eax, 1; cpuid; mov ecx, 0x8b; rdmsr; hlt
    c.ram.set([0xb9, 0x8b, 0, 0, 0, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30, 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xb9, 0x8b, 0, 0, 0, 0x0f, 0x32, 0xf4], 0x1000);
    c.eip = 0x1000;
    c.setReg(2, 0xdead);
    c.exceptionExitMask = 1 << 13;
    expect(c.run(100)).toBe(ExitReason.Halt); // neither access raises #GP
    expect(c.reg(2)).toBe(0); // revision 0 in EDX: no microcode update was loaded
  });

  it('reads a control register with any ModRM mod as a register form: no displacement follows', () => {
    const c = createCore(MiB);
    flat(c);
    c.ram.set([0x0f, 0x20, 0x40, 0xf4], 0x1000); // mov eax, cr0 (mod=1 in the ModRM); hlt
    c.eip = 0x1000;
    expect(c.run(10)).toBe(ExitReason.Halt);
    expect(c.eip).toBe(0x1004);
    expect(c.reg(0)).toBe(0x11);
  });
});

describe('faults', () => {
  it('turns a fault with no usable IDT into a triple fault, reported to the host', () => {
    const c = createCore(MiB);
    // Protected mode, flat segments, an IDT with limit 0: #UD -> #GP (no gate) -> #DF -> shutdown.
    flat(c);
    c.setTable('IDTR', 0, 0);
    c.ram.set([0x0f, 0x0b], 0x1000); // ud2
    c.eip = 0x1000;
    expect(c.run(100)).toBe(ExitReason.TripleFault);
    // #UD is benign, so the #GP its delivery raises is delivered on its own; that
    // delivery raises a second #GP (contributory on contributory: #DF), and
    // delivering #DF raises the third, which shuts the processor down.
    const byVector = c.exceptionsByVector();
    expect(byVector[6]).toBe(1n);
    expect(byVector[13]).toBe(3n);
    expect(byVector[8]).toBe(1n);
  });

  it('reports an exception to the host instead of delivering it when asked to', () => {
    const c = createCore(MiB);
    c.exceptionExitMask = 1 << 0;
    c.ram.set([0x31, 0xc9, 0xf7, 0xf1], 0x7c00); // xor cx, cx; div cx
    c.setSegment(1, { selector: 0, base: 0, limit: 0xffff, attr: 0x9b });
    c.eip = 0x7c00;
    expect(c.run(100)).toBe(ExitReason.Exception);
    expect(c.lastException.vector).toBe(0);
    expect(c.eip).toBe(0x7c02); // a fault: EIP at the faulting DIV
  });
});
