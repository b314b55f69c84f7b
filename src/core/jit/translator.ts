// The host half of the translator: compiles the regions the core asks for
// (translate.ts), installs them in the core's function table, and forgets
// them when their page is written. The core keeps the lookup (asm/cpu/jit.ts).
//
// Compilation is synchronous: the core asks from inside run(), and a region
// is small (one page of guest code at most). Node and a browser worker allow
// synchronous compilation of any size; the page's main thread never runs the
// core.

import { buildModule } from './wasm.ts';
import { translate, GLOBALS, FUNCS, LOCALS, type CoreLayout } from './translate.ts';

/** off: interpret only. on: translate entries once hot. first: translate on first execution, at every instruction. */
export type JitMode = 'off' | 'on' | 'first';

export const JIT_MODES: readonly JitMode[] = ['off', 'on', 'first'];

// How often a control transfer must reach an entry before it is compiled.
const HOT_AFTER = 1000;
// Table slots for live regions; when they run out every region goes (v86 does the same with 900).
const SLOTS = 4000;

interface Region {
  /** Host addresses the core enters the region at (every block; one when refused). */
  hosts: number[];
  mode: number;
  slot: number;
  bytes: number;
}

export interface JitStats {
  mode: JitMode;
  regions: number;
  /** Bytes of wasm of the live regions (the engine's machine code is a few times that). */
  codeBytes: number;
  compiled: number;
  invalidated: number;
  flushes: number;
  /** Wall milliseconds spent translating and compiling. */
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
  private readonly free: number[] = [];
  private firstSlot = 0;
  private live = 0;
  private codeBytes = 0;
  private compiled = 0;
  private invalidated = 0;
  private flushes = 0;
  private compileMs = 0;
  private mode: JitMode = 'off';

  constructor(private readonly core: TranslatorCore) {
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
    this.core.configure(mode !== 'off', mode === 'first', mode === 'first' ? 1 : HOT_AFTER);
  }

  /** The core asks for a region entered at host address `host` under mode key `mode`; returns its slot or 0. */
  compile(host: number, mode: number): number {
    const pageHost = host & ~0xfff;
    const page = new Uint8Array(this.core.memory.buffer, pageHost, 4096);
    const started = performance.now();
    const t = translate(page, host & 0xfff, this.core.layout, (mode & 2) !== 0);
    let slot = 0;
    let size = 0;
    let hosts = [host];
    if (t) {
      const bytes = buildModule(GLOBALS, FUNCS, LOCALS, t.body);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), this.imports);
      if (this.free.length === 0) this.dropAll();
      slot = this.free.pop()!;
      this.core.table.set(slot, instance.exports.f as (...args: unknown[]) => unknown);
      size = bytes.length;
      this.live++;
      this.codeBytes += size;
      this.compiled++;
      hosts = t.entries.map((off) => pageHost + off);
      hosts.forEach((h, block) => this.core.enter(h, mode, slot, block));
    }
    this.compileMs += performance.now() - started;
    // A refusal is remembered by the core until the page changes, like a region.
    const pageNo = (pageHost - this.core.ramBase) >>> 12;
    let list = this.byPage.get(pageNo);
    if (!list) this.byPage.set(pageNo, (list = []));
    list.push({ hosts, mode, slot, bytes: size });
    return slot;
  }

  /** Physical page `page` is being written: its regions go. */
  invalidate(page: number): void {
    const list = this.byPage.get(page);
    if (!list) return;
    this.byPage.delete(page);
    for (const r of list) {
      for (const h of r.hosts) this.core.forget(h, r.mode, r.slot);
      if (r.slot === 0) continue;
      this.release(r);
      this.invalidated++;
    }
  }

  stats(): JitStats {
    return {
      mode: this.mode, regions: this.live, codeBytes: this.codeBytes, compiled: this.compiled, invalidated: this.invalidated,
      flushes: this.flushes, compileMs: Math.round(this.compileMs),
    };
  }

  /** Forgets every region (reset, or the table is full). */
  dropAll(): void {
    if (this.live > 0) this.flushes++;
    this.byPage.clear();
    this.core.forgetAll();
    this.reset();
  }

  private release(r: Region): void {
    this.live--;
    this.codeBytes -= r.bytes;
    this.core.table.set(r.slot, null);
    this.free.push(r.slot);
  }

  private reset(): void {
    this.live = 0;
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
