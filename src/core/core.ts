// The TypeScript face of the WebAssembly core: instantiation, the host
// imports, and typed views of guest RAM and the CPU state block.
//
// Offsets and bits come from src/core-abi.ts, generated from the module's own
// exports, so the layout is defined once, in asm/cpu/state.ts; a core whose
// exports disagree with it is refused when it is instantiated.

import { bytesField, StateError, type StateRecord, type Stateful } from '../state/records.ts';
import * as ABI from '../core-abi.ts';
import type { CoreExports } from '../core-exports.ts';
import { Translator, JIT_MODES, type JitMode, type JitStats } from './jit/translator.ts';
import type { RegionCompiler } from './jit/compile-job.ts';
import type { CoreLayout } from './jit/abi.ts';

export type { JitMode, JitStats };

/**
 * The translator mode a core starts in: GLASSBOX_JIT in Node (off, on,
 * first), else on (hot code compiled, in Node and in the browser's worker).
 * 'first' translates every instruction on its first execution, so any test
 * run with it exercises translated code; 'off' interprets only.
 */
export function defaultJitMode(): JitMode {
  const env = typeof process !== 'undefined' ? process.env?.GLASSBOX_JIT : undefined;
  if (env === undefined || env === '') return 'on';
  if (!(JIT_MODES as readonly string[]).includes(env)) throw new Error(`GLASSBOX_JIT must be one of ${JIT_MODES.join(', ')}, got '${env}'`);
  return env as JitMode;
}

/** What the core asks of the machine around it. */
export interface CoreHost {
  portIn(port: number, size: number): number;
  portOut(port: number, size: number, value: number): void;
  mmioRead(addr: number, size: number): number;
  mmioWrite(addr: number, size: number, value: number): void;
  /** The vector of the interrupt the CPU is accepting, or -1 if the request went away. */
  acknowledgeInterrupt(): number;
}

/**
 * Fills and watches guest RAM by pages for a machine restored or forked
 * lazily (src/snapshot/lazy-ram.ts). The core calls it from inside run().
 */
export interface RamPager {
  /** Page `page` is absent: fill it (from the snapshot or the fork's parent) and clear its WATCH_ABSENT bit. */
  pageIn(page: number): void;
  /** Page `page` is about to be written: keep what it holds for whoever still reads it, and clear its WATCH_WRITE bit. */
  pageWrite(page: number): void;
  /** Leaves no page absent or watched: the host is about to read or write RAM itself. */
  settle(): void;
}

/** PAGE_WATCH bits (asm/cpu/state.ts). */
export const { WATCH_ABSENT, WATCH_WRITE } = ABI;

/** Why run() returned (asm/cpu/state.ts EXIT_*). */
export const ExitReason = {
  Budget: ABI.EXIT_BUDGET,
  Halt: ABI.EXIT_HLT,
  Exception: ABI.EXIT_EXCEPTION,
  TripleFault: ABI.EXIT_TRIPLE_FAULT,
  HostRequest: ABI.EXIT_HOST_REQUEST,
  Breakpoint: ABI.EXIT_BREAKPOINT,
} as const;
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/** Throws unless every constant in src/core-abi.ts is what this build of the core exports. */
function checkAbi(exports: WebAssembly.Exports, layout: Map<string, number>): void {
  for (const [name, value] of Object.entries(ABI)) {
    const g = exports[name];
    if (!(g instanceof WebAssembly.Global)) throw new Error(`the core exports no ${name}, which src/core-abi.ts names: rebuild it with npm run build:asm`);
    const got = layout.get(name);
    if (got !== value) throw new Error(`the core exports ${name} = ${got}, src/core-abi.ts says ${value}: rebuild with npm run build:asm`);
  }
}

// Read once per compiled module: every instance starts with the same values,
// and reading some hundreds of globals and checking them took 4 ms of each fork.
const constantsByModule = new WeakMap<WebAssembly.Module, ReadonlyMap<string, number>>();

/** The values of the globals a fresh instance of `module` exports, checked against src/core-abi.ts. */
function exportedConstants(module: WebAssembly.Module, instance: WebAssembly.Instance): ReadonlyMap<string, number> {
  const known = constantsByModule.get(module);
  if (known) return known;
  const offsets = new Map<string, number>();
  for (const [name, value] of Object.entries(instance.exports)) {
    if (value instanceof WebAssembly.Global) offsets.set(name, value.value as number);
  }
  checkAbi(instance.exports, new Map([...offsets].map(([n, v]) => [n, typeof v === 'number' ? v >>> 0 : Number(v)])));
  constantsByModule.set(module, offsets);
  return offsets;
}

/** The MMU's answer for one access (asm/cpu/memory.ts probeWalk). */
export interface Probe {
  /** The #PF error code the access would raise, or null when it succeeds. */
  fault: number | null;
  /** The physical address (36 bits under PAE); meaningful only without a fault. */
  physical: number;
  /** The paging entries the walk read, in order: where each lies and what it held. */
  entries: { address: number; entry: bigint }[];
}

/** Where this build's core keeps what compiled code reads and writes directly (a region job carries it). */
export const CORE_LAYOUT: CoreLayout = {
  OFF_REGS: ABI.OFF_REGS,
  OFF_EFLAGS: ABI.OFF_EFLAGS,
  TLB_BASE: ABI.TLB_BASE,
  OFF_CNT_TLB_HIT: ABI.OFF_CNT_TLB_HIT,
  OFF_SEG_BASE: ABI.OFF_SEG_BASE,
  OFF_SEG_FAST: ABI.OFF_SEG_FAST,
  SEG_FAST_READ: ABI.SEG_FAST_READ,
  SEG_FAST_WRITE: ABI.SEG_FAST_WRITE,
};

export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
export const REGISTER_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

const CR_OFFSETS = { 0: ABI.OFF_CR0, 2: ABI.OFF_CR2, 3: ABI.OFF_CR3, 4: ABI.OFF_CR4 } as const;
const COUNTER_OFFSETS = {
  TLB_HIT: ABI.OFF_CNT_TLB_HIT,
  TLB_MISS: ABI.OFF_CNT_TLB_MISS,
  TLB_FLUSH: ABI.OFF_CNT_TLB_FLUSH,
  EXCEPTIONS: ABI.OFF_CNT_EXCEPTIONS,
} as const;

const noDevices: CoreHost = {
  portIn: () => 0xffffffff,
  portOut: () => {},
  mmioRead: () => 0xffffffff,
  mmioWrite: () => {},
  acknowledgeInterrupt: () => -1,
};

/** What the imports reach, set once the core is built. */
interface Link {
  translator?: Translator;
  pager?: RamPager;
}

export class Core implements Stateful {
  readonly stateVersion = 1;
  private readonly x: CoreExports;
  /** Every constant the core exports, by name: what a saved state's layout must match. */
  private readonly offsets: ReadonlyMap<string, number>;
  /**
   * Guest RAM as it lies in the core's memory, without filling absent pages
   * (they read as zeros): for the pager, snapshots and ramForRead's callers;
   * everyone else uses `ram`.
   */
  readonly residentRam: Uint8Array;
  /** One byte per guest RAM page, the WATCH_* bits: the pager sets them, the core acts on them. */
  readonly pageWatch: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly dv: DataView;
  private readonly translator: Translator;

  private constructor(
    module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    readonly ramBytes: number,
    private readonly link: Link,
    jit: JitMode,
    compiler?: RegionCompiler,
  ) {
    this.x = instance.exports as unknown as CoreExports;
    this.offsets = exportedConstants(module, instance);
    if (!this.x.init(ramBytes)) throw new Error(`cannot allocate ${ramBytes / 1048576} MiB of guest RAM`);
    const buf = this.x.memory.buffer;
    this.residentRam = new Uint8Array(buf, ABI.RAM_BASE, ramBytes);
    this.pageWatch = new Uint8Array(buf, ABI.PAGE_WATCH, ramBytes / 4096);
    this.u32 = new Uint32Array(buf);
    this.dv = new DataView(buf);
    const x = this.x;
    this.translator = new Translator(
      {
        memory: x.memory,
        table: x.table,
        exports: x as unknown as Record<string, unknown>,
        ramBase: ABI.RAM_BASE,
        layout: CORE_LAYOUT,
        forget: (host, mode, slot) => x.jitForget(host, mode, slot),
        enter: (host, mode, slot, block) => x.jitEntry(host, mode, slot, block),
        forgetAll: () => x.jitForgetAll(),
        configure: (enabled, every, hot) => x.setTranslation(enabled ? 1 : 0, every ? 1 : 0, hot),
      },
      compiler,
    );
    link.translator = this.translator;
    // A fresh core interprets only already; setting 'off' again would zero the
    // translator's 2 MiB of tables, a fresh page each (a third of a fork's time).
    if (jit !== 'off') this.translator.setMode(jit);
  }

  /**
   * Instantiates the core from its compiled module with `ramBytes` of guest
   * RAM; `opts.compiler` compiles hot code in the background (default: in this thread).
   */
  static create(module: WebAssembly.Module, ramBytes: number, host: Partial<CoreHost> = {}, opts: { jit?: JitMode; compiler?: RegionCompiler } = {}): Core {
    if (ramBytes <= 0 || ramBytes % 4096 !== 0) throw new Error(`RAM size must be a positive multiple of 4 KiB, got ${ramBytes}`);
    const h = { ...noDevices, ...host };
    const env = {
      portIn: (port: number, size: number) => h.portIn(port, size) >>> 0,
      portOut: (port: number, size: number, value: number) => h.portOut(port, size, value >>> 0),
      mmioRead: (addr: number, size: number) => h.mmioRead(addr >>> 0, size) >>> 0,
      mmioWrite: (addr: number, size: number, value: number) => h.mmioWrite(addr >>> 0, size, value >>> 0),
      acknowledgeInterrupt: () => h.acknowledgeInterrupt() | 0,
      jitCompile: (hostAddr: number, mode: number) => link.translator?.compile(hostAddr >>> 0, mode) ?? 0,
      jitInvalidate: (page: number) => link.translator?.invalidate(page >>> 0),
      pageIn: (page: number) => link.pager!.pageIn(page >>> 0),
      pageWrite: (page: number) => link.pager!.pageWrite(page >>> 0),
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`glassbox core aborted at ${line}:${col}`);
      },
    };
    const link: Link = {};
    return new Core(module, new WebAssembly.Instance(module, { env }), ramBytes, link, opts.jit ?? defaultJitMode(), opts.compiler);
  }

  /**
   * Guest physical memory, zero-copy, every page filled: a host that reads
   * or writes it directly (a loader, DMA, the inspector) gets it here, and a
   * lazily restored or forked machine fills its absent pages first.
   */
  get ram(): Uint8Array {
    this.link.pager?.settle();
    return this.residentRam;
  }

  /**
   * Guest RAM for reading [addr, addr + len) only (the inspector): those
   * pages are filled first, the rest may still read as zeros.
   */
  ramForRead(addr: number, len: number): Uint8Array {
    return this.ramFor(addr, len, WATCH_ABSENT);
  }

  /**
   * Guest RAM for reading and writing [addr, addr + len) (a device's DMA):
   * those pages are filled, and kept for the forks that still read them,
   * first; the rest may still be absent, so a restore does not fill all of
   * RAM at the first ring a device looks at.
   */
  ramForWrite(addr: number, len: number): Uint8Array {
    return this.ramFor(addr, len, WATCH_ABSENT | WATCH_WRITE);
  }

  private ramFor(addr: number, len: number, bits: number): Uint8Array {
    const pager = this.link.pager;
    if (pager && len > 0) {
      const watch = this.pageWatch;
      const last = Math.min((addr + len - 1) >>> 12, watch.length - 1);
      for (let p = addr >>> 12; p <= last; p++) {
        if (watch[p]! & bits & WATCH_ABSENT) pager.pageIn(p);
        if (watch[p]! & bits & WATCH_WRITE) pager.pageWrite(p);
      }
    }
    return this.residentRam;
  }

  /** Who fills absent pages and hears of writes to watched ones (src/snapshot/lazy-ram.ts). */
  get pager(): RamPager | undefined {
    return this.link.pager;
  }
  set pager(p: RamPager | undefined) {
    this.link.pager = p;
  }

  /** After the pager changed `pageWatch`: translations filled before it go (uncounted), so each page's next access sees its bits. */
  pagesWatched(): void {
    this.x.pagesWatched();
  }

  /** The exported offsets by name, one per line, sorted: what a saved state's layout must match. */
  layoutText(): string {
    return [...this.offsets]
      .map(([n, v]) => `${n}=${v}`)
      .sort()
      .join('\n');
  }

  private word(offset: number, index = 0): number {
    return this.u32[(offset >>> 2) + index];
  }
  private setWord(offset: number, value: number, index = 0): void {
    this.u32[(offset >>> 2) + index] = value >>> 0;
  }

  /**
   * The CPU's whole state: everything below the TLB in the core's memory (the
   * state block, with the run loop's globals copied in, and the inspector's
   * counters). Saving flushes the TLB, as loading does, so the machine saved
   * and the one loaded go on alike. RAM is not in the record: a snapshot
   * keeps it by pages.
   */
  saveState(): StateRecord {
    this.x.saveHotState();
    const start = ABI.STATE_BASE;
    const block = new Uint8Array(this.x.memory.buffer.slice(start, ABI.TLB_BASE));
    // Why the last run() returned is an answer to the host, not machine state (it depends on where slices ended).
    new DataView(block.buffer).setUint32(ABI.OFF_EXIT_REASON - start, 0, true);
    return { block };
  }

  loadState(r: StateRecord): void {
    const start = ABI.STATE_BASE;
    const block = bytesField(r, 'block', ABI.TLB_BASE - start);
    const ramSize = new DataView(block.buffer, block.byteOffset).getUint32(ABI.OFF_RAM_SIZE - start, true);
    if (ramSize !== this.ramBytes) throw new StateError(`the saved CPU had ${ramSize} bytes of RAM, this one has ${this.ramBytes}`);
    new Uint8Array(this.x.memory.buffer).set(block, start);
    this.x.loadHotState();
    // A state is loaded with the RAM it goes with: code compiled from what was there before goes.
    this.translator.dropAll();
  }

  /** Whether guest physical page `page` (4 KiB) holds only zeros. */
  pageIsZero(page: number): boolean {
    return this.x.pageIsZero(page) !== 0;
  }

  run(budget: number): ExitReason {
    return this.x.run(budget) as ExitReason;
  }
  reset(): void {
    this.x.reset();
    this.translator.dropAll();
  }

  /** Interpret only, translate hot code, or translate everything on first execution. */
  set jit(mode: JitMode) {
    this.translator.setMode(mode);
  }
  /** What the translator holds: live regions and the bytes of wasm they take. */
  get jitStats(): JitStats {
    return this.translator.stats();
  }
  /** Resolves once the regions being compiled in the background now are installed. */
  jitSettled(): Promise<void> {
    return this.translator.settled();
  }
  /**
   * The host wrote guest RAM [addr, addr + len) itself (DMA, a loader):
   * translated code there is dropped. Every writer of `ram` after the first
   * run() must say so.
   */
  ramWritten(addr: number, len: number): void {
    this.x.ramWritten(addr >>> 0, len >>> 0);
  }
  requestStop(): void {
    this.x.requestStop();
  }
  /** Drops cached translations after the host changed paging state; in PAE mode reloads the PDPTEs from CR3. */
  flushTlb(): void {
    if (!this.x.flushTlb()) throw new Error(`PAE: the page-directory-pointer table at CR3 0x${this.cr(3).toString(16)} has an entry with reserved bits set`);
  }
  setMmioPages(startPage: number, endPage: number): void {
    this.x.setMmioPages(startPage, endPage);
  }
  /**
   * Makes physical pages [startPage, endPage) write-protected RAM (or plain
   * RAM again): reads and fetches come from RAM, writes go to the host's
   * mmioWrite (a chipset's shadow RAM controls decide where they land).
   */
  setRomPages(startPage: number, endPage: number, protect: boolean): void {
    this.x.setRomPages(startPage, endPage, protect ? 1 : 0);
  }
  setA20(enabled: boolean): void {
    this.x.setA20(enabled ? 1 : 0);
  }

  reg(i: number): number {
    return this.word(ABI.OFF_REGS, i);
  }
  setReg(i: number, v: number): void {
    this.setWord(ABI.OFF_REGS, v, i);
  }
  get eip(): number {
    return this.word(ABI.OFF_EIP);
  }
  set eip(v: number) {
    this.setWord(ABI.OFF_EIP, v);
  }
  get eflags(): number {
    return this.word(ABI.OFF_EFLAGS);
  }
  set eflags(v: number) {
    this.setWord(ABI.OFF_EFLAGS, v);
  }
  get cpl(): number {
    return this.word(ABI.OFF_CPL);
  }
  set cpl(v: number) {
    this.setWord(ABI.OFF_CPL, v);
  }

  segment(i: number): { selector: number; base: number; limit: number; attr: number } {
    return {
      selector: this.word(ABI.OFF_SEG_SEL, i),
      base: this.word(ABI.OFF_SEG_BASE, i),
      limit: this.word(ABI.OFF_SEG_LIMIT, i),
      attr: this.word(ABI.OFF_SEG_ATTR, i),
    };
  }
  setSegment(i: number, s: { selector: number; base: number; limit: number; attr: number }): void {
    this.setWord(ABI.OFF_SEG_SEL, s.selector, i);
    this.setWord(ABI.OFF_SEG_BASE, s.base, i);
    this.setWord(ABI.OFF_SEG_LIMIT, s.limit, i);
    this.setWord(ABI.OFF_SEG_ATTR, s.attr, i);
  }

  cr(n: 0 | 2 | 3 | 4): number {
    return this.word(CR_OFFSETS[n]);
  }
  setCr(n: 0 | 2 | 3 | 4, v: number): void {
    this.setWord(CR_OFFSETS[n], v);
  }
  setTable(which: 'GDTR' | 'IDTR', base: number, limit: number): void {
    this.setWord(which === 'GDTR' ? ABI.OFF_GDTR_BASE : ABI.OFF_IDTR_BASE, base);
    this.setWord(which === 'GDTR' ? ABI.OFF_GDTR_LIMIT : ABI.OFF_IDTR_LIMIT, limit);
  }

  /** Loads TR's selector and hidden cache (attr: the descriptor access byte). */
  setTaskRegister(selector: number, base: number, limit: number, attr: number): void {
    this.setWord(ABI.OFF_TR_SEL, selector);
    this.setWord(ABI.OFF_TR_BASE, base);
    this.setWord(ABI.OFF_TR_LIMIT, limit);
    this.setWord(ABI.OFF_TR_ATTR, attr);
  }

  /** Exception vectors whose bit is set stop run() with ExitReason.Exception instead of being delivered. */
  set exceptionExitMask(mask: number) {
    this.setWord(ABI.OFF_EXC_EXIT_MASK, mask);
  }
  get lastException(): { vector: number; errorCode: number; hasErrorCode: boolean } {
    return {
      vector: this.word(ABI.OFF_EXC_VECTOR),
      errorCode: this.word(ABI.OFF_EXC_CODE),
      hasErrorCode: this.word(ABI.OFF_EXC_HAS_CODE) !== 0,
    };
  }

  get halted(): boolean {
    return this.word(ABI.OFF_HALTED) !== 0;
  }
  set halted(v: boolean) {
    this.setWord(ABI.OFF_HALTED, v ? 1 : 0);
  }
  /** The INTR line from the interrupt controller; safe to call from inside a port or MMIO callback. */
  set irqPending(v: boolean) {
    this.x.setInterruptLines(v ? 1 : 0, 0);
  }
  /** IA32_APIC_BASE as the guest set it; 0 when the machine has no local APIC (CPUID and the MSR then say there is none). */
  get apicBase(): number {
    return this.word(ABI.OFF_APIC_BASE);
  }
  set apicBase(v: number) {
    this.setWord(ABI.OFF_APIC_BASE, v);
  }
  raiseNmi(): void {
    this.x.setInterruptLines(this.word(ABI.OFF_IRQ_PENDING), 1);
  }

  /** The x87 state: control, status (TOP included) and tag words, and ST(0)-ST(7) as held (f64). */
  get fpu(): { control: number; status: number; empty: number; st: number[] } {
    const status = this.word(ABI.OFF_FPU_SW);
    const top = (status >> 11) & 7;
    const base = ABI.OFF_FPU_ST;
    const st: number[] = [];
    for (let i = 0; i < 8; i++) st.push(this.dv.getFloat64(base + ((top + i) & 7) * 8, true));
    return { control: this.word(ABI.OFF_FPU_CW), status, empty: this.word(ABI.OFF_FPU_EMPTY), st };
  }
  /** FERR#: an unmasked x87 exception met a waiting instruction with CR0.NE=0. */
  get fpuError(): boolean {
    return this.word(ABI.OFF_FPU_FERR) !== 0;
  }
  clearFpuError(): void {
    this.setWord(ABI.OFF_FPU_FERR, 0);
  }

  /** Instructions retired since power-on: the virtual clock. Exact even inside a device callback. */
  get instructions(): bigint {
    return this.x.instructionCount();
  }

  /** Guest time of the instructions retired so far, in TSC ticks of 10 ns (one per instruction at the nominal rate). Exact inside a device callback. */
  get instructionTicks(): bigint {
    return this.x.instructionTickCount();
  }

  /**
   * Ticks per instruction from the current instruction on, in 32.32 fixed
   * point, at most 2^32 (one); the ticks so far stay, so guest time and the
   * TSC never go back.
   */
  get tickRate(): bigint {
    return this.x.instructionRate();
  }
  set tickRate(rate: bigint) {
    this.x.setInstructionRate(rate);
  }

  /** Moves the TSC on by `ticks` (the machine skipped idle time). */
  advanceTsc(ticks: bigint): void {
    this.x.advanceTsc(ticks);
  }
  counter(name: keyof typeof COUNTER_OFFSETS): bigint {
    return this.dv.getBigUint64(COUNTER_OFFSETS[name], true);
  }
  /** The core's linear memory, for the inspector's reads of its counter and trace blocks. */
  get memory(): DataView {
    return this.dv;
  }
  /** Appends a host-side event (port I/O) to the trace ring, if its kind is enabled. */
  traceHost(kind: number, a: number, b: number, c: number): void {
    this.x.traceHost(kind, a >>> 0, b >>> 0, c >>> 0);
  }
  /**
   * Walks `linear` under `cr3` the way the CPU would for an access, with the
   * core's own walker, changing nothing: no accessed or dirty bit, no TLB
   * entry, no fault, no device read.
   */
  probeWalk(linear: number, cr3: number, access: { write: boolean; user: boolean }): Probe {
    const fault = this.x.probeWalk(linear >>> 0, cr3 >>> 0, access.write ? 1 : 0, access.user ? 1 : 0) >>> 0;
    const entries: Probe['entries'] = [];
    const n = this.word(ABI.OFF_PROBE_STEPS);
    for (let i = 0; i < n; i++) {
      const p = ABI.OFF_PROBE_STEP + i * ABI.PROBE_STEP_SIZE;
      entries.push({ address: this.word(p), entry: (BigInt(this.word(p + 8)) << 32n) | BigInt(this.word(p + 4)) });
    }
    return {
      fault: fault === ABI.PROBE_OK ? null : fault,
      physical: this.word(ABI.OFF_PROBE_PHYS_HIGH) * 2 ** 32 + this.word(ABI.OFF_PROBE_PHYS),
      entries,
    };
  }

  exceptionsByVector(): bigint[] {
    const base = ABI.OFF_CNT_BY_VECTOR;
    return Array.from({ length: 32 }, (_, v) => this.dv.getBigUint64(base + v * 8, true));
  }
}
