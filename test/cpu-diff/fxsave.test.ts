// FXSAVE and FXRSTOR against the host CPU: the programs of sse-programs.ts
// run in glassbox and on the host (a 32-bit process, or the same bytes in a
// 64-bit one), and the 512-byte images they leave must agree byte for byte,
// x87 registers included (a restored register keeps its exact 80 bits:
// asm/cpu/fpu/exact.ts), except where this core need not be the host:
//  - MXCSR_MASK, which says which MXCSR bits the CPU has (this core: 0xFFFF,
//    a Pentium 4 with DAZ; the host may have more: AMD's adds MM, bit 17);
//  - on an AMD host, FOP, FIP, FCS, FDP and FDS while no unmasked exception is
//    pending (FSW.ES clear): AMD stores them as zero then (measured; the APM
//    says so), Intel CPUs (this core is one) store them always;
//  - on a host with x87 quirks (host-quirks.ts: CPUID.7:EBX[13] FCS and FDS
//    stored as 0; EBX[6] FDP, and on Intel since the Pentium 4 FOP, only for
//    an unmasked exception), those fields, cleared in both images as the
//    hashed cases clear them (x87-pointers.ts): FCS and FDS always, FOP and
//    FDP only after an x87 instruction ran and while FSW.ES is clear.

import { describe, expect, it } from 'vitest';
import { GlassboxRunner } from './glassbox.ts';
import { bestRunner, hostMemoryChanges } from './host-oracle.ts';
import { parseChanges } from './compare.ts';
import { DATA_ADDR, DATA_SIZE, STACK_SIZE, fillPages, type Case } from './case.ts';
import { IMAGE_ADDR, sseProgram } from './sse-programs.ts';
import { hostCpu } from './corpus.ts';
import { x87Quirks } from './host-quirks.ts';
import { hideX87Pointers, withHiddenPointers, type Words } from './x87-pointers.ts';

const CASES = 300;
const MXCSR_MASK_AT = 28;

function hostImage(c: Case, kind: 'native32' | 'host64'): Uint8Array {
  const data = new Uint32Array(DATA_SIZE / 4);
  fillPages(c.seed, data, new Uint32Array(STACK_SIZE / 4));
  for (const p of c.presets) data[(p.addr - DATA_ADDR) / 4] = p.value;
  for (const [addr, w] of parseChanges(hostMemoryChanges(c, kind))) if (addr < DATA_ADDR + DATA_SIZE) data[(addr - DATA_ADDR) / 4] = w.after;
  return new Uint8Array(data.buffer, IMAGE_ADDR - DATA_ADDR, 512).slice();
}

/** The image offsets compared: all but MXCSR_MASK (and AMD's hidden pointers). */
function compared(host: Uint8Array, amd: boolean): number[] {
  const pointersHidden = amd && (host[2] & 0x80) === 0;
  const out: number[] = [];
  for (let at = 0; at < 512; at++) {
    if (at >= MXCSR_MASK_AT && at < MXCSR_MASK_AT + 4) continue;
    if (pointersHidden && at >= 6 && at < 24) continue;
    out.push(at);
  }
  return out;
}

/** The image's u32 words by their address in the data pages. */
function imageWords(image: Uint8Array): Words {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return { get: (a) => v.getUint32(a - IMAGE_ADDR, true), set: (a, x) => v.setUint32(a - IMAGE_ADDR, x >>> 0, true) };
}

const hex = (b: Uint8Array, at: number, n: number) => Array.from(b.slice(at, at + n), (x) => x.toString(16).padStart(2, '0')).join('');

describe('FXSAVE and FXRSTOR against the host CPU', () => {
  for (const kind of ['restore', 'x87'] as const) {
    it(`${kind}: ${CASES} images agree with the host's`, (ctx) => {
      const best = bestRunner();
      if ('reason' in best) return ctx.skip(`needs a native runner: ${best.reason}`);
      const runner = new GlassboxRunner();
      const amd = hostCpu().vendor === 'AuthenticAMD';
      const quirks = x87Quirks();
      const problems: string[] = [];
      for (let i = 0; i < CASES; i++) {
        const c = sseProgram(kind, 1, i);
        const res = runner.run(c);
        const mine = runner.core.ram.slice(IMAGE_ADDR, IMAGE_ADDR + 512);
        const host = hostImage(c, best.kind);
        const hidden = withHiddenPointers(c, quirks);
        for (const image of [mine, host]) hideX87Pointers(hidden, imageWords(image));
        if (res.vector !== 3) problems.push(`case ${i}: glassbox stopped with vector ${res.vector}`);
        const bad = compared(host, amd).filter((at) => mine[at] !== host[at]);
        if (bad.length) {
          const rows = [...new Set(bad.map((at) => at & ~15))];
          problems.push(`case ${i}: ` + rows.map((r) => `@${r}: mine ${hex(mine, r, 16)} host ${hex(host, r, 16)}`).join('; '));
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
    }, 120_000);
  }
});
