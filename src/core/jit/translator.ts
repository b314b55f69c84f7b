// The host half of the translator: compiles the regions the core asks for
// (translate.ts), installs them in the core's function table, forgets them
// when their page is written, and evicts the oldest when the table is full.
// The core keeps the lookup and the heat counts (asm/cpu/jit.ts).
//
// In 'on' mode the compilation runs in the background (the RegionCompiler the
// platform gives, by default translation here and the engine's own
// background compile): the core goes on interpreting the code and the region is entered
// once installed, between two run() calls. Which
// instructions run compiled therefore depends on timing, but nothing the guest
// sees does: a region retires, faults, counts and stops exactly where the
// interpreter would (the translated-diff, exits and determinism tests hold
// it to that). 'first' compiles synchronously, so tests translate everything.

import { GLOBALS, FUNCS, type CoreLayout } from './translate.ts';
import { inThreadCompiler, regionWasm, type RegionCompiler, type RegionJob } from './compile-job.ts';
import { handedOver, type HandedOver } from './coverage.ts';

/** off: interpret only. on: translate code once hot. first: translate on first execution, at every instruction. */
export type JitMode = 'off' | 'on' | 'first';

export const JIT_MODES: readonly JitMode[] = ['off', 'on', 'first'];

// Instructions interpreted in a page before its code is compiled: a region
// costs 2-10 ms to translate and compile, what the interpreter spends on a
// few hundred thousand instructions, so colder code is not worth compiling.
const HOT_AFTER = 200_000;
// Table slots for live regions; when they run out the oldest region goes.
const SLOTS = 4000;
// Compilations in the background at once. At 4, a shell's loop over ~200 hot
// pages of busybox waited for its turn: 25 M of its 347 M instructions were
// interpreted on pages the host had answered BUSY for (16: 2 M). More than
// that would mostly compile code the guest has moved on from.
const IN_FLIGHT = 16;
// What compile() answers besides a slot or 0 (asm/cpu/jit.ts).
const PENDING = 0xfffffffe;
// What the host tells the core about an entry found to have nothing to translate (asm/cpu/jit.ts).
const NEVER = 0xffffffff;
const BUSY = 0xfffffffd;

interface Region {
  /** Host addresses the core enters the region at (every block; the entry alone while compiling or when refused). */
  hosts: number[];
  mode: number;
  /** The table slot; PENDING while compiling, 0 when refused. */
  slot: number;
  bytes: number;
  page: number;
  /** Page offsets of its blocks once installed: later regions of the page leave them out. */
  blocks: readonly number[];
  /** Dropped (its page written, evicted, or everything flushed). */
  gone: boolean;
}

export interface JitStats {
  mode: JitMode;
  regions: number;
  /** Bytes of wasm of the live regions (the engine's machine code is a few times that). */
  codeBytes: number;
  compiled: number;
  /** Entries the translator found nothing to compile at. */
  refused: number;
  invalidated: number;
  /** Regions dropped to make room in the table, oldest first. */
  evicted: number;
  flushes: number;
  /** Instructions retired in compiled code since the core started (the rest were interpreted). */
  translatedInstructions: number;
  /** Instructions retired since the core started, for the share above. */
  instructions: number;
  /** Region calls after the run loop's lookup (each one an exit back to the run loop when it returns). */
  entered: number;
  /** Region calls straight from another region's exit (a RET, an indirect jump, a jump out of its page). */
  chained: number;
  /** Region calls made by a region's CALL, the callee's return going on in the caller's code. */
  called: number;
  /** The first errors of modules the engine would not compile (a translator bug; none expected). */
  failures: string[];
  /** The forms compiled code handed to the interpreter most often (stepped, or a region ended at), with how often. */
  handedOver: HandedOver[];
  /** Wall milliseconds the run loop spent translating and compiling (a background compilation's own time is not in it). */
  compileMs: number;
}

export interface TranslatorCore {
  memory: WebAssembly.Memory;
  table: WebAssembly.Table;
  exports: Record<string, unknown>;
  ramBase: number;
  layout: CoreLayout;
  forget(host: number, mode: number, slot: number): void;
  enter(host: number, mode: number, slot: number, block: number): void;
  forgetAll(): void;
  configure(enabled: boolean, everyInstruction: boolean, hotAfter: number): void;
}

export class Translator {
  private readonly imports: WebAssembly.Imports;
  private readonly byPage = new Map<number, Region[]>();
  /** Installed regions, oldest first: the eviction order. */
  private readonly live = new Set<Region>();
  private readonly free: number[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private firstSlot = 0;
  private codeBytes = 0;
  private compiled = 0;
  private refused = 0;
  private invalidated = 0;
  private evicted = 0;
  private flushes = 0;
  private compileMs = 0;
  private readonly failures: string[] = [];
  private mode: JitMode = 'off';

  /** `compiler` runs the background compilations of 'on' mode (default: in this thread, the engine compiling in the background). */
  constructor(
    private readonly core: TranslatorCore,
    private readonly compiler: RegionCompiler = inThreadCompiler,
  ) {
    const c: Record<string, unknown> = { m: core.memory };
    for (const g of GLOBALS) c[g] = need(core.exports, g);
    for (const f of FUNCS) c[f.name] = need(core.exports, f.name);
    this.imports = { c } as WebAssembly.Imports;
  }

  setMode(mode: JitMode): void {
    if (!JIT_MODES.includes(mode)) throw new Error(`translator mode must be one of ${JIT_MODES.join(', ')}, got '${mode}'`);
    this.dropAll();
    this.mode = mode;
    if (mode !== 'off' && this.firstSlot === 0) {
      this.firstSlot = this.core.table.length;
      this.core.table.grow(SLOTS);
      this.reset();
    }
    this.core.configure(mode !== 'off', mode === 'first', mode === 'first' ? 0 : HOT_AFTER);
  }

  /**
   * The core asks for a region entered at host address `host` under mode key
   * `mode`; returns its slot, 0 (nothing to translate there), PENDING (being
   * compiled, entered when done) or BUSY (ask again later).
   */
  compile(host: number, mode: number): number {
    if (this.mode === 'on' && this.inFlight.size >= IN_FLIGHT) return BUSY;
    const started = performance.now();
    const pageHost = host & ~0xfff;
    const pageNo = (pageHost - this.core.ramBase) >>> 12;
    let list = this.byPage.get(pageNo);
    if (!list) this.byPage.set(pageNo, (list = []));
    const compiled: number[] = [];
    for (const other of list) if (other.mode === mode && !other.gone) compiled.push(...other.blocks);
    const job: RegionJob = {
      page: new Uint8Array(this.core.memory.buffer, pageHost, 4096).slice(),
      entry: host & 0xfff,
      layout: this.core.layout,
      user: (mode & 2) !== 0,
      compiled,
    };
    // Remembered until the page changes, like a region, even while compiling and when refused.
    const r: Region = { hosts: [host], mode, slot: PENDING, bytes: 0, page: pageNo, blocks: [], gone: false };
    list.push(r);
    if (this.mode === 'first') {
      // Synchronous, so that every instruction is translated the first time it runs.
      const w = regionWasm(job);
      if (w) this.install(r, new WebAssembly.Instance(new WebAssembly.Module(w.wasm as BufferSource), this.imports), w.entries, pageHost, w.wasm.length);
      else this.refuse(r);
      this.compileMs += performance.now() - started;
      return r.slot;
    }
    const done: Promise<void> = this.compiler.compile(job).then(
      (result) => {
        this.inFlight.delete(done);
        if (r.gone) return;
        if (!result.module) {
          this.refuse(r);
          this.core.enter(host, mode, NEVER, 0);
          return;
        }
        this.install(r, new WebAssembly.Instance(result.module, this.imports), result.entries, pageHost, result.bytes);
      },
      (e: unknown) => {
        // A module the engine rejects is a translator bug: the code stays interpreted, and the stats say so.
        this.inFlight.delete(done);
        this.failures.push(String(e));
        this.release(r);
      },
    );
    this.inFlight.add(done);
    this.compileMs += performance.now() - started;
    return PENDING;
  }

  /** Resolves once every compilation in flight now is installed (or dropped). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Physical page `page` is being written: its regions (and compilations in flight for it) go. */
  invalidate(page: number): void {
    const list = this.byPage.get(page);
    if (!list) return;
    this.byPage.delete(page);
    for (const r of list) {
      if (r.slot !== 0 && r.slot !== PENDING) this.invalidated++;
      this.release(r);
    }
  }

  stats(): JitStats {
    return {
      mode: this.mode,
      regions: this.live.size,
      codeBytes: this.codeBytes,
      compiled: this.compiled,
      refused: this.refused,
      invalidated: this.invalidated,
      evicted: this.evicted,
      flushes: this.flushes,
      compileMs: Math.round(this.compileMs),
      failures: this.failures.slice(0, 3),
      translatedInstructions: Number((this.core.exports.jitTranslated as () => bigint)()),
      instructions: Number((this.core.exports.instructionCount as () => bigint)()),
      entered: Number((this.core.exports.jitEntered as () => bigint)()),
      chained: Number((this.core.exports.jitChained as () => bigint)()),
      called: Number((this.core.exports.jitCalled as () => bigint)()),
      handedOver: handedOver(this.core.memory, (this.core.exports.jitFormCounts as WebAssembly.Global).value as number),
    };
  }

  /** Forgets every region (reset, or the mode changed); compilations in flight are dropped when they land. */
  dropAll(): void {
    if (this.live.size > 0) this.flushes++;
    for (const list of this.byPage.values()) for (const r of list) r.gone = true;
    this.byPage.clear();
    this.live.clear();
    this.core.forgetAll();
    this.reset();
  }

  private install(r: Region, instance: WebAssembly.Instance, entries: number[], pageHost: number, bytes: number): void {
    if (this.free.length === 0) this.evictOldest();
    const hosts = entries.map((off) => pageHost + off);
    r.slot = this.free.pop()!;
    r.hosts = hosts;
    r.blocks = entries;
    r.bytes = bytes;
    this.core.table.set(r.slot, instance.exports.f as (...args: unknown[]) => unknown);
    this.live.add(r);
    this.codeBytes += bytes;
    this.compiled++;
    hosts.forEach((h, block) => this.core.enter(h, r.mode, r.slot, block));
  }

  private evictOldest(): void {
    const oldest = this.live.values().next().value!;
    const list = this.byPage.get(oldest.page)!;
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.byPage.delete(oldest.page);
    this.release(oldest);
    this.evicted++;
  }

  /** Nothing to translate at `r`'s entry: the core interprets it until the page changes. */
  private refuse(r: Region): void {
    r.slot = 0;
    this.refused++;
  }

  /** The core stops entering `r`; its slot is free again. */
  private release(r: Region): void {
    r.gone = true;
    for (const h of r.hosts) this.core.forget(h, r.mode, r.slot);
    if (!this.live.delete(r)) return;
    this.codeBytes -= r.bytes;
    this.core.table.set(r.slot, null);
    this.free.push(r.slot);
  }

  private reset(): void {
    this.codeBytes = 0;
    this.free.length = 0;
    if (this.firstSlot === 0) return;
    for (let i = this.firstSlot + SLOTS - 1; i >= this.firstSlot; i--) {
      this.core.table.set(i, null);
      this.free.push(i);
    }
  }
}

function need(exports: Record<string, unknown>, name: string): unknown {
  const v = exports[name];
  if (v === undefined) throw new Error(`the core exports no '${name}': rebuild it with npm run build:asm`);
  return v;
}
