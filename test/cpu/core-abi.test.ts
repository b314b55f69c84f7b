import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ABI from '../../src/core-abi.ts';
import { CORE_ABI_PATH, CORE_WASM_PATH, coreConstants, renderCoreAbi } from '../../scripts/gen-core-abi.ts';
import { CORE_DTS_PATH, CORE_EXPORTS_PATH, renderCoreExports } from '../../scripts/gen-core-exports.ts';

const constants = coreConstants(readFileSync(CORE_WASM_PATH));

describe('the core/host interface (src/core-abi.ts, generated from build/core.wasm)', () => {
  it('is what the built core exports (run npm run build:asm)', () => {
    expect(readFileSync(CORE_ABI_PATH, 'utf8')).toBe(renderCoreAbi(constants));
  });

  it("types the core's exports as asc declares them for the built core (src/core-exports.ts; run npm run build:asm)", () => {
    expect(readFileSync(CORE_EXPORTS_PATH, 'utf8')).toBe(renderCoreExports(readFileSync(CORE_DTS_PATH, 'utf8')));
    // Every function the built module exports has its member, and no member names an export that is gone.
    const declared = new Set([...readFileSync(CORE_EXPORTS_PATH, 'utf8').matchAll(/^ {2}(\w+)[(:]/gm)].map((m) => m[1]));
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(CORE_WASM_PATH)))
      .filter((e) => e.kind !== 'global' || declared.has(e.name))
      .map((e) => e.name);
    expect(new Set(exported)).toEqual(declared);
  });

  it('lays the memory map out in order, with no region overlapping the next', () => {
    const regions: [string, number, number][] = [
      ['state block', ABI.STATE_BASE, ABI.STATE_SIZE],
      ['inspector counters', ABI.INSPECT_BASE, ABI.INSPECT_SIZE],
      ['TLB', ABI.TLB_BASE, ABI.TLB_SIZE],
      ['TLB list', ABI.TLB_LIST_BASE, ABI.TLB_LIST_SIZE],
      ['MMIO bitmap', ABI.MMIO_BITMAP_BASE, ABI.MMIO_BITMAP_SIZE],
      ['trace ring', ABI.TRACE_BASE, ABI.TRACE_SIZE],
      ['page-walk probe', ABI.PROBE_BASE, ABI.PROBE_SIZE],
      ['AssemblyScript data', ABI.STATIC_DATA_BASE, ABI.STATIC_DATA_SIZE],
      ['JIT code map', ABI.JIT_CODE_MAP, ABI.JIT_CODE_MAP_SIZE],
      ['JIT entries', ABI.JIT_ENTRIES, ABI.JIT_ENTRIES_SIZE],
      ['page watch', ABI.PAGE_WATCH, ABI.PAGE_WATCH_SIZE],
      ['JIT heat', ABI.JIT_HEAT, ABI.JIT_HEAT_SIZE],
      ['guest RAM', ABI.RAM_BASE, 0],
    ];
    for (let i = 1; i < regions.length; i++) {
      const [prev, base, size] = regions[i - 1];
      const [name, next] = regions[i];
      expect(base + size, `${prev} ends past the start of ${name}`).toBeLessThanOrEqual(next);
    }
    // Tables indexed by 4 KiB page over 4 GiB, and the trace ring, fill their regions exactly.
    expect(ABI.TLB_SIZE).toBe(2 ** 20 * 4);
    expect(ABI.MMIO_BITMAP_SIZE * 8).toBe(2 ** 20);
    expect(ABI.JIT_CODE_MAP_SIZE).toBe(2 ** 20);
    expect(ABI.PAGE_WATCH_SIZE).toBe(2 ** 20);
    expect(ABI.TRACE_CAP * ABI.TRACE_RECORD).toBe(ABI.TRACE_SIZE);
  });

  it("puts AssemblyScript's data where the map says (asconfig.json memoryBase)", () => {
    const config = JSON.parse(readFileSync(new URL('../../asm/asconfig.json', import.meta.url), 'utf8'));
    expect(config.options.memoryBase).toBe(ABI.STATIC_DATA_BASE);
  });

  it('keeps every state and counter offset inside its block, and no two the same', () => {
    const offsets = Object.entries(ABI).filter(([name]) => name.startsWith('OFF_') && !name.startsWith('OFF_PROBE'));
    expect(offsets.length).toBeGreaterThan(60);
    const inside = (v: number) => (v >= ABI.STATE_BASE && v < ABI.STATE_BASE + ABI.STATE_SIZE) || (v >= ABI.INSPECT_BASE && v < ABI.INSPECT_BASE + ABI.INSPECT_SIZE);
    for (const [name, v] of offsets) expect(inside(v), name).toBe(true);
    const seen = new Map<number, string>();
    for (const [name, v] of offsets) {
      expect(seen.get(v), `${name} and ${seen.get(v)} share ${v.toString(16)}`).toBeUndefined();
      seen.set(v, name);
    }
  });

  it("keeps the page-walk probe's record inside its region, outside the saved CPU state", () => {
    expect(ABI.OFF_PROBE_STEP + ABI.PROBE_MAX_STEPS * ABI.PROBE_STEP_SIZE).toBeLessThanOrEqual(ABI.PROBE_BASE + ABI.PROBE_SIZE);
    expect(ABI.OFF_PROBE_FAULT).toBeGreaterThanOrEqual(ABI.PROBE_BASE);
    expect(ABI.PROBE_BASE).toBeGreaterThanOrEqual(ABI.TLB_BASE); // Core.saveState keeps STATE_BASE up to TLB_BASE
  });

  it("keeps the trace record's fields inside one record, in order", () => {
    const fields = [ABI.TRACE_F_KIND, ABI.TRACE_F_A, ABI.TRACE_F_B, ABI.TRACE_F_C, ABI.TRACE_F_INSTRUCTIONS, ABI.TRACE_F_EIP, ABI.TRACE_F_CR3];
    for (let i = 1; i < fields.length; i++) expect(fields[i]).toBeGreaterThan(fields[i - 1]);
    expect(ABI.TRACE_F_CR3 + 4).toBeLessThanOrEqual(ABI.TRACE_RECORD);
  });
});
