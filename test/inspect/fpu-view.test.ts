// The FPU view against the host CPU: a short x87 program runs in glassbox,
// where the view reads the FPU, and on the host CPU (test/cpu-diff), where
// FNSAVE stores the same state to memory. The view's control, status and tag
// words, its eight registers in their 80-bit form and its last instruction
// pointer must be what the host's FNSAVE image holds. The host runs the
// program as a 32-bit process, or where it cannot, as the same bytes in a
// 64-bit process (the program's operands are [ebx+disp8], the same there).

import { describe, expect, it } from 'vitest';
import { GlassboxRunner } from '../cpu-diff/glassbox.ts';
import { bestRunner, hostMemoryChanges, type RunnerKind } from '../cpu-diff/host-oracle.ts';
import { x87Quirks } from '../cpu-diff/host-quirks.ts';
import { parseChanges } from '../cpu-diff/compare.ts';
import { DATA_ADDR, DATA_SIZE, STACK_SIZE, fillPages, type Case } from '../cpu-diff/case.ts';
import { FPU_VIEW_CASES, SAVE_ADDR, fpuProgram } from '../cpu-diff/fpu-programs.ts';
import { readFpu } from '../../src/inspect/fpu.ts';

/** The host's FNSAVE image (32-bit protected-mode layout, 108 bytes) after `c`. */
function hostSaveImage(c: Case, runner: RunnerKind): DataView {
  const data = new Uint32Array(DATA_SIZE / 4);
  fillPages(c.seed, data, new Uint32Array(STACK_SIZE / 4));
  for (const p of c.presets) data[(p.addr - DATA_ADDR) / 4] = p.value;
  for (const [addr, w] of parseChanges(hostMemoryChanges(c, runner))) if (addr < DATA_ADDR + DATA_SIZE) data[(addr - DATA_ADDR) / 4] = w.after;
  return new DataView(data.buffer, SAVE_ADDR - DATA_ADDR, 108);
}

const extended = (img: DataView, i: number) =>
  img
    .getUint16(28 + i * 10 + 8, true)
    .toString(16)
    .padStart(4, '0') +
  img
    .getBigUint64(28 + i * 10, true)
    .toString(16)
    .padStart(16, '0');

describe('the FPU view', () => {
  for (const { what, control, last, raised } of FPU_VIEW_CASES) {
    it(`shows what the host CPU's FNSAVE stores after ${what}`, (ctx) => {
      const best = bestRunner();
      if ('reason' in best) return ctx.skip(`needs a native runner for the host's FNSAVE: ${best.reason}`);
      const runner = new GlassboxRunner();
      runner.run(fpuProgram(control, last, false));
      const view = readFpu(runner.core);
      const img = hostSaveImage(fpuProgram(control, last, true), best.kind);

      expect(view.control.value).toBe(img.getUint16(0, true));
      expect(view.status.value).toBe(img.getUint16(4, true));
      expect(view.tag.value).toBe(img.getUint16(8, true));
      expect(view.stack.map((r) => r.extended)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => extended(img, i)));
      expect(view.lastInstruction.ip).toBe(img.getUint32(12, true));
      // A host with FDP_EXCPTN_ONLY (CPUID.7:EBX[6]) updates FDP only for an x87
      // instruction with a memory operand that raised an unmasked exception;
      // both programs end on a register FDIV, after which the SDM leaves FDP
      // undefined (vol. 1, 8.1.8), so it says nothing there.
      if (!x87Quirks().fdpOnException) expect(view.lastOperand.offset).toBe(img.getUint32(20, true));
      // And decoded.
      expect(view.status.top).toBe(4);
      expect(view.stack.slice(0, 5).map((r) => [r.text, r.tag])).toEqual([
        ['7', 'valid'],
        ['-3', 'valid'],
        ['0', 'zero'],
        ['1', 'valid'],
        ['0', 'empty'],
      ]);
      expect(view.status.raised).toEqual(raised);
      expect(view.status.errorSummary).toBe(raised.length > 0);
      expect(view.control.precision).toBe('53-bit');
    });
  }
});
