// The FPU view: the x87 control, status and tag words decoded, the register
// stack from ST0 with each value, its tag and its 80-bit form (what FSAVE
// would store), and the last instruction and operand pointers. The core
// holds registers as f64 (asm/cpu/fpu/README.md); every f64 has an exact
// 80-bit form, so the encoding shown is the one the core's FSAVE writes.

import type { Core } from '../core/core.ts';
import { OFF_FPU_CW, OFF_FPU_EMPTY, OFF_FPU_FCS, OFF_FPU_FDP, OFF_FPU_FDS, OFF_FPU_FIP, OFF_FPU_FOP, OFF_FPU_ST, OFF_FPU_SW } from '../core-abi.ts';

export type Tag = 'valid' | 'zero' | 'special' | 'empty';
const TAGS: Tag[] = ['valid', 'zero', 'special', 'empty'];
const EXCEPTIONS = ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE'] as const;
const PRECISION = ['24-bit', 'reserved', '53-bit', '64-bit'] as const;
const ROUNDING = ['nearest', 'down', 'up', 'toward zero'] as const;

export interface FpuRegister {
  /** ST(i): position from the top of the stack. */
  st: number;
  /** The physical register R0-R7 that ST(i) is now. */
  physical: number;
  tag: Tag;
  /** The value; null for NaN and the infinities, which JSON cannot hold (see text). */
  value: number | null;
  text: string;
  /** The 80-bit extended encoding, sign/exponent word first, as 20 hex digits. */
  extended: string;
}

export interface FpuView {
  control: { value: number; masked: string[]; precision: (typeof PRECISION)[number]; rounding: (typeof ROUNDING)[number] };
  status: {
    value: number;
    top: number;
    raised: string[];
    stackFault: boolean;
    errorSummary: boolean;
    busy: boolean;
    c0: boolean;
    c1: boolean;
    c2: boolean;
    c3: boolean;
  };
  tag: { value: number };
  stack: FpuRegister[];
  lastInstruction: { cs: number; ip: number; opcode: number };
  lastOperand: { ds: number; offset: number };
}

const hex = (v: bigint, digits: number) => v.toString(16).padStart(digits, '0');

/** The 80-bit extended form of a double: 15-bit exponent, explicit integer bit. */
export function toExtended(v: number): string {
  const bits = new DataView(new Float64Array([v]).buffer).getBigUint64(0, true);
  const sign = bits >> 63n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  let frac = bits & ((1n << 52n) - 1n);
  let e: bigint;
  let sig: bigint;
  if (exp === 0x7ff) {
    e = 0x7fffn;
    sig = (1n << 63n) | (frac << 11n);
  } else if (exp === 0) {
    if (frac === 0n) {
      e = 0n;
      sig = 0n;
    } else {
      // An f64 denormal is a normal number in the wider exponent range.
      let shift = 0n;
      while (!(frac & (1n << 52n))) {
        frac <<= 1n;
        shift++;
      }
      e = BigInt(1 - 1023 + 16383) - shift;
      sig = frac << 11n;
    }
  } else {
    e = BigInt(exp - 1023 + 16383);
    sig = (1n << 63n) | (frac << 11n);
  }
  return hex((sign << 15n) | e, 4) + hex(sig, 16);
}

function text(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? '+inf' : '-inf';
  return Object.is(v, -0) ? '-0' : String(v);
}

export function readFpu(core: Core): FpuView {
  const u32 = (offset: number) => core.memory.getUint32(offset, true);
  const cw = u32(OFF_FPU_CW) & 0xffff;
  const sw = u32(OFF_FPU_SW) & 0xffff;
  const empty = u32(OFF_FPU_EMPTY);
  const top = (sw >> 11) & 7;
  const st = new Float64Array(core.memory.buffer, OFF_FPU_ST, 8);
  // As FSTENV computes it: empty, else zero / special (NaN, infinity) / valid by the value.
  const tagOf = (p: number): number => (empty & (1 << p) ? 3 : st[p] === 0 ? 1 : Number.isFinite(st[p]) ? 0 : 2);
  let tagWord = 0;
  for (let p = 0; p < 8; p++) tagWord |= tagOf(p) << (p * 2);
  const stack = Array.from({ length: 8 }, (_, i): FpuRegister => {
    const p = (top + i) & 7;
    const v = st[p];
    return { st: i, physical: p, tag: TAGS[tagOf(p)], value: Number.isFinite(v) ? v : null, text: text(v), extended: toExtended(v) };
  });
  const bit = (v: number, b: number) => (v & (1 << b)) !== 0;
  return {
    control: {
      value: cw,
      masked: EXCEPTIONS.filter((_, b) => bit(cw, b)),
      precision: PRECISION[(cw >> 8) & 3],
      rounding: ROUNDING[(cw >> 10) & 3],
    },
    status: {
      value: sw,
      top,
      raised: EXCEPTIONS.filter((_, b) => bit(sw, b)),
      stackFault: bit(sw, 6),
      errorSummary: bit(sw, 7),
      busy: bit(sw, 15),
      c0: bit(sw, 8),
      c1: bit(sw, 9),
      c2: bit(sw, 10),
      c3: bit(sw, 14),
    },
    tag: { value: tagWord },
    stack,
    lastInstruction: { cs: u32(OFF_FPU_FCS) & 0xffff, ip: u32(OFF_FPU_FIP), opcode: u32(OFF_FPU_FOP) & 0x7ff },
    lastOperand: { ds: u32(OFF_FPU_FDS) & 0xffff, offset: u32(OFF_FPU_FDP) },
  };
}
