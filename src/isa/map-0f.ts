// The two-byte (0F xx) opcode map as a P6-family CPU without MMX/SSE has it
// (SDM Vol. 2, Tables: groups 6, 7, 8, 9). Everything not listed
// here is #UD on this CPU (see invalid.ts for the list and the reasons).

import { form } from './build.ts';
import { type Form, CONDITIONS, flags, CF, PF, AF, ZF, SF, OF, IF, RF, VM, STATUS, I64, D64, F64 } from './types.ts';

const BT_FLAGS = flags(0, CF, OF | SF | AF | PF); // BT*: "The ZF flag is unaffected. The OF, SF, AF, and PF flags are undefined."
const BS_FLAGS = flags(0, ZF, CF | OF | SF | AF | PF); // BSF/BSR: "The CF, OF, SF, AF, and PF flags are undefined."
// SHLD/SHRD: OF defined only for a count of 1; AF undefined; a count above the
// operand size leaves the destination and all flags undefined.
const SHxD_FLAGS = flags(0, CF | OF | SF | ZF | PF, OF | AF);
const IMUL_FLAGS = flags(0, CF | OF, SF | ZF | AF | PF);

const RM16_NOTE = 'memory: always 16 bits; a 32-bit register destination gets the value zero-extended (P6 family)';

function group6and7(): Form[] {
  return [
    form('SLDT Ew', [0x0f, 0x00], ['Ew'], 'system', undefined, { reg: 0, note: `${RM16_NOTE}; #UD in real mode` }),
    form('STR Ew', [0x0f, 0x00], ['Ew'], 'system', undefined, { reg: 1, note: `${RM16_NOTE}; #UD in real mode` }),
    form('LLDT Ew', [0x0f, 0x00], ['Ew'], 'system', undefined, { reg: 2, privilege: 'cpl0' }),
    form('LTR Ew', [0x0f, 0x00], ['Ew'], 'system', undefined, { reg: 3, privilege: 'cpl0' }),
    form('VERR Ew', [0x0f, 0x00], ['Ew'], 'system', flags(0, ZF), { reg: 4 }),
    form('VERW Ew', [0x0f, 0x00], ['Ew'], 'system', flags(0, ZF), { reg: 5 }),
    // Group 7 with mod = 3 is #UD on the P6 (later CPUs put VMX, MONITOR, RDTSCP, CLZERO... there).
    form('SGDT Ms', [0x0f, 0x01], ['Ms'], 'system', undefined, { reg: 0, note: '16-bit operand size stores a 24-bit base (the top byte is 0 on the P6)' }),
    form('SIDT Ms', [0x0f, 0x01], ['Ms'], 'system', undefined, { reg: 1, note: '16-bit operand size stores a 24-bit base (the top byte is 0 on the P6)' }),
    form('LGDT Ms', [0x0f, 0x01], ['Ms'], 'system', undefined, { reg: 2, privilege: 'cpl0', branch: true }),
    form('LIDT Ms', [0x0f, 0x01], ['Ms'], 'system', undefined, { reg: 3, privilege: 'cpl0', branch: true }),
    form('SMSW Ew', [0x0f, 0x01], ['Ew'], 'system', undefined, { reg: 4, note: RM16_NOTE.replace('zero-extended', 'CR0 low bits (undefined high bits on older CPUs)') }),
    form('LMSW Ew', [0x0f, 0x01], ['Ew'], 'system', undefined, { reg: 6, privilege: 'cpl0', branch: true, note: 'can set PE but not clear it' }),
    form('INVLPG Mb', [0x0f, 0x01], ['Mb'], 'system', undefined, { reg: 7, privilege: 'cpl0' }),
  ];
}

function controlAndSystem(): Form[] {
  const cpl0 = { privilege: 'cpl0' as const };
  return [
    form('LAR Gv,Ew', [0x0f, 0x02], ['Gv', 'Ew'], 'system', flags(0, ZF), { note: '#UD in real mode' }),
    form('LSL Gv,Ew', [0x0f, 0x03], ['Gv', 'Ew'], 'system', flags(0, ZF), { note: '#UD in real mode' }),
    form('CLTS', [0x0f, 0x06], [], 'system', undefined, cpl0),
    form('INVD', [0x0f, 0x08], [], 'system', undefined, cpl0),
    form('WBINVD', [0x0f, 0x09], [], 'system', undefined, cpl0),
    form('UD2', [0x0f, 0x0b], [], 'misc', undefined, { undefinedOpcode: true, branch: true }),
    // 0F 18-1F: the "hint NOP" space; the P6 family decodes a ModRM and does nothing
    // (SDM NOP: "0F 1F /0 NOP r/m"; the rest are reserved NOPs). No memory is accessed.
    ...[0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e].map((op) =>
      form(`NOP Ev (0F ${op.toString(16).toUpperCase()})`, [0x0f, op], ['Ev'], 'misc', undefined, { note: 'reserved hint NOP: no memory access' }),
    ),
    form('NOP Ev', [0x0f, 0x1f], ['Ev'], 'misc', undefined, { note: 'multi-byte NOP: no memory access' }),
    // MOV to/from CRn/DRn: the mod bits are ignored, r/m always names a register.
    form('MOV Rd,Cd', [0x0f, 0x20], ['Rd', 'Cd'], 'system', undefined, { ...cpl0, note: 'CR1 and CR5-7 are #UD; flags undefined per SDM' }),
    form('MOV Rd,Dd', [0x0f, 0x21], ['Rd', 'Dd'], 'system', undefined, { ...cpl0, note: 'DR4/DR5 alias DR6/DR7 unless CR4.DE' }),
    form('MOV Cd,Rd', [0x0f, 0x22], ['Cd', 'Rd'], 'system', undefined, { ...cpl0, branch: true, note: 'CR1 and CR5-7 are #UD; flags undefined per SDM' }),
    form('MOV Dd,Rd', [0x0f, 0x23], ['Dd', 'Rd'], 'system', undefined, { ...cpl0, note: 'DR4/DR5 alias DR6/DR7 unless CR4.DE' }),
    form('WRMSR', [0x0f, 0x30], [], 'system', undefined, cpl0),
    form('RDTSC', [0x0f, 0x31], [], 'system', undefined, { note: '#GP(0) at CPL > 0 when CR4.TSD is set' }),
    form('RDMSR', [0x0f, 0x32], [], 'system', undefined, cpl0),
    form('RDPMC', [0x0f, 0x33], [], 'system', undefined, { note: '#GP(0) at CPL > 0 unless CR4.PCE' }),
    form('SYSENTER', [0x0f, 0x34], [], 'system', flags(0, VM | IF | RF), { branch: true, note: '#GP(0) while IA32_SYSENTER_CS is 0' }),
    form('SYSEXIT', [0x0f, 0x35], [], 'system', undefined, { ...cpl0, branch: true, ...I64, note: 'AMD: #UD in long mode, compatibility mode included' }),
    form('PUSH FS', [0x0f, 0xa0], ['FS'], 'stack', undefined, D64),
    form('POP FS', [0x0f, 0xa1], ['FS'], 'stack', undefined, D64),
    form('CPUID', [0x0f, 0xa2], [], 'system'),
    form('PUSH GS', [0x0f, 0xa8], ['GS'], 'stack', undefined, D64),
    form('POP GS', [0x0f, 0xa9], ['GS'], 'stack', undefined, D64),
    form('RSM', [0x0f, 0xaa], [], 'system', flags(0, 0), { branch: true, note: '#UD outside system-management mode (always, here)' }),
    form('UD1 Gv,Ev', [0x0f, 0xb9], ['Gv', 'Ev'], 'misc', undefined, { undefinedOpcode: true, branch: true }),
    form('UD0 Gv,Ev', [0x0f, 0xff], ['Gv', 'Ev'], 'misc', undefined, {
      undefinedOpcode: true,
      branch: true,
      note: 'the SDM gives UD0 a ModRM; some older AMD parts decode it without one (the length is moot: it always faults)',
    }),
  ];
}

function conditional(): Form[] {
  const out: Form[] = [];
  CONDITIONS.forEach(({ cc, reads }, k) => {
    const CC = cc.toUpperCase();
    out.push(
      form(`CMOV${CC} Gv,Ev`, [0x0f, 0x40 + k], ['Gv', 'Ev'], 'move', flags(reads, 0), {
        note: 'reads the source (and can fault) even when the condition is false; writes the destination only when true',
      }),
      form(`J${CC} Jz`, [0x0f, 0x80 + k], ['Jz'], 'control', flags(reads, 0), { branch: true, ...F64 }),
      form(`SET${CC} Eb`, [0x0f, 0x90 + k], ['Eb'], 'flags', flags(reads, 0), { note: 'the ModRM /reg field is ignored' }),
    );
  });
  return out;
}

function arithmeticAndBits(): Form[] {
  const btNames = ['BT', 'BTS', 'BTR', 'BTC'];
  const btReg = [0xa3, 0xab, 0xb3, 0xbb];
  const BIT_NOTE = 'a register bit offset addresses memory outside the operand (signed, offset/8 bytes away)';
  return [
    ...btNames.map((name, k) => form(`${name} Ev,Gv`, [0x0f, btReg[k]], ['Ev', 'Gv'], 'bit', BT_FLAGS, { ...(k > 0 ? { lock: true } : {}), note: BIT_NOTE })),
    ...btNames.map((name, k) =>
      form(`${name} Ev,Ib`, [0x0f, 0xba], ['Ev', 'Ib'], 'bit', BT_FLAGS, { reg: 4 + k, ...(k > 0 ? { lock: true } : {}), note: 'the immediate is taken modulo the operand width' }),
    ),
    form('SHLD Ev,Gv,Ib', [0x0f, 0xa4], ['Ev', 'Gv', 'Ib'], 'shift', SHxD_FLAGS),
    form('SHLD Ev,Gv,CL', [0x0f, 0xa5], ['Ev', 'Gv', 'CL'], 'shift', SHxD_FLAGS),
    form('SHRD Ev,Gv,Ib', [0x0f, 0xac], ['Ev', 'Gv', 'Ib'], 'shift', SHxD_FLAGS),
    form('SHRD Ev,Gv,CL', [0x0f, 0xad], ['Ev', 'Gv', 'CL'], 'shift', SHxD_FLAGS),
    form('IMUL Gv,Ev', [0x0f, 0xaf], ['Gv', 'Ev'], 'muldiv', IMUL_FLAGS),
    form('CMPXCHG Eb,Gb', [0x0f, 0xb0], ['Eb', 'Gb'], 'alu', flags(0, STATUS), { lock: true, note: 'writes the destination even when unequal (with its old value)' }),
    form('CMPXCHG Ev,Gv', [0x0f, 0xb1], ['Ev', 'Gv'], 'alu', flags(0, STATUS), { lock: true, note: 'writes the destination even when unequal (with its old value)' }),
    form('LSS Gv,Mp', [0x0f, 0xb2], ['Gv', 'Mp'], 'move', undefined, { note: 'a register operand is #UD' }),
    form('LFS Gv,Mp', [0x0f, 0xb4], ['Gv', 'Mp'], 'move', undefined, { note: 'a register operand is #UD' }),
    form('LGS Gv,Mp', [0x0f, 0xb5], ['Gv', 'Mp'], 'move', undefined, { note: 'a register operand is #UD' }),
    form('MOVZX Gv,Eb', [0x0f, 0xb6], ['Gv', 'Eb'], 'move'),
    form('MOVZX Gv,Ew', [0x0f, 0xb7], ['Gv', 'Ew'], 'move'),
    form('BSF Gv,Ev', [0x0f, 0xbc], ['Gv', 'Ev'], 'bit', BS_FLAGS, { note: 'a zero source leaves the destination undefined (unchanged on Intel and AMD parts)' }),
    form('BSR Gv,Ev', [0x0f, 0xbd], ['Gv', 'Ev'], 'bit', BS_FLAGS, { note: 'a zero source leaves the destination undefined (unchanged on Intel and AMD parts)' }),
    form('MOVSX Gv,Eb', [0x0f, 0xbe], ['Gv', 'Eb'], 'move'),
    form('MOVSX Gv,Ew', [0x0f, 0xbf], ['Gv', 'Ew'], 'move'),
    form('XADD Eb,Gb', [0x0f, 0xc0], ['Eb', 'Gb'], 'alu', flags(0, STATUS), { lock: true }),
    form('XADD Ev,Gv', [0x0f, 0xc1], ['Ev', 'Gv'], 'alu', flags(0, STATUS), { lock: true }),
    form('CMPXCHG8B Mq', [0x0f, 0xc7], ['Mq'], 'alu', flags(0, ZF), { reg: 1, lock: true, note: 'a register operand is #UD; writes memory even when unequal' }),
    form('BSWAP Zv', [0x0f, 0xc8], ['Zv'], 'bit', undefined, { plusReg: true, note: 'with a 16-bit operand size the result is undefined (SDM)' }),
  ];
}

export const TWO_BYTE_FORMS: readonly Form[] = [...group6and7(), ...controlAndSystem(), ...conditional(), ...arithmeticAndBits()];
