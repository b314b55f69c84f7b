// Runs differential cases in glassbox, in the environment the native harness
// runs them in: a 32-bit Linux process on an x86_64 kernel. That is CPL 3
// with flat user segments (CS 0x23, data 0x2b, GS the TLS selector), paging
// with only the case's pages mapped (user, read/write), and an IDT whose
// gates are kernel-only except INT3 and INTO, so INT n faults as it does
// under Linux. Every exception stops the run and is reported.

import type { Core, JitMode } from '../../src/core/core.ts';
import { createCore } from '../../src/core/load-node.ts';
import { type Case, type Result, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, CODE_ADDR, fillPages, hashMemory } from './case.ts';
import { hideX87Pointers } from './x87-pointers.ts';
import { CR0_AM, CR0_ET, CR0_MP, CR0_NE, CR0_PE, CR0_PG, CR0_WP, OFF_FPU_CW, OFF_FPU_EXACT, OFF_FPU_ST, OFF_MXCSR, OFF_XMM } from '../../src/core-abi.ts';

const USER_CS = 0x23;
const USER_DS = 0x2b;
const USER_TLS = 0x63; // GDT entry 12, where Linux puts the first TLS slot

// Physical layout of the harness's system structures, and where they are mapped.
const SYS_PHYS = 0x100000; // GDT, IDT, page directory, page table
// Mapped supervisor-only at an address no edge value or case page is near:
// natively nothing is mapped there, so a stray user access must not find it either.
const SYS_LINEAR = 0x9d3c0000;
const GDT = 0;
const IDT = 0x1000;
const PAGE_DIR = 0x2000;
const PAGE_TABLE = 0x3000;
const PAGE_TABLE_HIGH = 0x4000;
const TSS = 0x4800;

const CR4_OSFXSR = 0x200,
  CR4_OSXMMEXCPT = 0x400;

function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

export class GlassboxRunner {
  readonly core: Core;
  private readonly mem: DataView;
  private readonly data: Uint32Array;
  private readonly stack: Uint32Array;
  /** Called for each case once the user state is reset, before it runs: a test's own segments, say. */
  afterReset?: (core: Core, k: Case) => void;

  /** `jit`: the translator mode (default: GLASSBOX_JIT, else interpret only). */
  constructor(jit?: JitMode) {
    this.core = createCore(2 * 1024 * 1024);
    if (jit) this.core.jit = jit;
    const ram = this.core.ram;
    this.mem = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    this.data = new Uint32Array(ram.buffer, ram.byteOffset + DATA_ADDR, DATA_SIZE / 4);
    this.stack = new Uint32Array(ram.buffer, ram.byteOffset + STACK_ADDR, STACK_SIZE / 4);
    this.buildSystemTables();
  }

  private w32(addr: number, v: number): void {
    this.mem.setUint32(addr, v >>> 0, true);
  }

  private buildSystemTables(): void {
    const gdt = SYS_PHYS + GDT;
    const put = (index: number, d: [number, number]) => {
      this.w32(gdt + index * 8, d[0]);
      this.w32(gdt + index * 8 + 4, d[1]);
    };
    put(2, descriptor(0, 0xfffff, 0x9b, 0xc)); // kernel code (0x10), the gates' target
    put(4, descriptor(0, 0xfffff, 0xfb, 0xc)); // user code 0x23
    put(5, descriptor(0, 0xfffff, 0xf3, 0xc)); // user data 0x2b
    put(12, descriptor(0, 0xfffff, 0xf3, 0xc)); // TLS 0x63
    const idt = SYS_PHYS + IDT;
    for (let v = 0; v < 256; v++) {
      const dpl = v === 3 || v === 4 ? 3 : 0;
      this.w32(idt + v * 8, (0x10 << 16) | 0);
      this.w32(idt + v * 8 + 4, 0x8e00 | (dpl << 13));
    }
    // Page tables: the case pages (user RW) and the system pages (supervisor only).
    const pd = SYS_PHYS + PAGE_DIR;
    this.w32(pd + 0, SYS_PHYS + PAGE_TABLE + 0x7);
    this.w32(pd + (SYS_LINEAR >>> 22) * 4, SYS_PHYS + PAGE_TABLE_HIGH + 0x3);
    const user = [DATA_ADDR, DATA_ADDR + 0x1000, STACK_ADDR, CODE_ADDR];
    for (const page of user) this.w32(SYS_PHYS + PAGE_TABLE + (page >>> 12) * 4, page | 0x7);
    // A TSS whose I/O map base lies past its limit: no port is allowed at CPL 3 (#GP), as under Linux.
    const tss = SYS_PHYS + TSS;
    this.mem.setUint16(tss + 0x66, 0x68, true);
    for (let i = 0; i < 5; i++) {
      const lin = SYS_LINEAR + i * 0x1000;
      this.w32(SYS_PHYS + PAGE_TABLE_HIGH + ((lin >>> 12) & 0x3ff) * 4, (SYS_PHYS + i * 0x1000) | 0x3);
    }
    const c = this.core;
    c.setTable('GDTR', SYS_LINEAR + GDT, 16 * 8 - 1);
    c.setTable('IDTR', SYS_LINEAR + IDT, 256 * 8 - 1);
    c.setTaskRegister(0x40, SYS_LINEAR + TSS, 0x67, 0x8b);
    c.setCr(3, SYS_PHYS + PAGE_DIR);
    c.setCr(0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG);
    c.setCr(4, CR4_OSFXSR | CR4_OSXMMEXCPT); // as Linux sets them on a CPU with FXSR and SSE
    c.exceptionExitMask = 0xffffffff;
    c.flushTlb();
  }

  private resetUserState(): void {
    const c = this.core;
    const flat = { base: 0, limit: 0xffffffff };
    for (let s = 0; s < 6; s++) {
      if (s === 1) c.setSegment(s, { selector: USER_CS, ...flat, attr: 0xc0fb });
      else if (s === 5) c.setSegment(s, { selector: USER_TLS, ...flat, attr: 0xc0f3 });
      else c.setSegment(s, { selector: USER_DS, ...flat, attr: 0xc0f3 });
    }
    c.cpl = 3;
    // As the native harness: x87 registers zero and empty, the rest as FNINIT leaves it.
    new Float64Array(c.ram.buffer, OFF_FPU_ST, 8).fill(0);
    new Uint32Array(c.ram.buffer, OFF_FPU_EXACT, 1)[0] = 0; // no exact 80-bit bits left from the last case
    new Uint32Array(c.ram.buffer, OFF_FPU_CW, 3).set([0x37f, 0, 0xff]);
    // And XMM0-7 zero, MXCSR at its default.
    new Uint8Array(c.ram.buffer, OFF_XMM, 128).fill(0);
    new Uint32Array(c.ram.buffer, OFF_MXCSR, 1)[0] = 0x1f80;
  }

  run(k: Case): Result {
    const c = this.core;
    fillPages(k.seed, this.data, this.stack);
    for (const p of k.presets) this.w32(p.addr, p.value);
    c.ram.fill(0xcc, CODE_ADDR, CODE_ADDR + 0x1000);
    c.ram.set(k.code, CODE_ADDR);
    // Written behind the CPU: code translated from these pages by the last case goes.
    c.ramWritten(DATA_ADDR, DATA_SIZE);
    c.ramWritten(STACK_ADDR, STACK_SIZE);
    c.ramWritten(CODE_ADDR, 0x1000);
    this.resetUserState();
    this.afterReset?.(c, k);
    for (let i = 0; i < 8; i++) c.setReg(i, k.regs[i]);
    c.eflags = (k.eflags | 2) >>> 0;
    c.eip = CODE_ADDR;
    const exit = c.run(100_000);
    const exc = c.lastException;
    const vector = exit === 2 ? exc.vector : 0xfffffffe; // 0xfffffffe: did not finish (an endless loop)
    const regs = Array.from({ length: 8 }, (_, i) => c.reg(i));
    // Linux reports the EFLAGS image the CPU pushed for the exception; for a
    // fault (not the traps #DB, #BP, #OF) that image has RF set.
    const fault = exit === 2 && ![1, 3, 4].includes(exc.vector);
    // What the host's CPU stores differently in x87 images, cleared as the harness clears it.
    if (k.x87Hide) hideX87Pointers(k, { get: (a) => this.mem.getUint32(a, true), set: (a, v) => this.w32(a, v) });
    return {
      regs,
      eip: c.eip,
      eflags: (fault ? c.eflags | 0x10000 : c.eflags) >>> 0,
      vector,
      errorCode: exit === 2 ? exc.errorCode : 0,
      faultAddr: exit === 2 && exc.vector === 14 ? c.cr(2) : 0,
      segs: Array.from({ length: 6 }, (_, i) => c.segment(i).selector),
      memHash: hashMemory(this.data, this.stack),
    };
  }
}
