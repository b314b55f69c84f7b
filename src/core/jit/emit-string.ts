// The string instructions without a REP prefix (MOVS STOS LODS CMPS SCAS),
// as asm/cpu/string.ts runs one iteration: the accesses first (a fault
// leaves ESI and EDI as they were), then the index registers step by the
// operand size, backwards when DF is set. REP forms stay with the
// interpreter, whose page-sized bulk copies a region could not beat.

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_EFL, DS } from './abi.ts';
import type { Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { segOf, readMem, writeMem } from './emit-memory.ts';
import { alu, aluFlags } from './emit-alu.ts';

const ES = 0,
  ESI = 6,
  EDI = 7;

/** Adds the step (the size, negated when DF is set) to index register `r`. */
function advance(e: Emitter, r: number, sz: number): void {
  const n = 1 << sz;
  e.get(L_REG + r);
  e.i32(-n);
  e.i32(n);
  e.get(L_EFL);
  e.i32(0x400);
  e.op(Op.I32And);
  e.op(Op.Select);
  e.op(Op.I32Add);
  e.set(L_REG + r);
}

export function stringOp(e: Emitter, ins: Insn, v: number): void {
  const op = ins.d.opcode;
  const sz = (op & 1) === 0 ? 0 : v;
  const src = segOf(ins.d, DS);
  const at = (r: number) => () => e.get(L_REG + r);
  if (op <= 0xa5) {
    // MOVS
    readMem(e, ins, src, at(ESI), sz);
    e.set(L_T0);
    writeMem(e, ins, ES, at(EDI), sz, () => e.get(L_T0));
    advance(e, ESI, sz);
    advance(e, EDI, sz);
  } else if (op <= 0xa7) {
    // CMPS: ES:EDI is read first (its fault is the one reported), then DS:ESI.
    readMem(e, ins, ES, at(EDI), sz);
    e.set(L_T1);
    readMem(e, ins, src, at(ESI), sz);
    e.set(L_T0);
    alu(e, 7, sz, () => e.get(L_T1));
    aluFlags(e, 7, sz);
    advance(e, ESI, sz);
    advance(e, EDI, sz);
  } else if (op <= 0xab) {
    // STOS
    writeMem(e, ins, ES, at(EDI), sz, () => e.readReg(sz, 0));
    advance(e, EDI, sz);
  } else if (op <= 0xad) {
    // LODS
    readMem(e, ins, src, at(ESI), sz);
    e.set(L_T0);
    e.writeReg(sz, 0, () => e.get(L_T0));
    advance(e, ESI, sz);
  } else {
    // SCAS
    readMem(e, ins, ES, at(EDI), sz);
    e.set(L_T1);
    e.readReg(sz, 0);
    e.set(L_T0);
    alu(e, 7, sz, () => e.get(L_T1));
    aluFlags(e, 7, sz);
    advance(e, EDI, sz);
  }
}
