// The one-byte opcode map (SDM Vol. 2, Table A-2), except the ModRM-group
// opcodes (map-groups.ts) and the x87 escapes (map-x87.ts). Prefix bytes
// (26 2E 36 3E 64 65 66 67 F0 F2 F3) and the 0F escape are not forms.

import { form } from './build.ts';
import { type Form, type Operand, CONDITIONS, flags, CF, PF, AF, ZF, SF, OF, IF, DF, STATUS, ALL_FLAGS, I64, D64, F64, FAR } from './types.ts';

export const ALU_NAMES = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;

/** EFLAGS use of the eight ALU operations, in /reg order. */
export function aluFlags(k: number) {
  const name = ALU_NAMES[k];
  if (name === 'AND' || name === 'OR' || name === 'XOR') return flags(0, CF | OF | SF | ZF | PF, AF); // AF: SDM "undefined"
  if (name === 'ADC' || name === 'SBB') return flags(CF, STATUS);
  return flags(0, STATUS);
}

function aluRows(): Form[] {
  const out: Form[] = [];
  ALU_NAMES.forEach((name, k) => {
    const base = k * 8;
    const f = aluFlags(k);
    const lock = name !== 'CMP';
    const rows: [number, Operand[]][] = [
      [0, ['Eb', 'Gb']],
      [1, ['Ev', 'Gv']],
      [2, ['Gb', 'Eb']],
      [3, ['Gv', 'Ev']],
      [4, ['AL', 'Ib']],
      [5, ['eAX', 'Iz']],
    ];
    for (const [i, ops] of rows) {
      out.push(form(`${name} ${ops.join(',')}`, [base + i], ops, 'alu', f, i < 2 && lock ? { lock: true } : {}));
    }
  });
  return out;
}

const jcc = (): Form[] => CONDITIONS.map(({ cc, reads }, k) => form(`J${cc.toUpperCase()} Jb`, [0x70 + k], ['Jb'], 'control', flags(reads, 0), { branch: true, ...F64 }));

const segRows = (): Form[] => [
  form('PUSH ES', [0x06], ['ES'], 'stack', undefined, I64),
  form('POP ES', [0x07], ['ES'], 'stack', undefined, I64),
  form('PUSH CS', [0x0e], ['CS'], 'stack', undefined, I64),
  form('PUSH SS', [0x16], ['SS'], 'stack', undefined, I64),
  form('POP SS', [0x17], ['SS'], 'stack', undefined, { ...I64, note: 'inhibits interrupts and debug traps until the next instruction ends' }),
  form('PUSH DS', [0x1e], ['DS'], 'stack', undefined, I64),
  form('POP DS', [0x1f], ['DS'], 'stack', undefined, I64),
];

const bcdRows = (): Form[] => [
  // DAA/DAS: SDM "The OF flag is undefined"; AAA/AAS: "The OF, SF, ZF, and PF flags are undefined".
  form('DAA', [0x27], [], 'bcd', flags(CF | AF, CF | AF | SF | ZF | PF, OF), I64),
  form('DAS', [0x2f], [], 'bcd', flags(CF | AF, CF | AF | SF | ZF | PF, OF), I64),
  form('AAA', [0x37], [], 'bcd', flags(AF, AF | CF, OF | SF | ZF | PF), I64),
  form('AAS', [0x3f], [], 'bcd', flags(AF, AF | CF, OF | SF | ZF | PF), I64),
  // AAM/AAD: "The OF, AF, and CF flags are undefined". AAM 0 is #DE.
  form('AAM Ib', [0xd4], ['Ib'], 'bcd', flags(0, SF | ZF | PF, OF | AF | CF), { ...I64, note: 'an immediate of 0 raises #DE' }),
  form('AAD Ib', [0xd5], ['Ib'], 'bcd', flags(0, SF | ZF | PF, OF | AF | CF), I64),
];

const STRING_NOTE = 'address size picks SI/DI/CX or ESI/EDI/ECX; DS: is overridable, ES: is not';

function stringRows(): Form[] {
  const s = (id: string, op: number, ops: Operand[], names: [string, string] | null, f = flags(DF, 0), extra: Partial<Form> = {}) =>
    form(id, [op], ops, 'string', f, { rep: 'rep', note: STRING_NOTE, ...(names ? { sized: { by: 'operand', names } } : {}), ...extra });
  const cmp = flags(DF, STATUS);
  return [
    s('INSB Yb,DX', 0x6c, ['Yb', 'DX'], null, undefined, { privilege: 'iopl' }),
    s('INS Yv,DX', 0x6d, ['Yv', 'DX'], ['insw', 'insd'], undefined, { privilege: 'iopl' }),
    s('OUTSB DX,Xb', 0x6e, ['DX', 'Xb'], null, undefined, { privilege: 'iopl' }),
    s('OUTS DX,Xv', 0x6f, ['DX', 'Xv'], ['outsw', 'outsd'], undefined, { privilege: 'iopl' }),
    s('MOVSB Yb,Xb', 0xa4, ['Yb', 'Xb'], null),
    s('MOVS Yv,Xv', 0xa5, ['Yv', 'Xv'], ['movsw', 'movsd']),
    s('CMPSB Xb,Yb', 0xa6, ['Xb', 'Yb'], null, cmp, { rep: 'repcc' }),
    s('CMPS Xv,Yv', 0xa7, ['Xv', 'Yv'], ['cmpsw', 'cmpsd'], cmp, { rep: 'repcc' }),
    s('STOSB Yb,AL', 0xaa, ['Yb', 'AL'], null),
    s('STOS Yv,eAX', 0xab, ['Yv', 'eAX'], ['stosw', 'stosd']),
    s('LODSB AL,Xb', 0xac, ['AL', 'Xb'], null),
    s('LODS eAX,Xv', 0xad, ['eAX', 'Xv'], ['lodsw', 'lodsd']),
    s('SCASB AL,Yb', 0xae, ['AL', 'Yb'], null, cmp, { rep: 'repcc' }),
    s('SCAS eAX,Yv', 0xaf, ['eAX', 'Yv'], ['scasw', 'scasd'], cmp, { rep: 'repcc' }),
  ];
}

const IMUL_FLAGS = flags(0, CF | OF, SF | ZF | AF | PF); // IMUL: "The SF, ZF, AF, and PF flags are undefined"

function miscRows(): Form[] {
  const incdec = flags(0, OF | SF | ZF | AF | PF); // CF is not affected
  const sz = (names: [string, string]) => ({ sized: { by: 'operand' as const, names } });
  return [
    form('INC Zv', [0x40], ['Zv'], 'alu', incdec, { plusReg: true, ...I64 }),
    form('DEC Zv', [0x48], ['Zv'], 'alu', incdec, { plusReg: true, ...I64 }),
    form('PUSH Zv', [0x50], ['Zv'], 'stack', undefined, { plusReg: true, ...D64, note: 'PUSH ESP pushes the value before the push' }),
    form('POP Zv', [0x58], ['Zv'], 'stack', undefined, { plusReg: true, ...D64, note: 'POP ESP loads the popped value, ignoring the increment' }),
    form('PUSHA', [0x60], [], 'stack', undefined, { ...sz(['pusha', 'pushad']), ...I64 }),
    form('POPA', [0x61], [], 'stack', undefined, { ...sz(['popa', 'popad']), ...I64, note: 'the stored ESP is skipped' }),
    form('BOUND Gv,Ma', [0x62], ['Gv', 'Ma'], 'misc', undefined, { ...I64, note: 'out of bounds raises #BR; a register operand is #UD (EVEX on later CPUs)' }),
    form('ARPL Ew,Gw', [0x63], ['Ew', 'Gw'], 'system', flags(0, ZF), { ...I64, note: '#UD in real and virtual-8086 mode' }),
    form('PUSH Iz', [0x68], ['Iz'], 'stack', undefined, D64),
    form('IMUL Gv,Ev,Iz', [0x69], ['Gv', 'Ev', 'Iz'], 'muldiv', IMUL_FLAGS),
    form('PUSH Ibs', [0x6a], ['Ibs'], 'stack', undefined, D64),
    form('IMUL Gv,Ev,Ibs', [0x6b], ['Gv', 'Ev', 'Ibs'], 'muldiv', IMUL_FLAGS),
    form('TEST Eb,Gb', [0x84], ['Eb', 'Gb'], 'alu', aluFlags(4)),
    form('TEST Ev,Gv', [0x85], ['Ev', 'Gv'], 'alu', aluFlags(4)),
    form('XCHG Eb,Gb', [0x86], ['Eb', 'Gb'], 'move', undefined, { lock: true, note: 'locked with a memory operand even without LOCK' }),
    form('XCHG Ev,Gv', [0x87], ['Ev', 'Gv'], 'move', undefined, { lock: true, note: 'locked with a memory operand even without LOCK' }),
    form('MOV Eb,Gb', [0x88], ['Eb', 'Gb'], 'move'),
    form('MOV Ev,Gv', [0x89], ['Ev', 'Gv'], 'move'),
    form('MOV Gb,Eb', [0x8a], ['Gb', 'Eb'], 'move'),
    form('MOV Gv,Ev', [0x8b], ['Gv', 'Ev'], 'move'),
    form('MOV Ev,Sw', [0x8c], ['Ev', 'Sw'], 'move', undefined, {
      note: 'stores 16 bits to memory whatever the operand size; a 32-bit register gets the selector zero-extended (P6 family)',
    }),
    form('LEA Gv,M', [0x8d], ['Gv', 'M'], 'move', undefined, { note: 'a register operand is #UD' }),
    form('MOV Sw,Ew', [0x8e], ['Sw', 'Ew'], 'move', undefined, {
      note: 'CS or a segment register above GS is #UD; loading SS inhibits interrupts for one instruction',
    }),
    form('NOP', [0x90], [], 'misc', undefined, { note: 'F3 90 is PAUSE, a NOP on the P6' }),
    form('XCHG Zv,eAX', [0x90], ['Zv', 'eAX'], 'move', undefined, { plusReg: true, note: '90 itself is NOP' }),
    form('CBW', [0x98], [], 'move', undefined, sz(['cbw', 'cwde'])),
    form('CWD', [0x99], [], 'move', undefined, sz(['cwd', 'cdq'])),
    form('CALL Ap', [0x9a], ['Ap'], 'control', undefined, { branch: true, ...I64 }),
    form('WAIT', [0x9b], [], 'misc', undefined, { note: 'raises a pending x87 exception (#MF), or #NM when CR0.MP and CR0.TS' }),
    form('PUSHF', [0x9c], [], 'flags', flags(ALL_FLAGS, 0), { ...sz(['pushf', 'pushfd']), ...D64, note: 'stores VM and RF as 0' }),
    form('POPF', [0x9d], [], 'flags', flags(0, ALL_FLAGS), {
      ...sz(['popf', 'popfd']),
      ...D64,
      note: 'IOPL changes only at CPL 0, IF only at CPL <= IOPL; VM, VIP, VIF are kept; RF is cleared',
    }),
    form('SAHF', [0x9e], [], 'flags', flags(0, SF | ZF | AF | PF | CF)),
    form('LAHF', [0x9f], [], 'flags', flags(SF | ZF | AF | PF | CF, 0)),
    form('MOV AL,Ob', [0xa0], ['AL', 'Ob'], 'move'),
    form('MOV eAX,Ov', [0xa1], ['eAX', 'Ov'], 'move'),
    form('MOV Ob,AL', [0xa2], ['Ob', 'AL'], 'move'),
    form('MOV Ov,eAX', [0xa3], ['Ov', 'eAX'], 'move'),
    form('TEST AL,Ib', [0xa8], ['AL', 'Ib'], 'alu', aluFlags(4)),
    form('TEST eAX,Iz', [0xa9], ['eAX', 'Iz'], 'alu', aluFlags(4)),
    form('MOV Zb,Ib', [0xb0], ['Zb', 'Ib'], 'move', undefined, { plusReg: true }),
    form('MOV Zv,Iv', [0xb8], ['Zv', 'Iv'], 'move', undefined, { plusReg: true }),
    form('RET Iw', [0xc2], ['Iw'], 'control', undefined, { branch: true, ...F64 }),
    form('RET', [0xc3], [], 'control', undefined, { branch: true, ...F64 }),
    form('LES Gv,Mp', [0xc4], ['Gv', 'Mp'], 'move', undefined, { ...I64, note: 'a register operand is #UD (VEX on later CPUs)' }),
    form('LDS Gv,Mp', [0xc5], ['Gv', 'Mp'], 'move', undefined, { ...I64, note: 'a register operand is #UD (VEX on later CPUs)' }),
    form('ENTER Iw,Ib', [0xc8], ['Iw', 'Ib'], 'stack', undefined, { ...D64, note: 'the nesting level is taken modulo 32' }),
    form('LEAVE', [0xc9], [], 'stack', undefined, D64),
    form('RETF Iw', [0xca], ['Iw'], 'control', undefined, { branch: true, ...FAR, sized: { by: 'operand', names: ['retfw', 'retf'] } }),
    form('RETF', [0xcb], [], 'control', undefined, { branch: true, ...FAR, sized: { by: 'operand', names: ['retfw', 'retf'] } }),
    form('INT3', [0xcc], [], 'control', flags(0, 0), { branch: true }),
    form('INT Ib', [0xcd], ['Ib'], 'control', undefined, { branch: true, note: 'through a gate of DPL < CPL: #GP(vector*8+2)' }),
    form('INTO', [0xce], [], 'control', flags(OF, 0), { branch: true, ...I64 }),
    form('IRET', [0xcf], [], 'control', flags(0, ALL_FLAGS), { branch: true, ...FAR, sized: { by: 'operand', names: ['iretw', 'iretd'] } }),
    // SALC is missing from the SDM's opcode map but every IA-32 processor
    // from the 8086 on executes it (AL = CF ? 0xFF : 0); only 64-bit mode makes D6 #UD.
    form('SALC', [0xd6], [], 'flags', flags(CF, 0), { ...I64, note: 'undocumented by Intel; executed by all IA-32 processors' }),
    form('XLAT', [0xd7], [], 'misc', undefined, { note: 'reads DS:[eBX + AL] (DS overridable)' }),
    form('LOOPNZ Jb', [0xe0], ['Jb'], 'control', flags(ZF, 0), { branch: true, ...F64, note: 'address size picks CX or ECX' }),
    form('LOOPZ Jb', [0xe1], ['Jb'], 'control', flags(ZF, 0), { branch: true, ...F64, note: 'address size picks CX or ECX' }),
    form('LOOP Jb', [0xe2], ['Jb'], 'control', undefined, { branch: true, ...F64, note: 'address size picks CX or ECX' }),
    form('JECXZ Jb', [0xe3], ['Jb'], 'control', undefined, { branch: true, ...F64, sized: { by: 'address', names: ['jcxz', 'jecxz'] } }),
    form('IN AL,Ib', [0xe4], ['AL', 'Ib'], 'system', undefined, { privilege: 'iopl' }),
    form('IN eAX,Ib', [0xe5], ['eAX', 'Ib'], 'system', undefined, { privilege: 'iopl' }),
    form('OUT Ib,AL', [0xe6], ['Ib', 'AL'], 'system', undefined, { privilege: 'iopl' }),
    form('OUT Ib,eAX', [0xe7], ['Ib', 'eAX'], 'system', undefined, { privilege: 'iopl' }),
    form('CALL Jz', [0xe8], ['Jz'], 'control', undefined, { branch: true, ...F64 }),
    form('JMP Jz', [0xe9], ['Jz'], 'control', undefined, { branch: true, ...F64 }),
    form('JMP Ap', [0xea], ['Ap'], 'control', undefined, { branch: true, ...I64 }),
    form('JMP Jb', [0xeb], ['Jb'], 'control', undefined, { branch: true, ...F64 }),
    form('IN AL,DX', [0xec], ['AL', 'DX'], 'system', undefined, { privilege: 'iopl' }),
    form('IN eAX,DX', [0xed], ['eAX', 'DX'], 'system', undefined, { privilege: 'iopl' }),
    form('OUT DX,AL', [0xee], ['DX', 'AL'], 'system', undefined, { privilege: 'iopl' }),
    form('OUT DX,eAX', [0xef], ['DX', 'eAX'], 'system', undefined, { privilege: 'iopl' }),
    // INT1 (ICEBP): documented since SDM rev. 67 as a trap through vector 1 that ignores the gate's DPL.
    form('INT1', [0xf1], [], 'control', undefined, { branch: true }),
    form('HLT', [0xf4], [], 'system', undefined, { privilege: 'cpl0', branch: true }),
    form('CMC', [0xf5], [], 'flags', flags(CF, CF)),
    form('CLC', [0xf8], [], 'flags', flags(0, CF)),
    form('STC', [0xf9], [], 'flags', flags(0, CF)),
    form('CLI', [0xfa], [], 'system', flags(0, IF), { privilege: 'iopl' }),
    form('STI', [0xfb], [], 'system', flags(0, IF), { privilege: 'iopl', note: 'inhibits interrupts until the next instruction ends' }),
    form('CLD', [0xfc], [], 'flags', flags(0, DF)),
    form('STD', [0xfd], [], 'flags', flags(0, DF)),
  ];
}

export const PRIMARY_FORMS: readonly Form[] = [...aluRows(), ...segRows(), ...bcdRows(), ...jcc(), ...stringRows(), ...miscRows()];
