// String instructions (MOVS CMPS STOS LODS SCAS INS OUTS) with REP/REPE/REPNE.
//
// A REP instruction runs at most REP_CHUNK iterations per execution and then
// leaves EIP on itself, so interrupts and the run budget are honoured in the
// middle of a long copy; the registers always describe the iterations done,
// so a fault in the middle restarts exactly where it stopped. Forward MOVS
// and STOS through flat segments move whole page-bounded runs at once.

import { SEG_ES, EAX, ECX, EDX, ESI, EDI, OFF_EFLAGS, DF, reg32, setReg32, reg16, setReg16 } from './state';
import { faulted } from './fault';
import {
  adSize32, repPrefix, instrStart, dataSeg, readMem, writeMem, readReg, writeReg, setIp,
} from './decode';
import { alu, ALU_CMP } from './alu';
import { getZF } from './flags';
import { isFlat, linWrite } from './segments';
import { prepareWrite, hostForRead, writeLin } from './memory';
import { ioIn, ioOut, ioAllowed } from './io';

export const MOVS: u32 = 0;
export const CMPS: u32 = 1;
export const STOS: u32 = 2;
export const LODS: u32 = 3;
export const SCAS: u32 = 4;
export const INS: u32 = 5;
export const OUTS: u32 = 6;

const REP_CHUNK: u32 = 0x4000;

@inline function index(r: u32): u32 {
  return adSize32 ? reg32(r) : reg16(r);
}
@inline function setIndex(r: u32, v: u32): void {
  if (adSize32) setReg32(r, v);
  else setReg16(r, v);
}
@inline function step(sz: u32): u32 {
  return (load<u32>(OFF_EFLAGS) & DF) != 0 ? 0 - (1 << sz) : 1 << sz;
}

/** One iteration. Returns false after a fault (registers unchanged for this iteration). */
function once(op: u32, sz: u32, d: u32): bool {
  switch (op) {
    case MOVS: {
      const v = readMem(dataSeg(), index(ESI), sz);
      if (faulted) return false;
      writeMem(SEG_ES, index(EDI), sz, v);
      if (faulted) return false;
      setIndex(ESI, index(ESI) + d);
      setIndex(EDI, index(EDI) + d);
      return true;
    }
    case CMPS: {
      // The CPU reads ES:EDI before DS:ESI: when both would fault, the
      // EDI operand's fault is the one reported (measured on the host).
      const b = readMem(SEG_ES, index(EDI), sz);
      if (faulted) return false;
      const a = readMem(dataSeg(), index(ESI), sz);
      if (faulted) return false;
      alu(ALU_CMP, a, b, sz);
      setIndex(ESI, index(ESI) + d);
      setIndex(EDI, index(EDI) + d);
      return true;
    }
    case STOS:
      writeMem(SEG_ES, index(EDI), sz, readReg(sz, EAX));
      if (faulted) return false;
      setIndex(EDI, index(EDI) + d);
      return true;
    case LODS: {
      const v = readMem(dataSeg(), index(ESI), sz);
      if (faulted) return false;
      writeReg(sz, EAX, v);
      setIndex(ESI, index(ESI) + d);
      return true;
    }
    case SCAS: {
      const b = readMem(SEG_ES, index(EDI), sz);
      if (faulted) return false;
      alu(ALU_CMP, readReg(sz, EAX), b, sz);
      setIndex(EDI, index(EDI) + d);
      return true;
    }
    case INS: {
      // The destination is checked for writing before the port is read: a port
      // read can have side effects, so it must not happen for a store that faults.
      const lin = linWrite(SEG_ES, index(EDI), 1 << sz);
      if (faulted) return false;
      prepareWrite(lin, sz);
      if (faulted) return false;
      const v = ioIn(reg16(EDX), sz);
      if (faulted) return false;
      writeLin(lin, sz, v);
      setIndex(EDI, index(EDI) + d);
      return true;
    }
    default: { // OUTS
      const v = readMem(dataSeg(), index(ESI), sz);
      if (faulted) return false;
      ioOut(reg16(EDX), sz, v);
      if (faulted) return false;
      setIndex(ESI, index(ESI) + d);
      return true;
    }
  }
}

/**
 * Forward REP MOVS/STOS through flat segments: moves the longest run that
 * stays inside one source and one destination page of RAM. Returns how many
 * elements it moved (0: take the one-at-a-time path).
 */
function bulk(op: u32, sz: u32, count: u32): u32 {
  if (!adSize32 || !isFlat(SEG_ES, true)) return 0;
  const dst = reg32(EDI);
  let n: u32 = (0x1000 - (dst & 0xfff)) >> sz;
  if (op == MOVS) {
    if (!isFlat(dataSeg(), false)) return 0;
    const src = reg32(ESI);
    const ns: u32 = (0x1000 - (src & 0xfff)) >> sz;
    if (ns < n) n = ns;
    if (count < n) n = count;
    if (n == 0) return 0;
    const hs = hostForRead(src);
    if (hs == 0) return 0;
    const hd = prepareWrite(dst, 0);
    if (hd == 0) return 0;
    const bytes: u32 = n << sz;
    // REP MOVS copies forward element by element; memory.copy has memmove
    // semantics, which differs only when the destination starts inside the source run.
    if (hd > hs && hd - hs < bytes) return 0;
    memory.copy(hd, hs, bytes);
    setReg32(ESI, src + bytes);
  } else {
    if (count < n) n = count;
    if (n == 0) return 0;
    const hd = prepareWrite(dst, 0);
    if (hd == 0) return 0;
    const v = reg32(EAX);
    if (sz == 0) memory.fill(hd, <u8>v, n);
    else if (sz == 1) for (let i: u32 = 0; i < n; i++) store<u16>(hd + (i << 1), <u16>v);
    else for (let i: u32 = 0; i < n; i++) store<u32>(hd + (i << 2), v);
  }
  setReg32(EDI, dst + (n << sz));
  return n;
}

export function stringOp(op: u32, sz: u32): void {
  if ((op == INS || op == OUTS) && !ioAllowed(reg16(EDX), 1 << sz)) return;
  const d = step(sz);
  if (repPrefix == 0) {
    once(op, sz, d);
    return;
  }
  let count = index(ECX);
  let done: u32 = 0;
  const canBulk = (op == MOVS || op == STOS) && d == (1 << sz);
  while (count != 0) {
    if (done >= REP_CHUNK) {
      setIp(instrStart); // come back for the rest
      return;
    }
    let n: u32 = 0;
    if (canBulk && count > 1) {
      n = bulk(op, sz, count);
      if (faulted) return;
    }
    if (n == 0) {
      if (!once(op, sz, d)) return;
      n = 1;
    }
    count -= n;
    done += n;
    setIndex(ECX, count);
    if (op == CMPS || op == SCAS) {
      // REPE (F3) stops on a difference, REPNE (F2) on equality.
      if (getZF() != (repPrefix == 0xf3)) return;
    }
  }
}
