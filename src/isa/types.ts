// The vocabulary of the instruction-form table: what one form records.
// The table (table.ts and the map-*.ts files) is the single description of
// the i686 integer instruction set that the decoder-length logic, the
// disassembler, the differential-test generator, the coverage report and the
// translator read, and from which the core's opcode table is generated
// (core-attrs.ts).

import { CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, RF, VM, AC, VIF, VIP, ID } from '../core-abi.ts';

/** EFLAGS bits, as the core defines them (asm/cpu/state.ts), for the table and the generator. */
export { CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, RF, VM, AC, VIF, VIP, ID };
/** The six arithmetic status flags. */
export const STATUS = CF | PF | AF | ZF | SF | OF;
/** Everything POPF/IRET can name (what they write is then limited by CPL and IOPL). */
export const ALL_FLAGS = STATUS | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

export type Category =
  | 'alu' // add/sub/logic/inc/dec/neg/not/cmp/test, xadd, cmpxchg
  | 'muldiv' // MUL IMUL DIV IDIV
  | 'shift' // shifts, rotates, SHLD/SHRD
  | 'bit' // BT*, BSF/BSR, BSWAP
  | 'bcd' // DAA DAS AAA AAS AAM AAD
  | 'move' // MOV, MOVZX/SX, CMOV, XCHG, LEA, far-pointer loads, CBW...
  | 'string' // MOVS CMPS STOS LODS SCAS INS OUTS
  | 'stack' // PUSH POP PUSHA POPA ENTER LEAVE
  | 'control' // jumps, calls, returns, loops, INT
  | 'flags' // CLC STC CMC CLD STD LAHF SAHF PUSHF POPF SETcc SALC
  | 'system' // privileged, I/O, descriptor tables, MSRs, CPUID, RDTSC
  | 'misc' // NOPs, WAIT, BOUND, XLAT, UD2
  | 'x87' // D8-DF escapes: lengths only for now
  | 'sse' // FXSAVE/FXRSTOR, MXCSR, fences, CLFLUSH and the XMM forms (map-sse.ts)
  | 'mmx'; // the forms with an MM register operand (map-mmx.ts)

/**
 * Operand encodings, with the Intel SDM opcode-map letters (Vol. 2, App. A.2):
 * the first letter is the addressing method, the rest the size.
 *   E  ModRM r/m (register or memory)   G  ModRM reg field (general register)
 *   M  ModRM r/m, memory only           R  ModRM r/m, register only (mod ignored for MOV CR/DR)
 *   I  immediate     J  relative offset     A  direct far pointer (offset then selector)
 *   O  moffs: an address-size offset, no ModRM
 *   S  ModRM reg field names a segment register   C / D  reg field names CRn / DRn
 *   X  DS:[eSI] (segment overridable)   Y  ES:[eDI] (never overridable)
 *   Z  register in the low 3 bits of the opcode (the SDM writes these as "eAX/r8" etc.)
 * Sizes: b byte, w word, d dword, v word or dword by operand size, z word for
 * 16-bit operand size else dword (immediates never grow past 32 bits), p far
 * pointer (16:16 or 16:32), a two v-sized bounds (BOUND), q quadword,
 * s 6-byte descriptor-table pseudo-descriptor, x 16 bytes (an XMM operand in memory).
 * SSE: V the ModRM reg field names an XMM register, W the r/m field an XMM
 * register or memory, U the r/m field an XMM register only; x 128 bits,
 * d 32, q 64 (the memory operand's width).
 * MMX: P the reg field names an MM register, Q the r/m field an MM register
 * or memory, N the r/m field an MM register only (Qd: 32 bits of memory).
 * Ibs is Ib sign-extended to the operand size (the SDM marks it in the
 * instruction pages, not the map letters; the disassembler prints it widened).
 * Fixed operands name themselves: AL CL DX eAX 1 ES CS SS DS FS GS.
 */
export type Operand =
  | 'Eb'
  | 'Ew'
  | 'Ev'
  | 'Ed'
  | 'Gb'
  | 'Gw'
  | 'Gv'
  | 'Gd'
  | 'M'
  | 'Mb'
  | 'Mw'
  | 'Md'
  | 'Ma'
  | 'Mp'
  | 'Mq'
  | 'Mx'
  | 'Ms'
  | 'Vx'
  | 'Wx'
  | 'Wd'
  | 'Wq'
  | 'Ux'
  | 'Pq'
  | 'Qq'
  | 'Qd'
  | 'Nq'
  | 'Rd'
  | 'Cd'
  | 'Dd'
  | 'Sw'
  | 'Ib'
  | 'Ibs'
  | 'Iw'
  | 'Iz'
  | 'Iv'
  | 'Jb'
  | 'Jz'
  | 'Ap'
  | 'Ob'
  | 'Ov'
  | 'Xb'
  | 'Xv'
  | 'Yb'
  | 'Yv'
  | 'Zb'
  | 'Zv'
  | 'AL'
  | 'CL'
  | 'DX'
  | 'eAX'
  | '1'
  | 'ES'
  | 'CS'
  | 'SS'
  | 'DS'
  | 'FS'
  | 'GS';

export interface FlagUse {
  read: number; // flags the result depends on
  write: number; // flags given a defined value (includes constant 0/1)
  undef: number; // flags the SDM leaves undefined (some only for some operands: see `note`)
}

export interface Form {
  /** Stable id: upper-case mnemonic and the SDM operand letters, e.g. 'ADD Ev,Gv'; aliases add a suffix. */
  id: string;
  /** Intel-syntax mnemonic as printed (lower case). */
  mnemonic: string;
  /** Mnemonics that change with operand size (or address size for JCXZ/JECXZ), as [16-bit, 32-bit]. */
  sized?: { by: 'operand' | 'address'; names: [string, string] };
  /** Opcode bytes after the prefixes; for Z forms the first of eight (register 0). */
  opcode: readonly number[];
  /**
   * The mandatory prefix that selects this form among the SSE forms of its
   * opcode ('none': no 66, F2 or F3; F2/F3 win over 66, as the CPU decodes).
   */
  prefix?: 'none' | 0x66 | 0xf2 | 0xf3;
  /** ModRM /reg extension (group opcodes). */
  reg?: number;
  /** The opcode's low 3 bits name a register (Zb Zv Zd operands). */
  plusReg?: boolean;
  /** Whether a ModRM byte follows the opcode. */
  modrm: boolean;
  /** Which ModRM.mod values are valid: memory only (M operands) or register only; both when absent. */
  mod?: 'mem' | 'reg';
  /** Operands in Intel order (destination first). */
  operands: readonly Operand[];
  category: Category;
  flags: FlagUse;
  /** LOCK is legal (with a memory destination only; a register destination is #UD). */
  lock?: boolean;
  /** F3 repeats (REP), or F2/F3 repeat while not-equal/equal (REPNE/REPE). */
  rep?: 'rep' | 'repcc';
  /** #GP(0) unless CPL 0 ('cpl0'), or unless CPL <= IOPL (and, for I/O, the TSS bitmap allows it) ('iopl'). */
  privilege?: 'cpl0' | 'iopl';
  /** Ends a basic block (jumps, calls, returns, interrupts, HLT, and whatever changes CS, SS, mode or paging). */
  branch?: boolean;
  /** Always #UD on this CPU (UD2, UD1, UD0): decoded so its length is known. */
  undefinedOpcode?: boolean;
  /**
   * What 64-bit mode makes of the encoding, where it is not the same
   * instruction: the SDM's opcode-map superscripts (vol. 2, table A-1) 'i64'
   * (invalid there, or another instruction: 40-4F are REX prefixes, 63 is
   * MOVSXD, C4/C5 VEX, 62 EVEX; D6 is #UD there though the map omits it),
   * 'd64' (the operand size defaults to 64 bits: the stack operations) and
   * 'f64' (64 bits whatever the prefixes: near branches), and 'far' for the
   * far transfers, whose selectors name a 64-bit code segment there and
   * whose frames differ (IRET always pops SS:ESP). Absent: the same
   * instruction in both modes (test/cpu-diff/long-mode.ts relies on this).
   */
  mode64?: 'i64' | 'd64' | 'f64' | 'far';
  /** Why, when the SDM's rule needs more than the fields say. */
  note?: string;
}

/** Condition codes in encoding order: suffix as printed, and the flags the condition reads. */
export const CONDITIONS: readonly { cc: string; reads: number }[] = [
  { cc: 'o', reads: OF },
  { cc: 'no', reads: OF },
  { cc: 'b', reads: CF },
  { cc: 'ae', reads: CF },
  { cc: 'z', reads: ZF },
  { cc: 'nz', reads: ZF },
  { cc: 'be', reads: CF | ZF },
  { cc: 'a', reads: CF | ZF },
  { cc: 's', reads: SF },
  { cc: 'ns', reads: SF },
  { cc: 'p', reads: PF },
  { cc: 'np', reads: PF },
  { cc: 'l', reads: SF | OF },
  { cc: 'ge', reads: SF | OF },
  { cc: 'le', reads: ZF | SF | OF },
  { cc: 'g', reads: ZF | SF | OF },
];

export const NO_FLAGS: FlagUse = { read: 0, write: 0, undef: 0 };

export function flags(read: number, write: number, undef = 0): FlagUse {
  return { read, write, undef };
}

/** Form.mode64 values, spread into a row's extra fields. */
export const I64 = { mode64: 'i64' } as const;
export const D64 = { mode64: 'd64' } as const;
export const F64 = { mode64: 'f64' } as const;
export const FAR = { mode64: 'far' } as const;
