// Decoding of the x87 escape opcodes D8-DF and FWAIT: #NM, pending-exception
// delivery, the FPU instruction/data pointers, and routing to the operations.

import {
  OFF_CR0, CR0_EM, CR0_MP, CR0_TS, CR0_NE, SEG_CS, OFF_FPU_CW, OFF_FPU_FIP, OFF_FPU_FCS, OFF_FPU_FOP,
  OFF_FPU_FDP, OFF_FPU_FDS, OFF_FPU_FERR, segSel, setReg16, EAX,
} from '../state';
import { faulted, raise, ud, VEC_NM, VEC_MF } from '../fault';
import { decodeModrm, mrMod, mrReg, mrRm, eaOff, eaSeg, instrStart, readMem, writeMem, opSize32 } from '../decode';
import { setFlagBits, condition } from '../flags';
import {
  sw, setSw, cw, st, setSt, phys, isEmpty, markEmpty, fpuPush, fpuPop, incTop, decTop, underflow, signal, setCc,
  finit, SW_ES, SW_B, SW_IE, SW_DE, SW_C1, SW_C2, INDEFINITE,
} from './stack';
import {
  fromF32, fromF64, decodeF32, decodeF64, loadedDenormal, clearLoaded, loadInvalid, toF32, toF64, narrowBlocked, fromF80, toF80, f80Mant, f80Se, toInt, intInvalid, fromBcd, toBcd,
  bcdLo, bcdHi, isNan,
} from './formats';
import {
  arith, blocked, compare, compareBlocked, UNORDERED, ccToEflags, fxamClass, sqrt, rndint, scale, extract, significand, partialRemainder, OP_SUB, OP_DIVR,
} from './arith';
import { trig, atan2, f2xm1, ylog2, blockedT, TRIG_LIMIT } from './transcendental';
import { fnstenv, loadEnv, fnsave, frstor, recomputeSummary } from './environment';
import { read64, write64, write80, probeWrite } from './memory';
import { physBits, exactMant, exactSe, setPhysBits, setStFrom, swapPhys, hasBits, examineBits } from './exact';
import { requestStop } from '../signals';

/** FWAIT: #NM under MP and TS, otherwise delivers a pending exception. */
export function fwait(): void {
  if ((load<u32>(OFF_CR0) & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) {
    raise(VEC_NM, 0, false);
    return;
  }
  pendingException();
}

/** True (and the exception raised or FERR# asserted) when an unmasked exception waits; MMX instructions check it too. */
export function pendingException(): bool {
  if ((sw() & SW_ES) == 0) return false;
  if ((load<u32>(OFF_CR0) & CR0_NE) != 0) {
    raise(VEC_MF, 0, false);
    return true;
  }
  // MS-DOS compatible reporting: FERR# goes to the PIC as IRQ 13 and the
  // instruction proceeds as if IGNNE# were asserted (see README.md).
  if (load<u32>(OFF_FPU_FERR) == 0) {
    store<u32>(OFF_FPU_FERR, 1);
    requestStop(); // the host raises IRQ 13 before the next instruction
  }
  return false;
}

// Instructions that neither wait for pending exceptions nor record the instruction pointer.
function isNoWait(op: u32, mem: bool, reg: u32, rm: u32): bool {
  if (mem) return (op == 0xd9 || op == 0xdd) && reg >= 6;
  return (op == 0xdb && reg == 4 && rm <= 4) || (op == 0xdf && reg == 4 && rm == 0);
}

// Control instructions that wait but leave the instruction pointer alone.
function keepsPointers(op: u32, mem: bool, reg: u32): bool {
  return mem && ((op == 0xd9 && (reg == 4 || reg == 5)) || (op == 0xdd && reg == 4));
}

export function fpuEscape(op: u32): void {
  decodeModrm();
  if (faulted) return;
  if ((load<u32>(OFF_CR0) & (CR0_EM | CR0_TS)) != 0) {
    raise(VEC_NM, 0, false);
    return;
  }
  const mem = mrMod != 3;
  const reg = mrReg;
  const rm = mrRm;
  if (isNoWait(op, mem, reg, rm)) {
    if (mem) memoryControl(op, reg);
    else if (op == 0xdf) setReg16(EAX, sw());
    else registerControlDb(rm);
    return;
  }
  if (pendingException()) return;
  if (mem) memoryOp(op, reg);
  else registerOp(op, reg, rm);
  if (faulted || keepsPointers(op, mem, reg)) return;
  store<u32>(OFF_FPU_FIP, instrStart);
  store<u32>(OFF_FPU_FCS, segSel(SEG_CS));
  store<u32>(OFF_FPU_FOP, ((op & 7) << 8) | (mrMod << 6) | (reg << 3) | rm);
  if (mem) {
    store<u32>(OFF_FPU_FDP, eaOff);
    store<u32>(OFF_FPU_FDS, segSel(eaSeg));
  }
}

// FNSTENV, FNSTCW, FNSAVE, FNSTSW m16.
function memoryControl(op: u32, reg: u32): void {
  if (op == 0xd9) {
    if (reg == 6) fnstenv(eaSeg, eaOff, opSize32);
    else writeMem(eaSeg, eaOff, 1, cw());
  } else {
    if (reg == 6) fnsave(eaSeg, eaOff, opSize32);
    else writeMem(eaSeg, eaOff, 1, sw());
  }
}

// FNENI, FNDISI, FNSETPM (no-ops since the 387), FNCLEX, FNINIT.
function registerControlDb(rm: u32): void {
  if (rm == 2) setSw(sw() & ~(0xff | SW_B));
  else if (rm == 3) finit();
}

// ---------------------------------------------------------------- memory forms

// The memory source of the arithmetic rows: m32fp, m32int, m64fp, m16int.
// A denormal is left in loadedDenormal for arithOp to signal.
function readArithSource(op: u32): f64 {
  switch (op) {
    case 0xd8: return decodeF32(readMem(eaSeg, eaOff, 2));
    case 0xdc: return decodeF64(read64(eaSeg, eaOff));
  }
  clearLoaded();
  if (op == 0xda) return <f64>(<i32>readMem(eaSeg, eaOff, 2));
  return <f64>(<i16>readMem(eaSeg, eaOff, 1));
}

function memoryOp(op: u32, reg: u32): void {
  if ((op & 1) == 0) {
    const v = readArithSource(op);
    if (faulted) return;
    arithOp(reg, 0, v, false, true);
    return;
  }
  switch (op) {
    case 0xd9: memoryD9(reg); return;
    case 0xdb: memoryDb(reg); return;
    case 0xdd: memoryDd(reg); return;
    default: memoryDf(reg); return;
  }
}

// ST(dest) = ST(dest) op src for the D8/DC rows (ST(0) op src for memory).
// Register forms with the destination in ST(i) reverse SUB/SUBR and DIV/DIVR.
// A memory source signals its own exceptions once the stack is known good.
function arithOp(reg: u32, dest: u32, src: f64, reversed: bool, memory: bool = false): bool {
  if (reg == 2 || reg == 3) {
    if (isEmpty(0)) {
      if (!underflow()) setCc(UNORDERED);
      if (reg == 3) popChecked();
      return false;
    }
    // An unmasked SW_DE still sets the condition codes; only the pop waits.
    const denormalBlocked = memory && sourceBlocked(reg, st(0));
    setCc(compare(st(0), src, false));
    if (compareBlocked || denormalBlocked) return false;
    if (reg == 3) fpuPop();
    return true;
  }
  if (isEmpty(dest)) {
    if (!underflow()) setSt(dest, INDEFINITE);
    return false;
  }
  setSw(sw() & ~SW_C1);
  const o = reversed && reg >= OP_SUB ? reg ^ 1 : reg;
  if (memory && sourceBlocked(o, st(dest))) return false;
  const r = arith(o, st(dest), src);
  if (!blocked) setSt(dest, r);
  return !blocked;
}

// SW_DE for a denormal source, unless an exception that outranks it comes
// instead: a NaN other operand, or a division by a zero ST. True when the SW_DE
// is unmasked.
function sourceBlocked(op: u32, other: f64): bool {
  if (!loadedDenormal || isNan(other) || (op == OP_DIVR && other == 0)) return false;
  return signal(SW_DE);
}

// A pop after an unmasked underflow still happens only when the masked response would.
function popChecked(): void {
  if ((cw() & SW_IE) != 0) fpuPop();
}

function fld(v: f64): void {
  fpuPush(v);
}

// Stores ST(0) through `store`, then pops when asked; an empty ST(0) stores the indefinite.
function storeTop(kind: u32, popAfter: bool, chop: bool = false): void {
  let v: f64 = INDEFINITE;
  if (isEmpty(0)) {
    if (underflow()) return;
  } else {
    v = st(0);
  }
  setSw(sw() & ~SW_C1);
  switch (kind) {
    case 0: { // m32fp
      if (!probeWrite(eaSeg, eaOff, 4)) return;
      const b = toF32(v);
      if (narrowBlocked) return;
      writeMem(eaSeg, eaOff, 2, b);
      break;
    }
    case 1: { // m64fp
      if (!probeWrite(eaSeg, eaOff, 8)) return;
      const b = toF64(v);
      if (narrowBlocked) return;
      write64(eaSeg, eaOff, b);
      break;
    }
    case 2: // m80fp: the register's 80 bits as they are (exact.ts), the indefinite when empty
      if (isEmpty(0)) {
        toF80(v);
        write80(eaSeg, eaOff, f80Mant, f80Se);
      } else {
        physBits(phys(0));
        write80(eaSeg, eaOff, exactMant, exactSe);
      }
      break;
    case 3: // m16int
    case 4: // m32int
    case 5: { // m64int
      const size: u32 = kind == 3 ? 2 : kind == 4 ? 4 : 8;
      if (!probeWrite(eaSeg, eaOff, size)) return;
      const lim: f64 = kind == 3 ? 32768.0 : kind == 4 ? 2147483648.0 : 9223372036854775808.0;
      let r = toInt(v, -lim, lim, chop);
      if (intInvalid) {
        if (signal(SW_IE)) return;
        r = kind == 3 ? 0x8000 : kind == 4 ? 0x80000000 : <i64>0x8000000000000000;
      }
      if (kind == 5) write64(eaSeg, eaOff, <u64>r);
      else writeMem(eaSeg, eaOff, kind == 3 ? 1 : 2, <u32>r);
      break;
    }
    default: { // m80bcd
      if (!probeWrite(eaSeg, eaOff, 10)) return;
      if (toBcd(v)) write80(eaSeg, eaOff, bcdLo, bcdHi);
      else if (!signal(SW_IE)) write80(eaSeg, eaOff, 0xc000000000000000, 0xffff);
      else return;
      break;
    }
  }
  if (!faulted && popAfter) fpuPop();
}

function memoryD9(reg: u32): void {
  switch (reg) {
    case 0: {
      const v = fromF32(readMem(eaSeg, eaOff, 2));
      if (!faulted && !loadInvalid) fld(v);
      return;
    }
    case 1: ud(); return;
    case 2: storeTop(0, false); return;
    case 3: storeTop(0, true); return;
    case 4: loadEnv(eaSeg, eaOff, opSize32); return;
    default: { // FLDCW
      const c = readMem(eaSeg, eaOff, 1);
      if (faulted) return;
      store<u32>(OFF_FPU_CW, c & 0x1f7f);
      recomputeSummary();
      return;
    }
  }
}

function memoryDb(reg: u32): void {
  switch (reg) {
    case 0: {
      const v = <f64>(<i32>readMem(eaSeg, eaOff, 2));
      if (!faulted) fld(v);
      return;
    }
    case 2: storeTop(4, false); return;
    case 3: storeTop(4, true); return;
    case 5: {
      const m = read64(eaSeg, eaOff);
      const se = faulted ? 0 : readMem(eaSeg, eaOff + 8, 1);
      if (faulted) return;
      // An 80-bit load is a move (no exception, not even for an SNaN or a denormal): the bits stay exact.
      fld(fromF80(m, se));
      if ((sw() & SW_C1) == 0) setPhysBits(phys(0), m, se);
      return;
    }
    case 1: storeTop(4, true, true); return; // FISTTP m32int (SSE3)
    case 7: storeTop(2, true); return;
    default: ud(); return; // reserved encodings
  }
}

function memoryDd(reg: u32): void {
  switch (reg) {
    case 0: {
      const v = fromF64(read64(eaSeg, eaOff));
      if (!faulted && !loadInvalid) fld(v);
      return;
    }
    case 2: storeTop(1, false); return;
    case 3: storeTop(1, true); return;
    case 1: storeTop(5, true, true); return; // FISTTP m64int (SSE3)
    case 4: frstor(eaSeg, eaOff, opSize32); return;
    default: ud(); return;
  }
}

function memoryDf(reg: u32): void {
  switch (reg) {
    case 0: {
      const v = <f64>(<i16>readMem(eaSeg, eaOff, 1));
      if (!faulted) fld(v);
      return;
    }
    case 1: storeTop(3, true, true); return; // FISTTP m16int (SSE3)
    case 2: storeTop(3, false); return;
    case 3: storeTop(3, true); return;
    case 4: {
      const lo = read64(eaSeg, eaOff);
      const hi = faulted ? 0 : readMem(eaSeg, eaOff + 8, 1);
      if (!faulted) fld(fromBcd(lo, hi));
      return;
    }
    case 5: {
      const v = <f64>(<i64>read64(eaSeg, eaOff));
      if (!faulted) fld(v);
      return;
    }
    case 6: storeTop(6, true); return;
    default: storeTop(5, true); return;
  }
}

// ---------------------------------------------------------------- register forms

function registerOp(op: u32, reg: u32, rm: u32): void {
  switch (op) {
    case 0xd8: registerArith(reg, 0, rm, false, false); return;
    case 0xdc: registerArith(reg, rm, 0, true, false); return;
    case 0xde:
      if (reg == 3 && rm != 1) ud();
      else registerArith(reg, rm, 0, true, true);
      return;
    case 0xd9: registerD9(reg, rm); return;
    case 0xda: registerDa(reg, rm); return;
    case 0xdb: registerDb(reg, rm); return;
    case 0xdd: registerDd(reg, rm); return;
    default: registerDf(reg, rm); return;
  }
}

function registerArith(reg: u32, dest: u32, src: u32, reversed: bool, popAfter: bool): void {
  if (reg == 2 || reg == 3) { // FCOM/FCOMP (and the DC/DE aliases, FCOMPP)
    if (!compareRegisters(reversed ? dest : src, false)) return;
    if (reg == 3 || popAfter) fpuPop();
    if (popAfter && reg == 3) fpuPop(); // FCOMPP
    return;
  }
  if (isEmpty(src) || isEmpty(dest)) {
    if (!underflow()) {
      setSt(dest, INDEFINITE);
      if (popAfter) fpuPop();
    }
    return;
  }
  if (arithOp(reg, dest, st(src), reversed) && popAfter) fpuPop();
}

// C0/C2/C3 from ST(0) against ST(i); an empty operand is an underflow
// (unordered). Returns false when an unmasked invalid operation cancels the pops.
function compareRegisters(i: u32, quietNans: bool): bool {
  let cc: u32 = UNORDERED;
  let ok = true;
  if (isEmpty(0) || isEmpty(i)) ok = !underflow();
  else {
    cc = compare(st(0), st(i), quietNans);
    ok = !compareBlocked;
  }
  setCc(cc);
  return ok;
}

function registerD9(reg: u32, rm: u32): void {
  switch (reg) {
    case 0: { // FLD ST(i)
      if (isEmpty(rm)) {
        if (!underflow()) fpuPush(INDEFINITE);
        return;
      }
      const from = phys(rm);
      if (fpuPush(st(rm)) && (sw() & SW_C1) == 0) setStFrom(0, from); // not the indefinite of an overflow
      return;
    }
    case 1: fxch(rm); return;
    case 2: if (rm != 0) ud(); return; // FNOP
    case 3: fstpRegister(rm); return; // FSTP1 alias
    case 4: signs(rm); return;
    case 5: constant(rm); return;
    case 6: functions1(rm); return;
    default: functions2(rm); return;
  }
}

function fxch(i: u32): void {
  if (isEmpty(0) || isEmpty(i)) {
    if (underflow()) return;
    if (isEmpty(0)) setSt(0, INDEFINITE);
    if (isEmpty(i)) setSt(i, INDEFINITE);
  }
  swapPhys(phys(0), phys(i));
  setSw(sw() & ~SW_C1);
}

function fstRegister(i: u32): void {
  if (isEmpty(0)) {
    if (!underflow()) setSt(i, INDEFINITE);
    return;
  }
  setStFrom(i, phys(0));
}

function fstpRegister(i: u32): void {
  if (isEmpty(0)) {
    if (underflow()) return;
    setSt(i, INDEFINITE);
  } else {
    setStFrom(i, phys(0));
  }
  fpuPop();
}

// ST(0) must hold a value; false (after the underflow response) when it is empty.
function needTop(): bool {
  if (!isEmpty(0)) return true;
  if (!underflow()) setSt(0, INDEFINITE);
  return false;
}

// FCHS, FABS, FTST, FXAM.
function signs(rm: u32): void {
  if (rm == 5) {
    if (isEmpty(0)) setCc(0x4100 | ((reinterpret<u64>(st(0)) >> 63) != 0 ? SW_C1 : 0)); // C3 C0: empty
    else setCc(hasBits(phys(0)) ? examineBits(phys(0)) : fxamClass(st(0)));
    return;
  }
  if (rm == 2 || rm == 3 || rm > 5) {
    ud();
    return;
  }
  if (!needTop()) return;
  setSw(sw() & ~SW_C1);
  const x = st(0);
  const p = phys(0), exact = hasBits(p);
  if (exact) physBits(p);
  if (rm == 0) setSt(0, reinterpret<f64>(reinterpret<u64>(x) ^ 0x8000000000000000));
  else if (rm == 1) setSt(0, reinterpret<f64>(reinterpret<u64>(x) & 0x7fffffffffffffff));
  else setCc(compare(x, 0.0, false));
  // FCHS and FABS only touch the sign: exact 80 bits stay exact.
  if (exact && rm < 2) setPhysBits(p, exactMant, rm == 0 ? exactSe ^ 0x8000 : exactSe & 0x7fff);
}

function constant(rm: u32): void {
  let v: f64 = 0;
  switch (rm) {
    case 0: v = 1.0; break;
    case 1: v = 3.321928094887362; break; // log2(10)
    case 2: v = Math.LOG2E; break;
    case 3: v = Math.PI; break;
    case 4: v = 0.30102999566398120; break; // log10(2)
    case 5: v = Math.LN2; break;
    case 6: v = 0.0; break;
    default: ud(); return;
  }
  fpuPush(v);
}

// F2XM1 FYL2X FPTAN FPATAN FXTRACT FPREM1 FDECSTP FINCSTP.
function functions1(rm: u32): void {
  if (rm == 6) {
    setSw(sw() & ~SW_C1);
    decTop();
    return;
  }
  if (rm == 7) {
    setSw(sw() & ~SW_C1);
    incTop();
    return;
  }
  setSw(sw() & ~(SW_C1 | SW_C2));
  switch (rm) {
    case 0:
      if (needTop()) {
        const r = f2xm1(st(0));
        if (!blockedT) setSt(0, r);
      }
      return;
    case 1: binaryPop(1); return;
    case 2: {
      if (!needTop()) return;
      if (Math.abs(st(0)) >= TRIG_LIMIT) {
        setSw(sw() | SW_C2);
        return;
      }
      if (!isEmpty(7)) {
        underflowOverflow();
        return;
      }
      const r = trig(2, st(0));
      if (blockedT) return;
      setSt(0, r);
      fpuPush(1.0);
      return;
    }
    case 3: binaryPop(3); return;
    case 4: {
      if (!needTop()) return;
      if (!isEmpty(7)) {
        underflowOverflow();
        return;
      }
      const e = extract(st(0));
      if (blocked) return;
      setSt(0, e);
      fpuPush(significand);
      return;
    }
    default: remainder(true); return;
  }
}

// Two-result instructions with a full stack: the masked response fills both with the indefinite.
function underflowOverflow(): void {
  setSw(sw() | SW_C1);
  if (signal(SW_IE | 0x40)) return;
  setSt(0, INDEFINITE);
  fpuPush(INDEFINITE);
}

// ST(1) = f(ST(1), ST(0)), pop: FYL2X (1), FPATAN (3), FYL2XP1 (9).
function binaryPop(kind: u32): void {
  if (isEmpty(0) || isEmpty(1)) {
    if (underflow()) return;
    setSt(1, INDEFINITE);
    fpuPop();
    return;
  }
  const y = st(1);
  const x = st(0);
  const r = kind == 3 ? atan2(y, x) : ylog2(y, x, kind == 9);
  if (blockedT) return;
  setSt(1, r);
  fpuPop();
}

function remainder(ieee: bool): void {
  if (isEmpty(0) || isEmpty(1)) {
    if (!underflow()) setSt(0, INDEFINITE);
    return;
  }
  const r = partialRemainder(st(0), st(1), ieee);
  if (!blocked) setSt(0, r);
}

// FSQRT (false) or FRNDINT (true) on ST(0).
function unary(round: bool): void {
  if (!needTop()) return;
  const r = round ? rndint(st(0)) : sqrt(st(0));
  if (!blocked) setSt(0, r);
}

// FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS.
function functions2(rm: u32): void {
  setSw(sw() & ~(SW_C1 | SW_C2));
  switch (rm) {
    case 0: remainder(false); return;
    case 1: binaryPop(9); return;
    case 2: unary(false); return;
    case 4: unary(true); return;
    case 5: {
      if (isEmpty(0) || isEmpty(1)) {
        if (!underflow()) setSt(0, INDEFINITE);
        return;
      }
      const r = scale(st(0), st(1));
      if (!blocked) setSt(0, r);
      return;
    }
    default: { // FSINCOS (3), FSIN (6), FCOS (7)
      if (!needTop()) return;
      const x = st(0);
      if (Math.abs(x) >= TRIG_LIMIT) {
        setSw(sw() | SW_C2);
        return;
      }
      if (rm == 3) {
        if (!isEmpty(7)) {
          underflowOverflow();
          return;
        }
        const c = trig(1, x);
        if (blockedT) return;
        setSt(0, trig(0, x));
        fpuPush(c);
        return;
      }
      const r = trig(rm == 6 ? 0 : 1, x);
      if (!blockedT) setSt(0, r);
      return;
    }
  }
}

// FCMOVB/E/BE/U (DA) and their negations (DB); condition codes as for Jcc.
const FCMOV_CC: StaticArray<u32> = [2, 4, 6, 10];

function fcmov(reg: u32, rm: u32, negate: bool): void {
  setSw(sw() & ~SW_C1);
  if (isEmpty(0) || isEmpty(rm)) {
    // The masked response replaces ST(0) whatever the condition.
    if (!underflow()) setSt(0, INDEFINITE);
    return;
  }
  if (condition(FCMOV_CC[reg] + (negate ? 1 : 0))) setStFrom(0, phys(rm));
}

function registerDa(reg: u32, rm: u32): void {
  if (reg < 4) fcmov(reg, rm, false);
  else if (reg == 5 && rm == 1) { // FUCOMPP
    if (!compareRegisters(1, true)) return;
    fpuPop();
    fpuPop();
  } else ud();
}

function registerDb(reg: u32, rm: u32): void {
  if (reg < 4) fcmov(reg, rm, true);
  else if (reg == 5 || reg == 6) compareToEflags(rm, reg == 5, false);
  else ud();
}

// FUCOMI/FCOMI (and the popping DF forms): ZF PF CF from the compare, OF SF AF clear.
function compareToEflags(i: u32, quietNans: bool, popAfter: bool): void {
  let cc: u32 = UNORDERED;
  let ok = true;
  setSw(sw() & ~SW_C1);
  if (isEmpty(0) || isEmpty(i)) ok = !underflow();
  else {
    cc = compare(st(0), st(i), quietNans);
    ok = !compareBlocked;
  }
  // EFLAGS are written even when an unmasked invalid operation cancels the pop.
  setFlagBits(0x8d5, ccToEflags(cc));
  if (ok && popAfter) fpuPop();
}

function registerDd(reg: u32, rm: u32): void {
  switch (reg) {
    case 0: markEmpty(rm); return; // FFREE
    case 1: fxch(rm); return;
    case 2: fstRegister(rm); return;
    case 3: fstpRegister(rm); return;
    case 4: compareRegisters(rm, true); return; // FUCOM
    case 5: if (compareRegisters(rm, true)) fpuPop(); return; // FUCOMP
    default: ud(); return;
  }
}

function registerDf(reg: u32, rm: u32): void {
  switch (reg) {
    case 0: markEmpty(rm); fpuPop(); return; // FFREEP
    case 1: fxch(rm); return;
    case 2: case 3: fstpRegister(rm); return;
    case 5: case 6: compareToEflags(rm, reg == 5, true); return;
    default: ud(); return;
  }
}
