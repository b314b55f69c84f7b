// The branch hints a region's module carries: the branch-hinting proposal's
// `metadata.code.branch_hint` section, before the code section, naming the
// region's function and, for each hint, the offset of an `if` in that
// function's body counted from the body's start (its locals included). The
// module is read here with a reader of the wasm binary format written from
// the specification, not with the translator's own writer.

import { describe, expect, it } from 'vitest';
import { CORE_LAYOUT } from '../../src/core/core.ts';
import { regionWasm } from '../../src/core/jit/compile-job.ts';
import { CODE, KERNELS, kernelEntry } from './kernels.ts';

const IF = 0x04;
const CODE_SECTION = 10;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}
  u32(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.bytes[this.at++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

interface Section {
  id: number;
  name?: string;
  start: number;
  end: number;
}

function sections(wasm: Uint8Array): Section[] {
  const r = new Reader(wasm, 8);
  const out: Section[] = [];
  while (r.at < wasm.length) {
    const id = wasm[r.at++];
    const size = r.u32();
    const end = r.at + size;
    const s: Section = { id, start: r.at, end };
    if (id === 0) {
      s.name = r.name();
      s.start = r.at;
    }
    out.push(s);
    r.at = end;
  }
  return out;
}

describe("a region's branch hints", () => {
  const page = KERNELS.slice(0, 4096);
  // The memory loop: loads and stores (TLB hits likely) in a block that checks the budget (an exit unlikely).
  const region = regionWasm({ page, entry: kernelEntry(1) - CODE, layout: CORE_LAYOUT, user: false, compiled: [] })!;
  const wasm = region.wasm as Uint8Array<ArrayBuffer>;
  const all = sections(wasm);
  const hintSection = all.find((s) => s.id === 0 && s.name === 'metadata.code.branch_hint')!;
  const code = all.find((s) => s.id === CODE_SECTION)!;

  it('come in their section, before the code', () => {
    expect(hintSection).toBeDefined();
    expect(all.indexOf(hintSection)).toBeLessThan(all.indexOf(code));
    expect(() => new WebAssembly.Module(wasm)).not.toThrow();
  });

  it('each mark an if of the region function, as likely or unlikely', () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).filter((i) => i.kind === 'function').length;
    const r = new Reader(wasm, hintSection.start);
    expect(r.u32()).toBe(1); // one function
    expect(r.u32()).toBe(imports); // the first defined one: the region
    const count = r.u32();
    const c = new Reader(wasm, code.start);
    expect(c.u32()).toBe(1);
    const size = c.u32();
    const body = wasm.subarray(c.at, c.at + size);
    const seen = { likely: 0, unlikely: 0 };
    let last = -1;
    for (let i = 0; i < count; i++) {
      const at = r.u32();
      expect(r.u32()).toBe(1); // a hint is one byte
      const value = wasm[r.at++];
      expect(at).toBeGreaterThan(last); // in increasing order
      last = at;
      expect(body[at]).toBe(IF);
      expect([0, 1]).toContain(value);
      if (value === 1) seen.likely++;
      else seen.unlikely++;
    }
    expect(r.at).toBe(hintSection.end);
    expect(seen.likely).toBeGreaterThan(0);
    expect(seen.unlikely).toBeGreaterThan(0);
  });
});
