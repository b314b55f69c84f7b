// Which differential cases a 64-bit process can run with the outcome they
// have in a 32-bit one, and the bytes it runs (native/harness64.c, for hosts
// that execute no 32-bit code). The host CPU still executes every case: this
// file only chooses which cases, re-encodes their addressing, and maps back
// the numbers that name the mode (EIP past inserted bytes, selectors).
//
// Per form, in one place (formNotIn64): the same instruction unless the table
// says otherwise (Form.mode64, the SDM's i64/d64/f64 superscripts and far
// transfers) or it loads, pushes or pops a segment register. Per case (planLongMode):
//   - a stack operation (d64) runs only with 0x66, which makes it push and
//     pop 16 bits in both modes;
//   - 0x67 goes in front of whatever addresses memory or uses ESI/EDI/ECX
//     implicitly (strings, XLAT, moffs, LOOP, JECXZ), so addressing is 32-bit
//     with 32-bit wrap-around, as in a 32-bit process; a case that already
//     has 0x67 there (16-bit addressing) has no counterpart and is left out;
//   - ModRM mod=00 rm=101 ([disp32]) is RIP-relative in 64-bit mode: it
//     becomes rm=100 with a SIB byte of no base and no index (0x25);
//   - a relative branch that gained bytes keeps its absolute target (the
//     displacement shrinks by the bytes inserted);
//   - left out: a near branch with 0x66 (Intel ignores the prefix in 64-bit
//     mode), a CS override on a memory access (a 32-bit process cannot write
//     through CS), a memory operand that may cross 4 GiB (a limit fault in a
//     32-bit process, a #PF above 4 GiB in 64-bit mode), an instruction pushed past 15 bytes by the re-encoding, a
//     branch whose target is one of the inserted bytes, MOV from CS or GS
//     (whose selectors differ between the two processes).
// An x87 program (x87.ts, the FNSAVE cases) runs as it is: its operands are
// [ebx+disp8], the same address in both modes; only the code selector that
// FNSAVE/FNSTENV store differs (case.ts fcsFields).

import type { Form } from '../../src/isa/table.ts';
import { decode, MAX_LENGTH, type Decoded } from '../../src/isa/decode.ts';
import { INVALID_0F, GROUP_HOLES } from '../../src/isa/invalid.ts';
import { type Case, type Result, CODE_ADDR, CODE_MAX } from './case.ts';
import { GENERATED_FORMS, adSizeMatters } from './generator.ts';
import { VECTOR_WIDE } from './native.ts';

/** What the 64-bit harness's run stands for: the re-encoded case, and how to map its EIP back. */
export interface LongModePlan {
  case: Case;
  shift: number; // bytes inserted into the instruction
  end: number; // the address after the original instruction
}
export type Planned = LongModePlan | { excluded: string };

// Segment registers as operands of their own (pushes and pops, all d64 or
// i64) and far pointers; MOV from a segment register (Ev,Sw) stays, per case
// below.
const SEGMENT_OPERANDS = new Set(['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'Mp']);
const SREG_CS = 1,
  SREG_GS = 5;

/** Why a form is not the same instruction in 64-bit mode, or null when it is. */
export function formNotIn64(f: Form): string | null {
  switch (f.mode64) {
    case 'i64':
      return 'invalid in 64-bit mode, or another instruction there';
    case 'd64': // with 0x66 they push and pop 16 bits in both modes (planLongMode)
      break;
    case 'far':
      return 'a far transfer: its selectors name 64-bit segments there';
    case 'f64': // relative jumps, and JMP through a register (planLongMode), are the same
      if (f.mnemonic === 'call' || !(f.operands.some((o) => o === 'Jb' || o === 'Jz') || f.id === 'JMP Ev')) {
        return 'a near call or return: 64-bit return addresses there';
      }
      break;
    default:
      break;
  }
  if (f.operands.some((o) => SEGMENT_OPERANDS.has(o))) return 'a segment push, pop or far pointer load';
  // Measured here: a null selector with RPL 3 reads back as 0, and the 32-bit code selector 0x23 does not load.
  if (f.operands[0] === 'Sw') return 'a segment register load: null and 32-bit code selectors load differently in 64-bit mode';
  return null;
}

/** The stack forms the 64-bit runner checks only with a 16-bit operand size (0x66). */
export const ONLY_16_BIT_IN_64: readonly string[] = GENERATED_FORMS.filter((f) => f.mode64 === 'd64' && formNotIn64(f) === null).map((f) => f.id);

/** The generated forms only a host that runs 32-bit code can check, with the reason. */
export const NATIVE32_ONLY: readonly { id: string; why: string }[] = GENERATED_FORMS.flatMap((f) => {
  const why = formNotIn64(f);
  return why ? [{ id: f.id, why }] : [];
});

const ex = (excluded: string) => ({ excluded });
const opcodeBytes = (d: Decoded) => (d.opcode >= 0x100 ? 2 : 1);

/** An encoding with no instruction that is #UD in both modes (invalid.ts: the host's #UD probes). */
function isUdProbe(code: Uint8Array, d: Decoded): boolean {
  if (d.invalid !== 'opcode') return false;
  if (d.opcode >= 0x100 && INVALID_0F.some((r) => r.udOnHost && d.opcode - 0x100 >= r.first && d.opcode - 0x100 <= r.last)) return true;
  const at = d.prefixes.length + opcodeBytes(d);
  if (at >= code.length) return false;
  const m = code[at];
  const op = d.opcode >= 0x100 ? [0x0f, d.opcode - 0x100] : [d.opcode];
  return GROUP_HOLES.some((h) => h.opcode.length === op.length && h.opcode.every((b, i) => b === op[i]) && h.regs.includes((m >> 3) & 7) && (!h.memoryOnly || m >> 6 !== 3));
}

/** How the 64-bit harness runs `c`, or why it cannot stand in for a 32-bit process there. */
export function planLongMode(c: Case): Planned {
  const d = decode(c.code, 0, 32);
  if (d.invalid === 'truncated') return ex('the instruction is cut short');
  if (inProgram(d.form)) return planX87Program(c);
  const same = (): LongModePlan => ({ case: c, shift: 0, end: CODE_ADDR + d.length });
  if (!d.form) return isUdProbe(c.code, d) ? same() : ex('no instruction, and not one of the #UD probes');
  const why = formNotIn64(d.form);
  if (why) return ex(why);
  // Only the first instruction is re-encoded; what follows it must be the INT3 sled.
  if (!d.invalid && d.length < c.code.length) return ex('more than one instruction (only x87 programs may be)');
  const memory = d.modrm !== null && d.modrm.mod !== 3;
  const addressed = adSizeMatters(d.form, memory);
  if (d.form.mode64 === 'f64' && d.op16) return ex('0x66 on a near branch: Intel ignores it in 64-bit mode');
  if (d.form.mode64 === 'd64' && !d.op16) return ex('a stack operation without 0x66: 64 bits wide in 64-bit mode');
  if (d.form.id === 'JMP Ev' && memory) return ex('JMP through memory: a 64-bit target in 64-bit mode');
  // ES DS FS SS hold the same GDT selectors in both processes; CS and GS do not.
  if (d.form.operands.includes('Sw') && (d.modrm!.reg === SREG_CS || d.modrm!.reg === SREG_GS)) {
    return ex('MOV from CS or GS: their selectors differ between the two processes');
  }
  if (d.form.id === 'INT Ib' && d.imms[0] >= 0x15 && d.imms[0] <= 0x1f) {
    return ex('INT to a reserved exception vector: paravirtualised 64-bit kernels claim some (PVM: 0x17, 0x19-0x1B)');
  }
  if (!addressed) return same();
  if (d.ad16) return ex('16-bit addressing (0x67) has no counterpart in 64-bit mode');
  if (d.seg === 1) return ex('a CS override: writing through CS is #GP in a 32-bit process only');
  if (nearTop(c, d)) return ex('an access that may cross 4 GiB: a limit fault in a 32-bit process, a #PF above 4 GiB in 64-bit mode');
  const bytes = [0x67, ...c.code];
  let shift = 1;
  if (memory && d.modrm!.mod === 0 && d.modrm!.rm === 5) {
    const at = shift + d.prefixes.length + opcodeBytes(d);
    bytes[at] = (bytes[at] & ~7) | 4;
    bytes.splice(at + 1, 0, 0x25);
    shift++;
  }
  if (d.invalid !== 'length' && d.length + shift > MAX_LENGTH) return ex('longer than 15 bytes once re-encoded');
  if (bytes.length > CODE_MAX) return ex(`longer than ${CODE_MAX} bytes once re-encoded`);
  const end = CODE_ADDR + d.length;
  if (d.form.operands.includes('Jb') && !d.invalid) {
    const at = d.immOffset + shift;
    const disp = (c.code[d.immOffset] << 24) >> 24;
    const target = end + disp;
    if (target >= end && target <= end + shift) return ex('the branch target is a byte the re-encoding inserted');
    if (disp - shift < -128) return ex('the branch displacement does not fit once re-encoded');
    bytes[at] = (disp - shift) & 0xff;
  }
  return { case: { ...c, code: new Uint8Array(bytes) }, shift, end };
}

const FOUR_GIB = 2 ** 32;
const LARGEST_ACCESS = 16; // more than any operand here (CMPXCHG8B 8, LGDT 6)

/** Whether the explicit memory operand (ModRM or moffs) starts so near 4 GiB that its bytes may go past it. */
function nearTop(c: Case, d: Decoded): boolean {
  const m = d.modrm;
  let ea: number;
  if (m && m.mod !== 3) ea = (m.base >= 0 ? c.regs[m.base] : 0) + (m.index >= 0 ? c.regs[m.index] * 2 ** m.scale : 0) + m.disp;
  else if (d.form!.operands.some((o) => o === 'Ob' || o === 'Ov'))
    ea = d.imms[0]; // the moffs forms' only immediate
  else return false;
  ea = ((ea % FOUR_GIB) + FOUR_GIB) % FOUR_GIB;
  return ea > FOUR_GIB - LARGEST_ACCESS;
}

/**
 * Where an x87 program's FNSAVE/FNSTENV store FCS, or undefined: the 32-bit
 * harness is told too, so that it runs a case again when a preemption's
 * 64-bit XSAVE lost FCS before the FNSAVE (native/harness-core.h, fcs_lost).
 */
export function fcsFieldsOf(c: Case): number[] | undefined {
  if (!inProgram(decode(c.code, 0, 32).form)) return undefined;
  const p = planX87Program(c);
  return 'excluded' in p ? undefined : p.case.fcsFields;
}

// FNSAVE (DD /6) and FNSTENV (D9 /6) store FCS at offset 16 of their 32-bit image, FXSAVE (0F AE /0) at 12.
const FCS_OFFSET = 16;
const FXSAVE_FCS_OFFSET = 12;

/**
 * What a program may hold: x87 instructions, the FPU/SSE state forms
 * (FXSAVE, FXRSTOR, LDMXCSR, STMXCSR), whose image layout without REX.W is
 * the same in both modes, and the XMM forms (with their one mandatory
 * prefix; without REX they name XMM0-7 and do the same in both modes), and the forms on MM registers (EMMS has no ModRM). (In 64-bit mode FXSAVE and FXRSTOR also store and
 * load XMM8-15 at bytes 288-415: sse-programs.ts saves where it restored.)
 */
function inProgram(f: Form | null | undefined): boolean {
  return f?.category === 'x87' || f?.prefix !== undefined || /^(FXSAVE|FXRSTOR|LDMXCSR|STMXCSR) /.test(f?.id ?? '');
}

/**
 * An x87 program: x87 instructions without prefixes whose memory operands
 * have a base register and do not wrap around 4 GiB, so they address the same
 * bytes in both modes. (x87 instructions leave the address registers alone.)
 */
function planX87Program(c: Case): Planned {
  const fcsFields: number[] = [];
  let at = 0;
  while (at < c.code.length) {
    const d = decode(c.code, at, 32);
    if (d.invalid || !inProgram(d.form)) return ex('an x87 program with something other than x87 instructions');
    const mandatory = typeof d.form!.prefix === 'number' ? [d.form!.prefix] : [];
    if (d.prefixes.length !== mandatory.length || d.prefixes.some((b, i) => b !== mandatory[i])) return ex('a prefixed x87 instruction');
    const m = d.modrm;
    if (m && m.mod !== 3) {
      if (m.base < 0) return ex('an x87 operand without a base register ([disp32] is RIP-relative in 64-bit mode)');
      const ea = c.regs[m.base] + (m.index >= 0 ? c.regs[m.index] * 2 ** m.scale : 0) + m.disp;
      if (ea < 0 || ea >= 2 ** 32) return ex('an x87 operand address that wraps around 4 GiB');
      if ((d.opcode === 0xdd || d.opcode === 0xd9) && m.reg === 6) fcsFields.push(ea + FCS_OFFSET);
      if (d.opcode === 0x1ae && m.reg === 0) fcsFields.push(ea + FXSAVE_FCS_OFFSET);
    }
    at += d.length;
  }
  return { case: fcsFields.length ? { ...c, fcsFields } : c, shift: 0, end: CODE_ADDR + c.code.length };
}

// The code and TLS selectors the cases run with, in each process (ES SS DS FS
// are the same: Linux's user data selector 0x2b, or what a MOV loaded).
const CS64 = 0x33,
  CS32 = 0x23,
  GS64 = 0x2b,
  GS32 = 0x63;

/**
 * Starts the reason when the run itself shows a case was not mode-independent
 * after all: a flaw in the rules above, which the tests do not let pass.
 */
export const RUN_SHOWED = 'the 64-bit run showed it is not the same: ';

/** The 32-bit outcome a 64-bit run stands for, or why it stands for none. */
export function resultFrom64(r: Result, p: LongModePlan): Result | { excluded: string } {
  if (r.vector === VECTOR_WIDE) return ex(`${RUN_SHOWED}it left a register's upper half set`);
  if (r.segs[1] !== CS64 || r.segs[5] !== GS64) return ex(`${RUN_SHOWED}it ended with CS ${r.segs[1].toString(16)}, GS ${r.segs[5].toString(16)}`);
  // After the instruction (the INT3 there, or a trap past it): back over the inserted bytes.
  const past = p.shift > 0 && (r.eip === p.end + p.shift || r.eip === p.end + p.shift + 1);
  return { ...r, eip: past ? r.eip - p.shift : r.eip, segs: r.segs.map((s, i) => (i === 1 ? CS32 : i === 5 ? GS32 : s)) };
}
