// MUL, IMUL (all forms), DIV, IDIV.
//
// After MUL/IMUL only CF and OF are defined (set when the high half is
// significant); SF, ZF, AF and PF are undefined, and we derive them from the
// low half. After DIV/IDIV all six are undefined and left unchanged.

import { EAX, EDX, CF, OF, PF, ZF, SF, AF, reg32, setReg32, reg16, setReg16, reg8 } from './state';
import { K_LOGIC, setLazy, setFlagBits, sizeMask } from './flags';
import { raise, VEC_DE } from './fault';

function mulFlags(sz: u32, low: u32, significantHigh: bool): void {
  setFlagBits(CF | OF | AF, significantHigh ? CF | OF : 0);
  setLazy(K_LOGIC, sz, 0, 0, low & sizeMask(sz), PF | ZF | SF);
}

/** MUL: unsigned accumulator times src. */
export function mul(src: u32, sz: u32): void {
  if (sz == 0) {
    const r = reg8(0) * (src & 0xff);
    setReg16(EAX, r);
    mulFlags(0, r, (r >> 8) != 0);
  } else if (sz == 1) {
    const r = reg16(EAX) * (src & 0xffff);
    setReg16(EAX, r);
    setReg16(EDX, r >>> 16);
    mulFlags(1, r, (r >>> 16) != 0);
  } else {
    const r = <u64>reg32(EAX) * <u64>src;
    const lo = <u32>r;
    const hi = <u32>(r >>> 32);
    setReg32(EAX, lo);
    setReg32(EDX, hi);
    mulFlags(2, lo, hi != 0);
  }
}

@inline function sext(v: u32, sz: u32): i64 {
  return sz == 0 ? <i64>(<i8>v) : sz == 1 ? <i64>(<i16>v) : <i64>(<i32>v);
}

/** IMUL with one operand: signed accumulator times src into the double-width accumulator. */
export function imul1(src: u32, sz: u32): void {
  if (sz == 0) {
    const r = <i32>(<i8>reg8(0)) * <i32>(<i8>src);
    setReg16(EAX, <u32>r);
    mulFlags(0, <u32>r, r != <i32>(<i8>r));
  } else if (sz == 1) {
    const r = <i32>(<i16>reg16(EAX)) * <i32>(<i16>src);
    setReg16(EAX, <u32>r);
    setReg16(EDX, <u32>r >>> 16);
    mulFlags(1, <u32>r, r != <i32>(<i16>r));
  } else {
    const r = <i64>(<i32>reg32(EAX)) * <i64>(<i32>src);
    setReg32(EAX, <u32>r);
    setReg32(EDX, <u32>(r >>> 32));
    mulFlags(2, <u32>r, r != <i64>(<i32>r));
  }
}

/** IMUL with two or three operands: the truncated signed product. */
export function imulTrunc(a: u32, b: u32, sz: u32): u32 {
  const r = sext(a, sz) * sext(b, sz);
  const low = <u32>r & sizeMask(sz);
  mulFlags(sz, low, r != sext(low, sz));
  return low;
}

/** Quotient and remainder into AL/AH, AX/DX or EAX/EDX. */
function storeDivision(sz: u32, q: u32, r: u32): void {
  if (sz == 0) setReg16(EAX, ((r & 0xff) << 8) | (q & 0xff));
  else if (sz == 1) {
    setReg16(EAX, q);
    setReg16(EDX, r);
  } else {
    setReg32(EAX, q);
    setReg32(EDX, r);
  }
}

/** DIV: unsigned double-width accumulator by src. #DE on zero or quotient overflow. */
export function div(src: u32, sz: u32): void {
  const m = sizeMask(sz);
  const d = <u64>(src & m);
  if (d == 0) {
    raise(VEC_DE, 0, false);
    return;
  }
  let n: u64;
  if (sz == 0) n = <u64>reg16(EAX);
  else if (sz == 1) n = (<u64>reg16(EDX) << 16) | <u64>reg16(EAX);
  else n = (<u64>reg32(EDX) << 32) | <u64>reg32(EAX);
  const q = n / d;
  if (q > <u64>m) {
    raise(VEC_DE, 0, false);
    return;
  }
  storeDivision(sz, <u32>q, <u32>(n % d));
}

/** IDIV: signed division, truncating toward zero. */
export function idiv(src: u32, sz: u32): void {
  const d = sext(src, sz);
  if (d == 0) {
    raise(VEC_DE, 0, false);
    return;
  }
  let n: i64;
  if (sz == 0) n = <i64>(<i16>reg16(EAX));
  else if (sz == 1) n = <i64>(<i32>((reg16(EDX) << 16) | reg16(EAX)));
  else n = <i64>((<u64>reg32(EDX) << 32) | <u64>reg32(EAX));
  // i64 division of the most negative value by -1 would trap in wasm; it is a #DE here anyway.
  if (d == -1 && n == i64.MIN_VALUE) {
    raise(VEC_DE, 0, false);
    return;
  }
  const q = n / d;
  const bits: i64 = 8 << sz;
  const lim: i64 = <i64>1 << (bits - 1);
  if (q >= lim || q < -lim) {
    raise(VEC_DE, 0, false);
    return;
  }
  storeDivision(sz, <u32>q, <u32>(n % d));
}
