// The one-byte ModRM groups (SDM Vol. 2, Table A-6), one form per /reg:
// group 1 (80-83), 1A (8F), 2 (C0 C1 D0-D3), 11 (C6 C7), 3 (F6 F7), 4 (FE), 5 (FF).
// A /reg with no form here is #UD.

import { form } from './build.ts';
import { ALU_NAMES, aluFlags } from './map-primary.ts';
import { type Form, type Operand, flags, CF, PF, AF, ZF, SF, OF, STATUS, I64, D64, F64, FAR } from './types.ts';

function group1(): Form[] {
  const out: Form[] = [];
  ALU_NAMES.forEach((name, k) => {
    const f = aluFlags(k);
    const lock = name !== 'CMP' ? { lock: true } : {};
    out.push(
      form(`${name} Eb,Ib`, [0x80], ['Eb', 'Ib'], 'alu', f, { reg: k, ...lock }),
      form(`${name} Ev,Iz`, [0x81], ['Ev', 'Iz'], 'alu', f, { reg: k, ...lock }),
      // 82 is 80 again; the SDM lists it as valid outside 64-bit mode.
      form(`${name} Eb,Ib (82)`, [0x82], ['Eb', 'Ib'], 'alu', f, { reg: k, ...lock, ...I64, note: 'alias of 80; #UD only in 64-bit mode' }),
      form(`${name} Ev,Ibs`, [0x83], ['Ev', 'Ibs'], 'alu', f, { reg: k, ...lock }),
    );
  });
  return out;
}

export const SHIFT_NAMES = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SHL', 'SAR'] as const;

/**
 * EFLAGS use of a group-2 operation. With a count of 1 everything the
 * instruction writes is defined except AF for the shifts; with Ib or CL the
 * SDM makes OF undefined unless the masked count is 1, and CF undefined for
 * SHL/SHR whose count reaches the operand width (the generator narrows these
 * per instance, and a masked count of 0 changes nothing).
 */
export function shiftFlags(k: number, byOne: boolean) {
  const rotate = k < 4;
  const carryIn = k === 2 || k === 3 ? CF : 0;
  if (rotate) return flags(carryIn, CF | OF, byOne ? 0 : OF);
  const cfUndef = !byOne && (k === 4 || k === 5 || k === 6) ? CF : 0;
  return flags(0, CF | OF | SF | ZF | PF, AF | (byOne ? 0 : OF) | cfUndef);
}

function group2(): Form[] {
  const out: Form[] = [];
  const rows: [number, Operand, Operand][] = [
    [0xc0, 'Eb', 'Ib'],
    [0xc1, 'Ev', 'Ib'],
    [0xd0, 'Eb', '1'],
    [0xd1, 'Ev', '1'],
    [0xd2, 'Eb', 'CL'],
    [0xd3, 'Ev', 'CL'],
  ];
  SHIFT_NAMES.forEach((name, k) => {
    for (const [op, dst, count] of rows) {
      const alias = k === 6 ? ' (/6)' : '';
      const note = k === 6 ? 'undocumented /6 encoding; the P6 executes it as SHL (SAL)' : 'count masked to 5 bits; OF defined only for a count of 1';
      out.push(form(`${name} ${dst},${count}${alias}`, [op], [dst, count], 'shift', shiftFlags(k, count === '1'), { reg: k, note }));
    }
  });
  return out;
}

const MUL_FLAGS = flags(0, CF | OF, SF | ZF | AF | PF); // MUL/IMUL: "The SF, ZF, AF, and PF flags are undefined"
const DIV_FLAGS = flags(0, 0, STATUS); // DIV/IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined"

function group3(): Form[] {
  const out: Form[] = [];
  for (const [op, e, imm] of [
    [0xf6, 'Eb', 'Ib'],
    [0xf7, 'Ev', 'Iz'],
  ] as const) {
    const acc = e === 'Eb' ? 'AX' : 'eDX:eAX';
    out.push(
      form(`TEST ${e},${imm}`, [op], [e, imm], 'alu', aluFlags(4), { reg: 0 }),
      form(`TEST ${e},${imm} (/1)`, [op], [e, imm], 'alu', aluFlags(4), { reg: 1, note: 'undocumented alias of /0' }),
      form(`NOT ${e}`, [op], [e], 'alu', undefined, { reg: 2, lock: true }),
      form(`NEG ${e}`, [op], [e], 'alu', flags(0, STATUS), { reg: 3, lock: true, note: 'CF = (operand != 0)' }),
      form(`MUL ${e}`, [op], [e], 'muldiv', MUL_FLAGS, { reg: 4, note: `implicit ${acc}` }),
      form(`IMUL ${e}`, [op], [e], 'muldiv', MUL_FLAGS, { reg: 5, note: `implicit ${acc}` }),
      form(`DIV ${e}`, [op], [e], 'muldiv', DIV_FLAGS, { reg: 6, note: `implicit ${acc}; #DE on a zero divisor or a quotient too large` }),
      form(`IDIV ${e}`, [op], [e], 'muldiv', DIV_FLAGS, { reg: 7, note: `implicit ${acc}; #DE on a zero divisor or a quotient too large` }),
    );
  }
  return out;
}

function groups4to11(): Form[] {
  const incdec = flags(0, OF | SF | ZF | AF | PF);
  return [
    form('POP Ev', [0x8f], ['Ev'], 'stack', undefined, { reg: 0, ...D64, note: 'ESP as a base is the value after the pop' }),
    form('MOV Eb,Ib', [0xc6], ['Eb', 'Ib'], 'move', undefined, { reg: 0 }),
    form('MOV Ev,Iz', [0xc7], ['Ev', 'Iz'], 'move', undefined, { reg: 0 }),
    form('INC Eb', [0xfe], ['Eb'], 'alu', incdec, { reg: 0, lock: true }),
    form('DEC Eb', [0xfe], ['Eb'], 'alu', incdec, { reg: 1, lock: true }),
    form('INC Ev', [0xff], ['Ev'], 'alu', incdec, { reg: 0, lock: true }),
    form('DEC Ev', [0xff], ['Ev'], 'alu', incdec, { reg: 1, lock: true }),
    form('CALL Ev', [0xff], ['Ev'], 'control', undefined, { reg: 2, branch: true, ...F64 }),
    form('CALL Mp', [0xff], ['Mp'], 'control', undefined, { reg: 3, branch: true, ...FAR }),
    form('JMP Ev', [0xff], ['Ev'], 'control', undefined, { reg: 4, branch: true, ...F64 }),
    form('JMP Mp', [0xff], ['Mp'], 'control', undefined, { reg: 5, branch: true, ...FAR }),
    form('PUSH Ev', [0xff], ['Ev'], 'stack', undefined, { reg: 6, ...D64 }),
  ];
}

export const GROUP_FORMS: readonly Form[] = [...group1(), ...group2(), ...group3(), ...groups4to11()];
