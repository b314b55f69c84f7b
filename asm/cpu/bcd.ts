// Decimal adjust instructions: DAA DAS AAA AAS AAM AAD, after the SDM pseudocode.

import { EAX, CF, AF, PF, ZF, SF, OF, reg8, setReg8, reg16, setReg16 } from './state';
import { K_LOGIC, setLazy, setFlagBits, getCF, getAF } from './flags';
import { raise, VEC_DE } from './fault';

const AL: u32 = 0;
const AH: u32 = 4;

function resultFlags(al: u32): void {
  setLazy(K_LOGIC, 0, 0, 0, al & 0xff, PF | ZF | SF);
}

/**
 * DAA (after an addition) and DAS (after a subtraction), as the SDM writes
 * them: the low digit, then the high one, adjusted by 6 and 0x60 in the
 * operation's direction. Only DAS keeps the low step's carry when the high
 * digit needs no adjustment.
 */
function decimalAdjust(subtract: bool): void {
  const oldAl = reg8(AL);
  const oldCf = getCF();
  let al = oldAl;
  let cf: u32 = 0;
  let af: u32 = 0;
  if ((al & 0xf) > 9 || getAF()) {
    const adjusted = subtract ? al - 6 : al + 6; // above 0xff on a carry, and on a borrow (u32 wraps)
    cf = oldCf | <u32>(adjusted > 0xff);
    al = adjusted & 0xff;
    af = AF;
  }
  if (oldAl > 0x99 || oldCf != 0) {
    al = (subtract ? al - 0x60 : al + 0x60) & 0xff;
    cf = 1;
  } else if (!subtract) {
    cf = 0;
  }
  setReg8(AL, al);
  setFlagBits(CF | AF | OF, cf | af);
  resultFlags(al);
}

export function daa(): void {
  decimalAdjust(false);
}

export function das(): void {
  decimalAdjust(true);
}

export function aaa(): void {
  let ax = reg16(EAX);
  let f: u32 = 0;
  if ((ax & 0xf) > 9 || getAF()) {
    ax = (ax + 0x106) & 0xffff;
    f = AF | CF;
  }
  setReg16(EAX, ax & 0xff0f);
  setFlagBits(CF | AF | OF, f);
  resultFlags(ax & 0x0f);
}

export function aas(): void {
  let ax = reg16(EAX);
  let f: u32 = 0;
  if ((ax & 0xf) > 9 || getAF()) {
    ax = (ax - 6) & 0xffff;
    ax = (ax - 0x100) & 0xffff;
    f = AF | CF;
  }
  setReg16(EAX, ax & 0xff0f);
  setFlagBits(CF | AF | OF, f);
  resultFlags(ax & 0x0f);
}

export function aam(base: u32): void {
  if (base == 0) {
    raise(VEC_DE, 0, false);
    return;
  }
  const al = reg8(AL);
  const r = al % base;
  setReg8(AH, al / base);
  setReg8(AL, r);
  setFlagBits(CF | AF | OF, 0);
  resultFlags(r);
}

export function aad(base: u32): void {
  const al = (reg8(AL) + reg8(AH) * base) & 0xff;
  setReg16(EAX, al);
  setFlagBits(CF | AF | OF, 0);
  resultFlags(al);
}
