// Two-operand arithmetic and logic (ADD OR ADC SBB AND SUB XOR CMP, in the
// order of their ModRM /reg and opcode-row encoding), INC, DEC, NEG.

import { ARITH_FLAGS, CF } from './state';
import { K_ADD, K_ADC, K_SUB, K_SBB, K_LOGIC, setLazy, getCF, sizeMask } from './flags';

export const ALU_ADD: u32 = 0;
export const ALU_OR: u32 = 1;
export const ALU_ADC: u32 = 2;
export const ALU_SBB: u32 = 3;
export const ALU_AND: u32 = 4;
export const ALU_SUB: u32 = 5;
export const ALU_XOR: u32 = 6;
export const ALU_CMP: u32 = 7;

/** Computes `a op b` at size sz and records the flags. CMP returns the difference like SUB; the caller discards it. */
@inline export function alu(op: u32, a: u32, b: u32, sz: u32): u32 {
  const m = sizeMask(sz);
  a &= m;
  b &= m;
  let r: u32;
  switch (op) {
    case ALU_ADD:
      r = (a + b) & m;
      setLazy(K_ADD, sz, a, b, r, ARITH_FLAGS);
      return r;
    case ALU_OR:
      r = a | b;
      setLazy(K_LOGIC, sz, a, b, r, ARITH_FLAGS);
      return r;
    case ALU_ADC: {
      const c = getCF();
      r = (a + b + c) & m;
      setLazy(c ? K_ADC : K_ADD, sz, a, b, r, ARITH_FLAGS);
      return r;
    }
    case ALU_SBB: {
      const c = getCF();
      r = (a - b - c) & m;
      setLazy(c ? K_SBB : K_SUB, sz, a, b, r, ARITH_FLAGS);
      return r;
    }
    case ALU_AND:
      r = a & b;
      setLazy(K_LOGIC, sz, a, b, r, ARITH_FLAGS);
      return r;
    case ALU_XOR:
      r = a ^ b;
      setLazy(K_LOGIC, sz, a, b, r, ARITH_FLAGS);
      return r;
    default: // SUB, CMP
      r = (a - b) & m;
      setLazy(K_SUB, sz, a, b, r, ARITH_FLAGS);
      return r;
  }
}

// INC and DEC leave CF alone.
@inline export function inc(v: u32, sz: u32): u32 {
  const m = sizeMask(sz);
  const r = (v + 1) & m;
  setLazy(K_ADD, sz, v & m, 1, r, ARITH_FLAGS & ~CF);
  return r;
}

@inline export function dec(v: u32, sz: u32): u32 {
  const m = sizeMask(sz);
  const r = (v - 1) & m;
  setLazy(K_SUB, sz, v & m, 1, r, ARITH_FLAGS & ~CF);
  return r;
}

export function neg(v: u32, sz: u32): u32 {
  const m = sizeMask(sz);
  const r = (0 - v) & m;
  setLazy(K_SUB, sz, 0, v & m, r, ARITH_FLAGS);
  return r;
}

/** TEST: AND that only sets flags. */
export function test(a: u32, b: u32, sz: u32): void {
  const m = sizeMask(sz);
  setLazy(K_LOGIC, sz, a & m, b & m, a & b & m, ARITH_FLAGS);
}
