// The FPU view against the host CPU: a short x87 program runs in glassbox,
// where the view reads the FPU, and natively (test/cpu-diff), where FNSAVE
// stores the same state to memory. The view's control, status and tag words,
// its eight registers in their 80-bit form and its last instruction pointer
// must be what the host's FNSAVE image holds.

import { describe, expect, it } from 'vitest';
import { GlassboxRunner } from '../cpu-diff/glassbox.ts';
import { nativeMemoryChanges } from '../cpu-diff/native.ts';
import { parseChanges } from '../cpu-diff/compare.ts';
import { DATA_ADDR, DATA_SIZE, STACK_SIZE, fillPages, type Case } from '../cpu-diff/case.ts';
import { readFpu } from '../../src/inspect/fpu.ts';

// FNINIT; FLDCW [ebx]; FLD1; FLDZ; FILD m16 [ebx+4]; FILD m16 [ebx+6]: 7, -3, 0, 1 from ST0 down
const PROGRAM = [0xdb, 0xe3, 0xd9, 0x2b, 0xd9, 0xe8, 0xd9, 0xee, 0xdf, 0x43, 0x04, 0xdf, 0x43, 0x06];
const FNSAVE = [0xdd, 0x73, 0x40]; // FNSAVE [ebx+0x40]

function program(code: number[], control: number): Case {
  const regs = [0, 0, 0, DATA_ADDR, 0x5800, 0, 0, 0];
  const presets = [
    { addr: DATA_ADDR, value: control },
    { addr: DATA_ADDR + 4, value: 0x0007fffd }, // the 16-bit integers -3 and 7
  ];
  return { seed: 0x5eed, regs, eflags: 0x202, code: new Uint8Array(code), presets };
}

/** The host's FNSAVE image (32-bit protected-mode layout, 108 bytes) after `c`. */
function hostSaveImage(c: Case): DataView {
  const data = new Uint32Array(DATA_SIZE / 4);
  fillPages(c.seed, data, new Uint32Array(STACK_SIZE / 4));
  for (const p of c.presets) data[(p.addr - DATA_ADDR) / 4] = p.value;
  for (const [addr, w] of parseChanges(nativeMemoryChanges(c))) if (addr < DATA_ADDR + DATA_SIZE) data[(addr - DATA_ADDR) / 4] = w.after;
  return new DataView(data.buffer, 0x40, 108);
}

const extended = (img: DataView, i: number) =>
  img.getUint16(28 + i * 10 + 8, true).toString(16).padStart(4, '0') + img.getBigUint64(28 + i * 10, true).toString(16).padStart(16, '0');

describe('the FPU view', () => {
  for (const [what, control, last, raised] of [
    ['FDIV ST, ST(3) by 1, exceptions masked', 0x027f, [0xd8, 0xf3], []],
    ['FDIV ST, ST(2) by 0 with ZE unmasked: the exception pending, ST0 kept', 0x027b, [0xd8, 0xf2], ['ZE']],
  ] as const) {
    it(`shows what the host CPU's FNSAVE stores after ${what}`, () => {
      const runner = new GlassboxRunner();
      runner.run(program([...PROGRAM, ...last], control));
      const view = readFpu(runner.core);
      const img = hostSaveImage(program([...PROGRAM, ...last, ...FNSAVE], control));

      expect(view.control.value).toBe(img.getUint16(0, true));
      expect(view.status.value).toBe(img.getUint16(4, true));
      expect(view.tag.value).toBe(img.getUint16(8, true));
      expect(view.stack.map((r) => r.extended)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => extended(img, i)));
      expect(view.lastInstruction.ip).toBe(img.getUint32(12, true));
      expect(view.lastOperand.offset).toBe(img.getUint32(20, true));
      // And decoded.
      expect(view.status.top).toBe(4);
      expect(view.stack.slice(0, 5).map((r) => [r.text, r.tag])).toEqual([['7', 'valid'], ['-3', 'valid'], ['0', 'zero'], ['1', 'valid'], ['0', 'empty']]);
      expect(view.status.raised).toEqual(raised);
      expect(view.status.errorSummary).toBe(raised.length > 0);
      expect(view.control.precision).toBe('53-bit');
    });
  }
});
