// The SSE and SSE2 floating-point forms: arithmetic, square root, the
// approximate reciprocals (approx.ts: no flags), MIN/MAX,
// CMPcc, COMIS/UCOMIS, and the conversions. Each is worked out in a scratch
// result with the flags it raises (softfloat.ts); an exception that MXCSR
// does not mask leaves the destination as it was, ORs the flags into MXCSR
// and faults with #XM (#UD without CR4.OSXMMEXCPT). Pre-computation
// exceptions (IE, DE, ZE) that are unmasked stop the instruction before the
// post-computation ones (OE, UE, PE) are reported.

import { fetch8, mrMod, mrReg, mrRm, readE } from '../decode';
import { OFF_SSE_RESULT, OFF_SSE_SOURCE, OFF_CR4, CR4_OSXMMEXCPT, setReg32 } from '../state';
import { faulted, raise, ud } from '../fault';
import { getFlags, setFlags } from '../flags';
import { mxcsr, setMxcsr } from './mxcsr';
import { decodeXmm, xmmG, sourceW, P_NONE, P_66, P_F3, P_F2 } from './operands';
import { F32, F64, IE, DE, ZE, beginFp, fpFlags, add, mul, div, sqrt } from './softfloat';
import { comparePredicate, compareFlags, minMax } from './fpcompare';
import { convertFloat, intToFloat, floatToInt } from './fpconvert';
import { reciprocal, reciprocalSqrt } from './approx';
import { mm, setMm, mmxUsable, mmxTransition } from './mmx';

const XM: u32 = 19;
const R: u32 = OFF_SSE_RESULT;

/** Handles 0F `op` if it is a floating-point form; false when the opcode is not one. */
export function floatOpcode(op: u32): bool {
  switch (op) {
    case 0x2a: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
    case 0x51: case 0x52: case 0x53: case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
    case 0xc2: case 0xe6: case 0x7c: case 0x7d: case 0xd0:
      break;
    default:
      return false;
  }
  const p = decodeXmm(op, defined);
  if (p < 0) return true;
  if ((op == 0x2a || op == 0x2c || op == 0x2d) && (p == P_NONE || p == P_66)) convertMmx(op, <u32>p);
  else run(op, <u32>p);
  return true;
}

function defined(op: u32, p: u32): bool {
  switch (op) {
    case 0x2e: case 0x2f: return p == P_NONE || p == P_66;
    case 0x52: case 0x53: return p == P_NONE || p == P_F3; // RSQRTPS/SS, RCPPS/SS
    case 0x5b: return p != P_F2;
    case 0xe6: return p != P_NONE;
    case 0x7c: case 0x7d: case 0xd0: return p == P_66 || p == P_F2; // SSE3: HADD, HSUB, ADDSUB
  }
  return true;
}

/** Bytes of the W operand: 16 (aligned) for the packed forms, 4 or 8 for the scalar ones and the widening conversions. */
function sourceBytes(op: u32, p: u32): u32 {
  if (op == 0x2e || op == 0x2f) return p == P_66 ? 8 : 4;
  if (op == 0x5a && p == P_NONE) return 8; // CVTPS2PD
  if (op == 0xe6) return p == P_F3 ? 8 : 16; // CVTDQ2PD reads two dwords
  if (op == 0x5b || op == 0x7c || op == 0x7d || op == 0xd0) return 16;
  return p == P_F3 ? 4 : p == P_F2 ? 8 : 16;
}
@inline function lane32(at: u32, i: u32): u64 {
  return <u64>load<u32>(at + (i << 2));
}
@inline function lane64(at: u32, i: u32): u64 {
  return load<u64>(at + (i << 3));
}

function run(op: u32, p: u32): void {
  const g = xmmG();
  if (op == 0x2a) { // CVTSI2SS, CVTSI2SD Vx, Ed
    const v = readE(2);
    if (faulted) return;
    beginFp(mxcsr());
    memory.copy(R, g, 16);
    if (p == P_F3) store<u32>(R, <u32>intToFloat(<i32>v, F32));
    else store<u64>(R, intToFloat(<i32>v, F64));
    commit(g);
    return;
  }
  const imm = op == 0xc2 ? fetch8() : 0; // before the operand is read, as for PSHUFD
  if (faulted) return;
  const n = sourceBytes(op, p);
  const s = sourceW(n, n == 16);
  if (faulted) return;
  beginFp(mxcsr());
  switch (op) {
    case 0x2c: case 0x2d: { // CVT(T)SS2SI, CVT(T)SD2SI Gd, W
      const v = floatToInt(p == P_F3 ? lane32(s, 0) : lane64(s, 0), p == P_F3 ? F32 : F64, op == 0x2c);
      if (check()) setReg32(mrReg, v);
      return;
    }
    case 0x2e: case 0x2f: { // UCOMISx, COMISx: ZF PF CF, OF SF AF cleared
      const f = p == P_66 ? F64 : F32;
      const z = compareFlags(f == F32 ? lane32(g, 0) : lane64(g, 0), f == F32 ? lane32(s, 0) : lane64(s, 0), f, op == 0x2f);
      if (check()) setFlags((getFlags() & ~<u32>0x8d5) | z);
      return;
    }
  }
  memory.copy(R, g, 16);
  switch (op) {
    case 0x5a: convertWidth(p, s); break;
    case 0x5b: convertDwords(p, s); break;
    case 0xe6: convertDoubleDwords(p, s); break;
    case 0x7c: case 0x7d: horizontal(op == 0x7d, p == P_66 ? F64 : F32, g, s); break;
    case 0xd0: addSub(p == P_66 ? F64 : F32, g, s); break;
    default: lanes(op, p, g, s, imm);
  }
  commit(g);
}

/** The arithmetic, MIN/MAX and CMPcc forms, lane by lane into R (the other lanes of a scalar form stay). */
function lanes(op: u32, p: u32, g: u32, s: u32, imm: u32): void {
  const f = p == P_NONE || p == P_F3 ? F32 : F64;
  const count: u32 = p == P_NONE ? 4 : p == P_66 ? 2 : 1;
  for (let i: u32 = 0; i < count; i++) {
    const a = f == F32 ? lane32(g, i) : lane64(g, i);
    const b = f == F32 ? lane32(s, i) : lane64(s, i);
    let r: u64 = 0;
    switch (op) {
      case 0x51: r = sqrt(b, f); break;
      case 0x52: r = <u64>reciprocalSqrt(<u32>b); break;
      case 0x53: r = <u64>reciprocal(<u32>b); break;
      case 0x58: r = add(a, b, f, false); break;
      case 0x59: r = mul(a, b, f); break;
      case 0x5c: r = add(a, b, f, true); break;
      case 0x5d: r = minMax(a, b, f, false); break;
      case 0x5e: r = div(a, b, f); break;
      case 0x5f: r = minMax(a, b, f, true); break;
      default: r = comparePredicate(a, b, f, imm) ? <u64>-1 : 0; // 0xc2
    }
    if (f == F32) store<u32>(R + (i << 2), <u32>r);
    else store<u64>(R + (i << 3), r);
  }
}

/** SSE3 HADDPS/PD and HSUBPS/PD: pairs of adjacent lanes, the destination's into the low results, the source's into the high. */
function horizontal(subtract: bool, f: u32, g: u32, s: u32): void {
  const n: u32 = f == F32 ? 4 : 2;
  for (let i: u32 = 0; i < n; i++) {
    const from = i < n / 2 ? g : s;
    const k = (i % (n / 2)) * 2;
    const a = f == F32 ? lane32(from, k) : lane64(from, k);
    const b = f == F32 ? lane32(from, k + 1) : lane64(from, k + 1);
    const r = add(a, b, f, subtract);
    if (f == F32) store<u32>(R + (i << 2), <u32>r);
    else store<u64>(R + (i << 3), r);
  }
}

/** SSE3 ADDSUBPS/PD: the even lanes subtract, the odd ones add. */
function addSub(f: u32, g: u32, s: u32): void {
  const n: u32 = f == F32 ? 4 : 2;
  for (let i: u32 = 0; i < n; i++) {
    const r = f == F32 ? add(lane32(g, i), lane32(s, i), F32, (i & 1) == 0) : add(lane64(g, i), lane64(s, i), F64, (i & 1) == 0);
    if (f == F32) store<u32>(R + (i << 2), <u32>r);
    else store<u64>(R + (i << 3), r);
  }
}

/** 0F 5A: CVTPS2PD, CVTPD2PS (upper half zero), CVTSS2SD, CVTSD2SS. */
function convertWidth(p: u32, s: u32): void {
  if (p == P_NONE) {
    const a = lane32(s, 0), b = lane32(s, 1);
    store<u64>(R, convertFloat(a, F32, F64));
    store<u64>(R + 8, convertFloat(b, F32, F64));
  } else if (p == P_66) {
    store<u32>(R, <u32>convertFloat(lane64(s, 0), F64, F32));
    store<u32>(R + 4, <u32>convertFloat(lane64(s, 1), F64, F32));
    store<u64>(R + 8, 0);
  } else if (p == P_F3) store<u64>(R, convertFloat(lane32(s, 0), F32, F64));
  else store<u32>(R, <u32>convertFloat(lane64(s, 0), F64, F32));
}

/** 0F 5B: CVTDQ2PS, CVTPS2DQ (66), CVTTPS2DQ (F3). */
function convertDwords(p: u32, s: u32): void {
  for (let i: u32 = 0; i < 4; i++) {
    const v = p == P_NONE ? <u32>intToFloat(load<i32>(s + (i << 2)), F32) : floatToInt(lane32(s, i), F32, p == P_F3);
    store<u32>(R + (i << 2), v);
  }
}

/** 0F E6: CVTTPD2DQ (66), CVTPD2DQ (F2), both with the upper half zero; CVTDQ2PD (F3). */
function convertDoubleDwords(p: u32, s: u32): void {
  if (p == P_F3) {
    const a = load<i32>(s), b = load<i32>(s + 4);
    store<u64>(R, intToFloat(a, F64));
    store<u64>(R + 8, intToFloat(b, F64));
    return;
  }
  store<u32>(R, floatToInt(lane64(s, 0), F64, p == P_66));
  store<u32>(R + 4, floatToInt(lane64(s, 1), F64, p == P_66));
  store<u64>(R + 8, 0);
}

/**
 * The conversions with an MM operand: CVTPI2PS and CVTPI2PD (0F 2A: two
 * int32 from an MM register or m64; a memory source makes no MMX
 * transition), CVT(T)PS2PI (0F 2D, 2C: two binary32 from XMM or m64) and
 * CVT(T)PD2PI (66: two binary64 from XMM or an aligned m128) into an MM register.
 */
function convertMmx(op: u32, p: u32): void {
  const g = xmmG();
  const fromMm = op == 0x2a && mrMod == 3;
  if ((fromMm || op != 0x2a) && !mmxUsable()) return;
  let s: u32;
  if (fromMm) {
    s = OFF_SSE_SOURCE;
    store<u64>(s, mm(mrRm));
  } else {
    s = sourceW(op != 0x2a && p == P_66 ? 16 : 8, op != 0x2a && p == P_66);
    if (faulted) return;
  }
  beginFp(mxcsr());
  if (op == 0x2a) {
    memory.copy(R, g, 16);
    const a = load<i32>(s), b = load<i32>(s + 4);
    if (p == P_NONE) {
      store<u32>(R, <u32>intToFloat(a, F32));
      store<u32>(R + 4, <u32>intToFloat(b, F32));
    } else {
      store<u64>(R, intToFloat(a, F64));
      store<u64>(R + 8, intToFloat(b, F64));
    }
    if (check()) memory.copy(g, R, 16);
    if (fromMm && !faulted) mmxTransition();
    return;
  }
  const f = p == P_NONE ? F32 : F64;
  const a = floatToInt(f == F32 ? lane32(s, 0) : lane64(s, 0), f, op == 0x2c);
  const b = floatToInt(f == F32 ? lane32(s, 1) : lane64(s, 1), f, op == 0x2c);
  if (!check()) return;
  setMm(mrReg, <u64>a | (<u64>b << 32));
  mmxTransition();
}

/** Records the flags in MXCSR; false (and #XM or #UD) when one of them is unmasked. */
function check(): bool {
  const csr = mxcsr();
  const unmasked = ~(csr >> 7) & 0x3f;
  const pre = fpFlags & (IE | DE | ZE);
  if ((pre & unmasked) != 0) {
    setMxcsr(csr | pre);
    xmmException();
    return false;
  }
  setMxcsr(csr | fpFlags);
  if ((fpFlags & unmasked) != 0) {
    xmmException();
    return false;
  }
  return true;
}

function commit(g: u32): void {
  if (check()) memory.copy(g, R, 16);
}

function xmmException(): void {
  if ((load<u32>(OFF_CR4) & CR4_OSXMMEXCPT) != 0) raise(XM, 0, false);
  else ud();
}
