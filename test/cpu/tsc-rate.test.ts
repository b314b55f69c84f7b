// The guest time an instruction stands for, as the realtime clock changes it
// (asm/cpu/clock.ts): the TSC counts guest time in 10 ns ticks, piecewise
// linear in the instruction count. What must hold whatever the rates: a
// change never moves the TSC (it starts where the old rate left off), the
// guest never reads it going back, each stretch adds its instructions times
// its rate (the 32.32 fixed point floored once per stretch), and translated
// code reads the same values as the interpreter.

import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import type { Core, JitMode } from '../../src/core/core.ts';

const MiB = 1024 * 1024;
const ONE = 1n << 32n;
const ITERATIONS = 20_000;

// Flat 32-bit code at 0x1000: ESI counts the RDTSC readings lower than the one before.
//   mov ecx, ITERATIONS; xor esi, esi; rdtsc; mov edi, eax; mov ebp, edx
// l: nop; rdtsc; cmp edx, ebp; jb back; ja ok; cmp eax, edi; jae ok
// back: inc esi
// ok: mov edi, eax; mov ebp, edx; dec ecx; jnz l; hlt
const PROGRAM = [
  0xb9,
  ITERATIONS & 0xff,
  ITERATIONS >> 8,
  0,
  0,
  0x31,
  0xf6,
  0x0f,
  0x31,
  0x89,
  0xc7,
  0x89,
  0xd5,
  0x90,
  0x0f,
  0x31,
  0x39,
  0xea,
  0x72,
  0x06,
  0x77,
  0x05,
  0x39,
  0xf8,
  0x73,
  0x01,
  0x46,
  0x89,
  0xc7,
  0x89,
  0xd5,
  0x49,
  0x75,
  0xeb,
  0xf4,
];

function start(mode: JitMode): Core {
  const c = createCore(MiB);
  c.jit = mode;
  for (let s = 0; s < 6; s++) c.setSegment(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  c.setCr(0, 0x11);
  c.setReg(4, 0x8000);
  c.ram.set(PROGRAM, 0x1000);
  c.eip = 0x1000;
  return c;
}

/** Rates in (1/20, 1] ticks per instruction from a fixed sequence, the nominal one among them. */
function* rates(): Generator<bigint> {
  let x = 12345;
  for (;;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    yield x % 7 === 0 ? ONE : ONE / 20n + BigInt(x % Number(ONE - ONE / 20n));
  }
}

/** Runs the program in slices of `slice` instructions, a new rate at each; what the guest saw and what the stretches add up to. */
function run(mode: JitMode, slice: number) {
  const c = start(mode);
  const next = rates();
  let expected = 0n;
  let from = 0n;
  let rate = ONE;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const exit = c.run(slice);
    const at = c.instructions;
    expected += ((at - from) * rate) >> 32n;
    const before = c.instructionTicks;
    expect(before).toBe(expected);
    rate = next.next().value;
    c.tickRate = rate;
    expect(c.tickRate).toBe(rate);
    expect(c.instructionTicks).toBe(before); // a new rate starts where the old one left off
    from = at;
    if (exit !== 0) break;
  }
  return { backwards: c.reg(6), instructions: c.instructions, ticks: c.instructionTicks, last: (BigInt(c.reg(5)) << 32n) | BigInt(c.reg(7)), halted: c.halted };
}

describe('the TSC under a changing rate', () => {
  it('counts each stretch at its rate and never goes back, in the interpreter and in translated code alike', () => {
    for (const slice of [997, 61]) {
      const interp = run('off', slice);
      expect(interp.halted).toBe(true);
      expect(interp.backwards).toBe(0);
      // The stretches were at most one tick per instruction, and at least a twentieth.
      expect(interp.ticks).toBeLessThan(interp.instructions);
      expect(interp.ticks).toBeGreaterThan(interp.instructions / 20n);
      expect(interp.last).toBeLessThanOrEqual(interp.ticks);
      expect(run('first', slice)).toEqual(interp);
    }
  });

  it('reads back what WRMSR wrote and goes on from there at the rate', () => {
    const c = start('off');
    // wrmsr IA32_TSC (ECX=0x10) with EDX:EAX = 1:0; nop x100; rdtsc; hlt
    c.ram.set([0xb9, 0x10, 0, 0, 0, 0xb8, 0, 0, 0, 0, 0xba, 1, 0, 0, 0, 0x0f, 0x30, ...new Array(100).fill(0x90), 0x0f, 0x31, 0xf4], 0x1000);
    c.tickRate = ONE / 4n;
    expect(c.run(1000)).toBe(1);
    // At a quarter tick per instruction the guest's time after n instructions is floor(n / 4) ticks: the WRMSR ran
    // after 3 (the MOVs), the RDTSC after 104 (and the 100 NOPs), so it reads 2^32 plus the ticks between.
    expect(c.reg(2)).toBe(1);
    expect(c.reg(0)).toBe(Math.floor(104 / 4) - Math.floor(3 / 4));
  });

  it('takes a rate above one tick per instruction, or none, as the nominal one', () => {
    const c = start('off');
    c.tickRate = ONE * 2n;
    expect(c.tickRate).toBe(ONE);
    c.tickRate = 0n;
    expect(c.tickRate).toBe(ONE);
  });
});
