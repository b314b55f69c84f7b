// One instruction the translator emits as wasm (forms.ts says which): the
// dispatch by opcode to the emitters of its kind.

import { Op } from './wasm.ts';
import { L_REG, L_T0, L_T1, L_T2, L_T3, CF, ARITH, K_SUB, SS, DS, ESP, sizeMask } from './abi.ts';
import { isStringOp, type Insn } from './forms.ts';
import type { Emitter } from './emitter.ts';
import { condition, produce, setFlagBits } from './emit-flags.ts';
import { attentionCheck } from './emit-exits.ts';
import { segOf, address, readMem, writeMem, readE, writeE, rmwReadE, rmwWriteE, push, pop } from './emit-memory.ts';
import { alu, aluFlags, aluInsn, incDec, bitTest, imul, mul, xadd, cmpxchg, bitScan } from './emit-alu.ts';
import { stringOp } from './emit-string.ts';
import { shiftE, shiftDoubleE, rotate } from './emit-shift.ts';
import { divide } from './emit-divide.ts';
import { rdtsc } from './emit-clock.ts';
import { sse } from './emit-sse.ts';
import { isSseNative } from './sse-forms.ts';

export function native(e: Emitter, ins: Insn): void {
  const d = ins.d;
  const op = d.opcode;
  const m = d.modrm;
  const v = d.op16 ? 1 : 2;
  let touched = m !== null && m.mod !== 3;
  if (op < 0x40) {
    const kind = (op >> 3) & 7;
    const form = op & 7;
    const sz = (form & 1) === 0 ? 0 : v;
    if (form >= 4) aluInsn(e, ins, kind, sz, 'AI', d.imms[0]);
    else aluInsn(e, ins, kind, sz, form >= 2 ? 'GE' : 'EG');
  } else if (op <= 0x4f) {
    incDec(e, ins, v, op >= 0x48, op & 7);
  } else if (op <= 0x57) {
    push(e, ins, v, () => e.readReg(v, op & 7));
    touched = true;
  } else if (op <= 0x5f) {
    pop(e, ins, v);
    e.writeReg(v, op & 7, () => e.get(L_T3));
    touched = true;
  } else if (op === 0x68 || op === 0x6a) {
    const imm = op === 0x6a ? (d.imms[0] << 24) >> 24 : d.imms[0];
    push(e, ins, v, () => e.i32(imm));
    touched = true;
  } else if (op >= 0x80 && op <= 0x83) {
    const sz = op === 0x81 || op === 0x83 ? v : 0;
    let imm = d.imms[0];
    if (op === 0x83) imm = (imm << 24) >> 24;
    aluInsn(e, ins, m!.reg, sz, 'EI', imm);
  } else if (op === 0x84 || op === 0x85) {
    aluInsn(e, ins, 4, op === 0x84 ? 0 : v, 'TEST');
  } else if (op === 0x86 || op === 0x87) {
    const sz = op === 0x86 ? 0 : v;
    rmwReadE(e, ins, sz);
    rmwWriteE(e, ins, sz, () => e.readReg(sz, m!.reg));
    e.writeReg(sz, m!.reg, () => e.get(L_T0));
  } else if (op === 0x88 || op === 0x89) {
    const sz = op === 0x88 ? 0 : v;
    writeE(e, ins, sz, () => e.readReg(sz, m!.reg));
  } else if (op === 0x8a || op === 0x8b) {
    const sz = op === 0x8a ? 0 : v;
    readE(e, ins, sz);
    e.set(L_T0);
    e.writeReg(sz, m!.reg, () => e.get(L_T0));
  } else if (op === 0x8d) {
    e.writeReg(v, m!.reg, () => address(e, d));
  } else if (op === 0x90) {
    // NOP, PAUSE
  } else if (op >= 0x91 && op <= 0x97) {
    e.readReg(v, 0);
    e.set(L_T0);
    e.writeReg(v, 0, () => e.readReg(v, op & 7));
    e.writeReg(v, op & 7, () => e.get(L_T0));
  } else if (op === 0x98) {
    if (v === 2) {
      e.get(L_REG);
      e.op(Op.I32Extend16S);
      e.set(L_REG);
    } else
      e.writeReg(1, 0, () => {
        e.get(L_REG);
        e.op(Op.I32Extend8S);
      });
  } else if (op === 0x99) {
    if (v === 2) {
      e.get(L_REG);
      e.i32(31);
      e.op(Op.I32ShrS);
      e.set(L_REG + 2);
    } else
      e.writeReg(1, 2, () => {
        e.get(L_REG);
        e.op(Op.I32Extend16S);
        e.i32(15);
        e.op(Op.I32ShrS);
      });
  } else if (op >= 0xa0 && op <= 0xa3) {
    const sz = (op & 1) === 0 ? 0 : v;
    const seg = segOf(d, DS);
    const addr = () => e.i32(d.imms[0]);
    if (op < 0xa2) {
      readMem(e, ins, seg, addr, sz);
      e.set(L_T0);
      e.writeReg(sz, 0, () => e.get(L_T0));
    } else {
      writeMem(e, ins, seg, addr, sz, () => e.readReg(sz, 0));
    }
    touched = true;
  } else if (op === 0xa8 || op === 0xa9) {
    const sz = op === 0xa8 ? 0 : v;
    e.readReg(sz, 0);
    e.set(L_T0);
    alu(e, 4, sz, () => e.i32(d.imms[0]));
    aluFlags(e, 4, sz);
  } else if (op >= 0xb0 && op <= 0xb7) {
    e.writeReg(0, op & 7, () => e.i32(d.imms[0]));
  } else if (op >= 0xb8 && op <= 0xbf) {
    e.writeReg(v, op & 7, () => e.i32(d.imms[0]));
  } else if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    const count = op >= 0xd2 ? null : op >= 0xd0 ? 1 : d.imms[0];
    if (m!.reg <= 1) rotate(e, m!.reg === 1, m!.rm, count! & 31);
    else shiftE(e, ins, m!.reg, (op & 1) === 0 ? 0 : v, count);
  } else if (op === 0x69 || op === 0x6b || op === 0x1af) {
    const imm = op === 0x1af ? null : op === 0x6b ? (d.imms[0] << 24) >> 24 : d.imms[0];
    imul(e, ins, v, imm);
  } else if (op === 0xc9) {
    // LEAVE: ESP = EBP, then POP EBP.
    readMem(e, ins, SS, () => e.get(L_REG + 5), 2);
    e.set(L_T3);
    e.get(L_REG + 5);
    e.i32(4);
    e.op(Op.I32Add);
    e.set(L_REG + ESP);
    e.get(L_T3);
    e.set(L_REG + 5);
    touched = true;
  } else if (op === 0xf8 || op === 0xf9 || op === 0xf5) {
    setFlagBits(e, CF, () => {
      if (op === 0xf5) {
        condition(e, 2);
        e.op(Op.I32Eqz);
      } else e.i32(op === 0xf9 ? 1 : 0);
    });
  } else if (op === 0xfc || op === 0xfd) {
    setFlagBits(e, 0x400, () => e.i32(op === 0xfd ? 0x400 : 0));
  } else if (op === 0xc6 || op === 0xc7) {
    const sz = op === 0xc6 ? 0 : v;
    writeE(e, ins, sz, () => e.i32(d.imms[0]));
  } else if (op === 0xf6 || op === 0xf7) {
    const sz = op === 0xf6 ? 0 : v;
    if (m!.reg <= 1) aluInsn(e, ins, 4, sz, 'TEST', d.imms[0]);
    else if (m!.reg === 4) mul(e, ins, sz);
    else if (m!.reg >= 6) divide(e, ins, sz, m!.reg === 7);
    else {
      rmwReadE(e, ins, sz);
      if (m!.reg === 2) {
        rmwWriteE(e, ins, sz, () => {
          e.get(L_T0);
          e.i32(-1);
          e.op(Op.I32Xor);
        });
      } else {
        e.get(L_T0);
        e.i32(sizeMask(sz));
        e.op(Op.I32And);
        e.set(L_T1);
        e.i32(0);
        e.set(L_T0);
        e.i32(0);
        e.get(L_T1);
        e.op(Op.I32Sub);
        if (sz < 2) {
          e.i32(sizeMask(sz));
          e.op(Op.I32And);
        }
        e.set(L_T2);
        rmwWriteE(e, ins, sz, () => e.get(L_T2));
        produce(e, K_SUB, sz, ARITH);
      }
    }
  } else if (op === 0xfe || op === 0xff) {
    const sz = op === 0xfe ? 0 : v;
    if (m!.reg <= 1) incDec(e, ins, sz, m!.reg === 1, null);
    else {
      // PUSH Ev
      readE(e, ins, sz);
      e.set(L_T0);
      push(e, ins, sz, () => e.get(L_T0));
      touched = true;
    }
  } else if (op >= 0x140 && op <= 0x14f) {
    readE(e, ins, v);
    e.set(L_T0);
    condition(e, op & 15);
    e.open(Op.If);
    e.writeReg(v, m!.reg, () => e.get(L_T0));
    e.close();
  } else if (op >= 0x190 && op <= 0x19f) {
    condition(e, op & 15);
    e.set(L_T0);
    writeE(e, ins, 0, () => e.get(L_T0));
  } else if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) {
    const src = op & 1 ? 1 : 0;
    readE(e, ins, src);
    if (op >= 0x1be) e.op(src ? Op.I32Extend16S : Op.I32Extend8S);
    e.set(L_T0);
    e.writeReg(v, m!.reg, () => e.get(L_T0));
  } else if (isStringOp(op)) {
    stringOp(e, ins, v);
    touched = true;
  } else if (op === 0x1c0 || op === 0x1c1) {
    xadd(e, ins, op === 0x1c0 ? 0 : v);
  } else if (op === 0x1a4 || op === 0x1a5 || op === 0x1ac || op === 0x1ad) {
    shiftDoubleE(e, ins, op < 0x1a8, (op & 1) === 0 ? d.imms[0] : null);
  } else if (isSseNative(op, d.rep, d.op16, touched)) {
    sse(e, ins);
  } else if (op === 0x131) {
    rdtsc(e, ins);
  } else if (op === 0x1ae) {
    // LFENCE MFENCE SFENCE: this core runs one instruction at a time and buffers no writes (asm/cpu/sse/group15.ts).
  } else if (op >= 0x1c8 && op <= 0x1cf) {
    // BSWAP: bytes 1 and 3 from the register rotated left by 8, bytes 0 and 2 from it rotated right.
    const r = L_REG + (op & 7);
    e.get(r);
    e.i32(8);
    e.op(Op.I32Rotl);
    e.i32(0x00ff00ff);
    e.op(Op.I32And);
    e.get(r);
    e.i32(8);
    e.op(Op.I32Rotr);
    e.i32(0xff00ff00);
    e.op(Op.I32And);
    e.op(Op.I32Or);
    e.set(r);
  } else if (op === 0x1bc || op === 0x1bd) {
    bitScan(e, ins, op === 0x1bc, v);
  } else if (op === 0x1b0 || op === 0x1b1) {
    cmpxchg(e, ins, op === 0x1b0 ? 0 : v);
  } else if (op === 0x11f) {
    touched = false; // NOP Ev: no memory access
  } else if (op === 0x1ba || op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb) {
    bitTest(e, ins, op === 0x1ba ? m!.reg - 4 : (op >> 3) & 3, v);
  } else {
    throw new Error(`translator: no emitter for opcode ${op.toString(16)}`);
  }
  if (touched) attentionCheck(e, ins);
}
