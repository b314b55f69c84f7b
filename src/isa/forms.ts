// The integer instruction forms of the i686 core, declared once.
//
// Each form names an opcode (with its ModRM /reg extension when it has one),
// its operand encoding and size, and the EFLAGS the SDM leaves undefined.
// The differential-test generator builds random instances of every form from
// this table and the coverage report counts them by id; the interpreter's
// opcode map (asm/cpu/execute*.ts) implements the same list.

export type Category = 'alu' | 'shift' | 'muldiv' | 'bit' | 'bcd' | 'string' | 'stack' | 'control' | 'move' | 'flags' | 'system' | 'misc';

/** Operand shapes the generator knows how to fill in. */
export type Operands =
  | 'none'
  | 'E,G' | 'G,E' | 'E' | 'E,I' | 'E,I8' | 'E,1' | 'E,CL' | 'G,E,I' | 'G,E,I8' | 'acc,I' | 'reg' | 'reg,I' | 'acc,reg'
  | 'M' | 'G,M' | 'rel8' | 'rel' | 'I8' | 'I16' | 'I16,I8' | 'moffs' | 'far' | 'G,E8' | 'G,E16' | 'E,G,I8' | 'E,G,CL'
  | 'Sw' | 'E,Sw' | 'Sw,E' | 'C,R' | 'R,C';

export interface Form {
  id: string;
  opcode: number[]; // opcode bytes (after any prefixes)
  reg?: number; // ModRM /reg extension
  operands: Operands;
  /** 'b': byte; 'v': word/dword by operand size; 'w': always 16; 'd': always 32 (no 0x66). */
  size: 'b' | 'v' | 'w' | 'd';
  category: Category;
  lockable?: boolean; // LOCK is legal with a memory destination
  string?: boolean; // REP/REPNE apply
  /** Flags the SDM documents as undefined for this form (refined per case by the generator for shifts). */
  undefinedFlags?: number;
}

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;

const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
const SHIFTS = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
const CC = ['O', 'NO', 'B', 'AE', 'Z', 'NZ', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'];

function aluForms(): Form[] {
  const out: Form[] = [];
  ALU.forEach((name, k) => {
    const logic = name === 'OR' || name === 'AND' || name === 'XOR';
    const u = logic ? AF : 0;
    const lock = name !== 'CMP';
    const base = k * 8;
    out.push(
      { id: `${name} Eb,Gb`, opcode: [base], operands: 'E,G', size: 'b', category: 'alu', lockable: lock, undefinedFlags: u },
      { id: `${name} Ev,Gv`, opcode: [base + 1], operands: 'E,G', size: 'v', category: 'alu', lockable: lock, undefinedFlags: u },
      { id: `${name} Gb,Eb`, opcode: [base + 2], operands: 'G,E', size: 'b', category: 'alu', undefinedFlags: u },
      { id: `${name} Gv,Ev`, opcode: [base + 3], operands: 'G,E', size: 'v', category: 'alu', undefinedFlags: u },
      { id: `${name} AL,Ib`, opcode: [base + 4], operands: 'acc,I', size: 'b', category: 'alu', undefinedFlags: u },
      { id: `${name} eAX,Iz`, opcode: [base + 5], operands: 'acc,I', size: 'v', category: 'alu', undefinedFlags: u },
      { id: `${name} Eb,Ib`, opcode: [0x80], reg: k, operands: 'E,I', size: 'b', category: 'alu', lockable: lock, undefinedFlags: u },
      { id: `${name} Ev,Iz`, opcode: [0x81], reg: k, operands: 'E,I', size: 'v', category: 'alu', lockable: lock, undefinedFlags: u },
      { id: `${name} Eb,Ib (82)`, opcode: [0x82], reg: k, operands: 'E,I', size: 'b', category: 'alu', lockable: lock, undefinedFlags: u },
      { id: `${name} Ev,Ib`, opcode: [0x83], reg: k, operands: 'E,I8', size: 'v', category: 'alu', lockable: lock, undefinedFlags: u },
    );
  });
  return out;
}

function shiftForms(): Form[] {
  const out: Form[] = [];
  SHIFTS.forEach((name, k) => {
    out.push(
      { id: `${name} Eb,Ib`, opcode: [0xc0], reg: k, operands: 'E,I8', size: 'b', category: 'shift' },
      { id: `${name} Ev,Ib`, opcode: [0xc1], reg: k, operands: 'E,I8', size: 'v', category: 'shift' },
      { id: `${name} Eb,1`, opcode: [0xd0], reg: k, operands: 'E,1', size: 'b', category: 'shift' },
      { id: `${name} Ev,1`, opcode: [0xd1], reg: k, operands: 'E,1', size: 'v', category: 'shift' },
      { id: `${name} Eb,CL`, opcode: [0xd2], reg: k, operands: 'E,CL', size: 'b', category: 'shift' },
      { id: `${name} Ev,CL`, opcode: [0xd3], reg: k, operands: 'E,CL', size: 'v', category: 'shift' },
    );
  });
  out.push(
    { id: 'SHLD Ev,Gv,Ib', opcode: [0x0f, 0xa4], operands: 'E,G,I8', size: 'v', category: 'shift' },
    { id: 'SHLD Ev,Gv,CL', opcode: [0x0f, 0xa5], operands: 'E,G,CL', size: 'v', category: 'shift' },
    { id: 'SHRD Ev,Gv,Ib', opcode: [0x0f, 0xac], operands: 'E,G,I8', size: 'v', category: 'shift' },
    { id: 'SHRD Ev,Gv,CL', opcode: [0x0f, 0xad], operands: 'E,G,CL', size: 'v', category: 'shift' },
  );
  return out;
}

const MULDIV_UNDEF = SF | ZF | AF | PF;
const DIV_UNDEF = CF | OF | SF | ZF | AF | PF;

function group3Forms(): Form[] {
  const out: Form[] = [];
  for (const [op, size] of [[0xf6, 'b'], [0xf7, 'v']] as const) {
    const s = size === 'b' ? 'Eb' : 'Ev';
    out.push(
      { id: `TEST ${s},I`, opcode: [op], reg: 0, operands: 'E,I', size, category: 'alu', undefinedFlags: AF },
      { id: `TEST ${s},I (/1)`, opcode: [op], reg: 1, operands: 'E,I', size, category: 'alu', undefinedFlags: AF },
      { id: `NOT ${s}`, opcode: [op], reg: 2, operands: 'E', size, category: 'alu', lockable: true },
      { id: `NEG ${s}`, opcode: [op], reg: 3, operands: 'E', size, category: 'alu', lockable: true },
      { id: `MUL ${s}`, opcode: [op], reg: 4, operands: 'E', size, category: 'muldiv', undefinedFlags: MULDIV_UNDEF },
      { id: `IMUL ${s}`, opcode: [op], reg: 5, operands: 'E', size, category: 'muldiv', undefinedFlags: MULDIV_UNDEF },
      { id: `DIV ${s}`, opcode: [op], reg: 6, operands: 'E', size, category: 'muldiv', undefinedFlags: DIV_UNDEF },
      { id: `IDIV ${s}`, opcode: [op], reg: 7, operands: 'E', size, category: 'muldiv', undefinedFlags: DIV_UNDEF },
    );
  }
  out.push(
    { id: 'IMUL Gv,Ev,Iz', opcode: [0x69], operands: 'G,E,I', size: 'v', category: 'muldiv', undefinedFlags: MULDIV_UNDEF },
    { id: 'IMUL Gv,Ev,Ib', opcode: [0x6b], operands: 'G,E,I8', size: 'v', category: 'muldiv', undefinedFlags: MULDIV_UNDEF },
    { id: 'IMUL Gv,Ev', opcode: [0x0f, 0xaf], operands: 'G,E', size: 'v', category: 'muldiv', undefinedFlags: MULDIV_UNDEF },
  );
  return out;
}

function simple(id: string, opcode: number[], category: Category, extra: Partial<Form> = {}): Form {
  return { id, opcode, operands: 'none', size: 'v', category, ...extra };
}

function otherForms(): Form[] {
  const f: Form[] = [];
  const reg = (base: number, name: string, category: Category, extra: Partial<Form> = {}) =>
    f.push({ id: name, opcode: [base], operands: 'reg', size: 'v', category, ...extra });
  reg(0x40, 'INC reg', 'alu');
  reg(0x48, 'DEC reg', 'alu');
  reg(0x50, 'PUSH reg', 'stack');
  reg(0x58, 'POP reg', 'stack');
  reg(0x90, 'XCHG eAX,reg', 'move');
  f.push({ id: 'BSWAP reg', opcode: [0x0f, 0xc8], operands: 'reg', size: 'd', category: 'bit' });
  f.push({ id: 'MOV reg8,Ib', opcode: [0xb0], operands: 'reg,I', size: 'b', category: 'move' });
  f.push({ id: 'MOV reg,Iv', opcode: [0xb8], operands: 'reg,I', size: 'v', category: 'move' });
  f.push(
    { id: 'INC Eb', opcode: [0xfe], reg: 0, operands: 'E', size: 'b', category: 'alu', lockable: true },
    { id: 'DEC Eb', opcode: [0xfe], reg: 1, operands: 'E', size: 'b', category: 'alu', lockable: true },
    { id: 'INC Ev', opcode: [0xff], reg: 0, operands: 'E', size: 'v', category: 'alu', lockable: true },
    { id: 'DEC Ev', opcode: [0xff], reg: 1, operands: 'E', size: 'v', category: 'alu', lockable: true },
    { id: 'CALL Ev', opcode: [0xff], reg: 2, operands: 'E', size: 'v', category: 'control' },
    { id: 'CALL Mp', opcode: [0xff], reg: 3, operands: 'M', size: 'v', category: 'control' },
    { id: 'JMP Ev', opcode: [0xff], reg: 4, operands: 'E', size: 'v', category: 'control' },
    { id: 'JMP Mp', opcode: [0xff], reg: 5, operands: 'M', size: 'v', category: 'control' },
    { id: 'PUSH Ev', opcode: [0xff], reg: 6, operands: 'E', size: 'v', category: 'stack' },
    { id: 'POP Ev', opcode: [0x8f], reg: 0, operands: 'E', size: 'v', category: 'stack' },
    { id: 'TEST Eb,Gb', opcode: [0x84], operands: 'E,G', size: 'b', category: 'alu', undefinedFlags: AF },
    { id: 'TEST Ev,Gv', opcode: [0x85], operands: 'E,G', size: 'v', category: 'alu', undefinedFlags: AF },
    { id: 'TEST AL,Ib', opcode: [0xa8], operands: 'acc,I', size: 'b', category: 'alu', undefinedFlags: AF },
    { id: 'TEST eAX,Iz', opcode: [0xa9], operands: 'acc,I', size: 'v', category: 'alu', undefinedFlags: AF },
    { id: 'XCHG Eb,Gb', opcode: [0x86], operands: 'E,G', size: 'b', category: 'move', lockable: true },
    { id: 'XCHG Ev,Gv', opcode: [0x87], operands: 'E,G', size: 'v', category: 'move', lockable: true },
    { id: 'MOV Eb,Gb', opcode: [0x88], operands: 'E,G', size: 'b', category: 'move' },
    { id: 'MOV Ev,Gv', opcode: [0x89], operands: 'E,G', size: 'v', category: 'move' },
    { id: 'MOV Gb,Eb', opcode: [0x8a], operands: 'G,E', size: 'b', category: 'move' },
    { id: 'MOV Gv,Ev', opcode: [0x8b], operands: 'G,E', size: 'v', category: 'move' },
    { id: 'MOV Ev,Sw', opcode: [0x8c], operands: 'E,Sw', size: 'v', category: 'move' },
    { id: 'LEA Gv,M', opcode: [0x8d], operands: 'G,M', size: 'v', category: 'move' },
    { id: 'MOV Sw,Ew', opcode: [0x8e], operands: 'Sw,E', size: 'w', category: 'move' },
    { id: 'MOV Eb,Ib', opcode: [0xc6], reg: 0, operands: 'E,I', size: 'b', category: 'move' },
    { id: 'MOV Ev,Iz', opcode: [0xc7], reg: 0, operands: 'E,I', size: 'v', category: 'move' },
    { id: 'MOV AL,Ob', opcode: [0xa0], operands: 'moffs', size: 'b', category: 'move' },
    { id: 'MOV eAX,Ov', opcode: [0xa1], operands: 'moffs', size: 'v', category: 'move' },
    { id: 'MOV Ob,AL', opcode: [0xa2], operands: 'moffs', size: 'b', category: 'move' },
    { id: 'MOV Ov,eAX', opcode: [0xa3], operands: 'moffs', size: 'v', category: 'move' },
    { id: 'MOVZX Gv,Eb', opcode: [0x0f, 0xb6], operands: 'G,E8', size: 'v', category: 'move' },
    { id: 'MOVZX Gv,Ew', opcode: [0x0f, 0xb7], operands: 'G,E16', size: 'v', category: 'move' },
    { id: 'MOVSX Gv,Eb', opcode: [0x0f, 0xbe], operands: 'G,E8', size: 'v', category: 'move' },
    { id: 'MOVSX Gv,Ew', opcode: [0x0f, 0xbf], operands: 'G,E16', size: 'v', category: 'move' },
    { id: 'LES Gv,Mp', opcode: [0xc4], operands: 'G,M', size: 'v', category: 'move' },
    { id: 'LDS Gv,Mp', opcode: [0xc5], operands: 'G,M', size: 'v', category: 'move' },
    { id: 'LSS Gv,Mp', opcode: [0x0f, 0xb2], operands: 'G,M', size: 'v', category: 'move' },
    { id: 'LFS Gv,Mp', opcode: [0x0f, 0xb4], operands: 'G,M', size: 'v', category: 'move' },
    { id: 'BOUND Gv,Ma', opcode: [0x62], operands: 'G,M', size: 'v', category: 'misc' },
    { id: 'ARPL Ew,Gw', opcode: [0x63], operands: 'E,G', size: 'w', category: 'system' },
    { id: 'CMPXCHG Eb,Gb', opcode: [0x0f, 0xb0], operands: 'E,G', size: 'b', category: 'alu', lockable: true },
    { id: 'CMPXCHG Ev,Gv', opcode: [0x0f, 0xb1], operands: 'E,G', size: 'v', category: 'alu', lockable: true },
    { id: 'XADD Eb,Gb', opcode: [0x0f, 0xc0], operands: 'E,G', size: 'b', category: 'alu', lockable: true },
    { id: 'XADD Ev,Gv', opcode: [0x0f, 0xc1], operands: 'E,G', size: 'v', category: 'alu', lockable: true },
    { id: 'CMPXCHG8B Mq', opcode: [0x0f, 0xc7], reg: 1, operands: 'M', size: 'd', category: 'alu', lockable: true },
    { id: 'BSF Gv,Ev', opcode: [0x0f, 0xbc], operands: 'G,E', size: 'v', category: 'bit', undefinedFlags: CF | OF | SF | AF | PF },
    { id: 'BSR Gv,Ev', opcode: [0x0f, 0xbd], operands: 'G,E', size: 'v', category: 'bit', undefinedFlags: CF | OF | SF | AF | PF },
    { id: 'PUSH Iz', opcode: [0x68], operands: 'I16', size: 'v', category: 'stack' },
    { id: 'PUSH Ib', opcode: [0x6a], operands: 'I8', size: 'v', category: 'stack' },
    { id: 'ENTER Iw,Ib', opcode: [0xc8], operands: 'I16,I8', size: 'v', category: 'stack' },
    { id: 'RET Iw', opcode: [0xc2], operands: 'I16', size: 'v', category: 'control' },
    { id: 'RETF Iw', opcode: [0xca], operands: 'I16', size: 'v', category: 'control' },
    { id: 'INT Ib', opcode: [0xcd], operands: 'I8', size: 'v', category: 'control' },
    { id: 'AAM Ib', opcode: [0xd4], operands: 'I8', size: 'v', category: 'bcd', undefinedFlags: OF | AF | CF },
    { id: 'AAD Ib', opcode: [0xd5], operands: 'I8', size: 'v', category: 'bcd', undefinedFlags: OF | AF | CF },
    { id: 'JMP rel8', opcode: [0xeb], operands: 'rel8', size: 'v', category: 'control' },
    { id: 'JMP rel', opcode: [0xe9], operands: 'rel', size: 'v', category: 'control' },
    { id: 'CALL rel', opcode: [0xe8], operands: 'rel', size: 'v', category: 'control' },
    { id: 'JMP far', opcode: [0xea], operands: 'far', size: 'v', category: 'control' },
    { id: 'CALL far', opcode: [0x9a], operands: 'far', size: 'v', category: 'control' },
    { id: 'LOOPNE rel8', opcode: [0xe0], operands: 'rel8', size: 'v', category: 'control' },
    { id: 'LOOPE rel8', opcode: [0xe1], operands: 'rel8', size: 'v', category: 'control' },
    { id: 'LOOP rel8', opcode: [0xe2], operands: 'rel8', size: 'v', category: 'control' },
    { id: 'JCXZ rel8', opcode: [0xe3], operands: 'rel8', size: 'v', category: 'control' },
    { id: 'IN AL,Ib', opcode: [0xe4], operands: 'I8', size: 'b', category: 'system' },
    { id: 'OUT Ib,eAX', opcode: [0xe7], operands: 'I8', size: 'v', category: 'system' },
    { id: 'MOV R,Cr', opcode: [0x0f, 0x20], operands: 'R,C', size: 'd', category: 'system' },
    { id: 'MOV Cr,R', opcode: [0x0f, 0x22], operands: 'C,R', size: 'd', category: 'system' },
    { id: 'LGDT M', opcode: [0x0f, 0x01], reg: 2, operands: 'M', size: 'v', category: 'system' },
    { id: 'LMSW Ew', opcode: [0x0f, 0x01], reg: 6, operands: 'E', size: 'w', category: 'system' },
    { id: 'INVLPG M', opcode: [0x0f, 0x01], reg: 7, operands: 'M', size: 'v', category: 'system' },
    { id: 'LLDT Ew', opcode: [0x0f, 0x00], reg: 2, operands: 'E', size: 'w', category: 'system' },
    { id: 'NOP Ev (0F 1F)', opcode: [0x0f, 0x1f], operands: 'E', size: 'v', category: 'misc' },
    { id: 'BT Ev,Gv', opcode: [0x0f, 0xa3], operands: 'E,G', size: 'v', category: 'bit', undefinedFlags: OF | SF | AF | PF },
    { id: 'BTS Ev,Gv', opcode: [0x0f, 0xab], operands: 'E,G', size: 'v', category: 'bit', lockable: true, undefinedFlags: OF | SF | AF | PF },
    { id: 'BTR Ev,Gv', opcode: [0x0f, 0xb3], operands: 'E,G', size: 'v', category: 'bit', lockable: true, undefinedFlags: OF | SF | AF | PF },
    { id: 'BTC Ev,Gv', opcode: [0x0f, 0xbb], operands: 'E,G', size: 'v', category: 'bit', lockable: true, undefinedFlags: OF | SF | AF | PF },
  );
  ['BT', 'BTS', 'BTR', 'BTC'].forEach((name, k) =>
    f.push({ id: `${name} Ev,Ib`, opcode: [0x0f, 0xba], reg: 4 + k, operands: 'E,I8', size: 'v', category: 'bit', lockable: k > 0, undefinedFlags: OF | SF | AF | PF }),
  );
  CC.forEach((cc, k) => {
    f.push(
      { id: `J${cc} rel8`, opcode: [0x70 + k], operands: 'rel8', size: 'v', category: 'control' },
      { id: `J${cc} rel`, opcode: [0x0f, 0x80 + k], operands: 'rel', size: 'v', category: 'control' },
      { id: `SET${cc} Eb`, opcode: [0x0f, 0x90 + k], operands: 'E', size: 'b', category: 'flags' },
      { id: `CMOV${cc} Gv,Ev`, opcode: [0x0f, 0x40 + k], operands: 'G,E', size: 'v', category: 'move' },
    );
  });
  const strings: [string, number, number][] = [
    ['MOVSB', 0xa4, 0], ['MOVS', 0xa5, 0], ['CMPSB', 0xa6, 0], ['CMPS', 0xa7, 0], ['STOSB', 0xaa, 0], ['STOS', 0xab, 0],
    ['LODSB', 0xac, 0], ['LODS', 0xad, 0], ['SCASB', 0xae, 0], ['SCAS', 0xaf, 0], ['INSB', 0x6c, 0], ['OUTSB', 0x6e, 0],
  ];
  for (const [name, op] of strings) f.push(simple(name, [op], 'string', { string: true, size: (op & 1) === 0 ? 'b' : 'v' }));
  f.push(
    simple('PUSH ES', [0x06], 'stack'), simple('POP ES', [0x07], 'stack'), simple('PUSH CS', [0x0e], 'stack'),
    simple('PUSH SS', [0x16], 'stack'), simple('POP SS', [0x17], 'stack'), simple('PUSH DS', [0x1e], 'stack'),
    simple('POP DS', [0x1f], 'stack'), simple('PUSH FS', [0x0f, 0xa0], 'stack'), simple('POP FS', [0x0f, 0xa1], 'stack'),
    simple('PUSH GS', [0x0f, 0xa8], 'stack'),
    simple('DAA', [0x27], 'bcd', { undefinedFlags: OF }), simple('DAS', [0x2f], 'bcd', { undefinedFlags: OF }),
    simple('AAA', [0x37], 'bcd', { undefinedFlags: OF | SF | ZF | PF }), simple('AAS', [0x3f], 'bcd', { undefinedFlags: OF | SF | ZF | PF }),
    simple('PUSHA', [0x60], 'stack'), simple('POPA', [0x61], 'stack'),
    simple('NOP', [0x90], 'misc'), simple('CBW/CWDE', [0x98], 'move'), simple('CWD/CDQ', [0x99], 'move'),
    simple('WAIT', [0x9b], 'misc'), simple('PUSHF', [0x9c], 'flags'), simple('POPF', [0x9d], 'flags'),
    simple('SAHF', [0x9e], 'flags'), simple('LAHF', [0x9f], 'flags'),
    simple('RET', [0xc3], 'control'), simple('RETF', [0xcb], 'control'), simple('LEAVE', [0xc9], 'stack'),
    simple('INT3', [0xcc], 'control'), simple('INTO', [0xce], 'control'),
    simple('SALC', [0xd6], 'misc'), simple('XLAT', [0xd7], 'move'),
    simple('IN AL,DX', [0xec], 'system'), simple('OUT DX,AL', [0xee], 'system'),
    simple('HLT', [0xf4], 'system'), simple('CMC', [0xf5], 'flags'), simple('CLC', [0xf8], 'flags'), simple('STC', [0xf9], 'flags'),
    simple('CLI', [0xfa], 'system'), simple('STI', [0xfb], 'system'), simple('CLD', [0xfc], 'flags'), simple('STD', [0xfd], 'flags'),
    simple('CLTS', [0x0f, 0x06], 'system'), simple('INVD', [0x0f, 0x08], 'system'), simple('WBINVD', [0x0f, 0x09], 'system'),
    simple('UD2', [0x0f, 0x0b], 'system'), simple('WRMSR', [0x0f, 0x30], 'system'), simple('RDMSR', [0x0f, 0x32], 'system'),
  );
  return f;
}

/** Every integer form, in a stable order. */
export const FORMS: readonly Form[] = [...aluForms(), ...shiftForms(), ...group3Forms(), ...otherForms()];

/**
 * Opcodes that exist but are not compared with the host, and why. They are
 * covered by dedicated tests instead.
 */
export const NOT_DIFFERENTIAL: readonly { what: string; why: string }[] = [
  { what: 'CPUID, RDTSC, RDPMC', why: 'report this core, its virtual clock and counters; the host legitimately differs' },
  { what: 'SGDT, SIDT, SLDT, STR, SMSW', why: 'the host runs with UMIP, and Linux emulates these for 32-bit processes with dummy values' },
  { what: 'LAR, LSL, VERR, VERW, far transfers to other selectors, IRET', why: 'their result depends on the GDT contents, which differ between Linux and the test environment' },
  { what: 'INT 0x80, SYSENTER, SYSCALL', why: 'they enter the host kernel' },
  { what: 'x87 escapes (D8-DF)', why: 'the x87 unit belongs to the system-architecture issue' },
  { what: 'INT1 (F1, ICEBP)', why: 'a trap per the SDM (EIP after it), but the host kernel reports it at the instruction' },
  { what: '0F 0D (prefetch)', why: 'an AMD 3DNow! hint on the host, #UD on a P6' },
];
