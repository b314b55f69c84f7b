// Random differential cases for the instruction forms of src/isa.
//
// Case i of a run depends only on (seed, i). Each case is one instruction of
// one form, built from the form's operand letters: legal prefixes at random
// (and sometimes an illegal LOCK, for #UD), every ModRM/SIB shape with 16- and
// 32-bit addressing, registers biased to edge values. Memory operands are
// steered into the data pages (sometimes just outside or across a page
// boundary, for #PF); control transfers are steered onto the INT3 sled after
// the instruction; whatever the native process could not survive (system
// calls, TF or AC set, a GS load, far transfers to foreign selectors) is never
// built. `ignoreFlags` masks exactly the EFLAGS the SDM leaves undefined for
// that form with those operands.

import { FORMS, formById, type Form, type Operand, CF, AF, OF, TF, AC, NT } from '../../src/isa/table.ts';
import { INVALID_0F, GROUP_HOLES } from '../../src/isa/invalid.ts';
import { SHIFT_NAMES } from '../../src/isa/map-groups.ts';
import { type Case, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, CODE_ADDR, CODE_MAX } from './case.ts';
import { Rng } from '../support/rng.ts';

export interface Generated {
  case: Case;
  form: string; // a form id of the table, or a '#UD ...' probe id
  ignoreFlags: number; // EFLAGS bits the SDM leaves undefined for this instance
  note?: string;
}

/** Forms the differential test leaves out, and why (they have dedicated tests, or cannot run natively). */
export const EXCLUDED: readonly { forms: string[]; why: string }[] = [
  { forms: ['CPUID', 'RDTSC', 'RDPMC'], why: 'report this core, its virtual clock and counters: the host legitimately differs (dedicated tests)' },
  { forms: ['SGDT Ms', 'SIDT Ms', 'SLDT Ew', 'STR Ew', 'SMSW Ew'], why: 'the host has UMIP and Linux emulates these for 32-bit processes with dummy values' },
  { forms: ['LAR Gv,Ew', 'LSL Gv,Ew', 'VERR Ew', 'VERW Ew'], why: "their result reads the GDT's descriptors, which differ between Linux and the test machine" },
  { forms: ['SYSENTER'], why: 'enters the host kernel' },
  { forms: ['INT1'], why: 'a trap per the SDM (EIP after it), but the host kernel reports it at the instruction' },
  { forms: ['POP GS', 'LGS Gv,Mp'], why: "GS holds glibc's TLS natively: a GS load would break the harness" },
  {
    forms: ['FXSAVE M', 'FXRSTOR M', 'LDMXCSR Md', 'STMXCSR Md'],
    why: 'the FPU/SSE state forms need a known state around them: sse-programs.ts builds those cases (test/cpu-diff/fxsave.test.ts)',
  },
  { forms: FORMS.filter((f) => f.prefix !== undefined).map((f) => f.id), why: 'XMM forms need XMM registers in and out: sse-programs.ts builds those cases (cpu:diff --sse)' },
  { forms: FORMS.filter((f) => f.category === 'x87').map((f) => f.id), why: 'x87 instructions need a known FPU state around them: x87.ts builds those cases (cpu:diff --x87)' },
];

const EXCLUDED_IDS = new Set(EXCLUDED.flatMap((e) => e.forms));

/** #UD probes: encodings with no instruction on this CPU that are #UD on the host too. */
export const UD_PROBES: readonly { id: string; opcode: number[]; last?: number; regs?: number[]; memoryOnly?: boolean }[] = [
  ...INVALID_0F.filter((r) => r.udOnHost).map((r) => ({
    id: `#UD 0F ${hex2(r.first)}${r.last !== r.first ? '-' + hex2(r.last) : ''}`,
    opcode: [0x0f, r.first],
    last: r.last,
  })),
  ...GROUP_HOLES.map((h) => ({ id: `#UD ${h.opcode.map(hex2).join(' ')} /${h.regs.join(',')}`, opcode: h.opcode, regs: h.regs, memoryOnly: h.memoryOnly })),
];

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/** Every form the generator builds, in table order. */
export const GENERATED_FORMS: readonly Form[] = FORMS.filter((f) => !EXCLUDED_IDS.has(f.id));

/** Everything a case can be classified as: the generated forms, then the #UD probes. */
export const GENERATED_IDS: readonly string[] = [...GENERATED_FORMS.map((f) => f.id), ...UD_PROBES.map((p) => p.id)];

const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const COUNTS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255];

function value(r: Rng): number {
  const k = r.below(8);
  if (k < 3) return r.pick(EDGES);
  if (k < 4) return r.below(64);
  return r.next();
}

// Selectors a case may load: null, null with RPL 3, Linux's user code and data.
// The code selector goes only into DS/ES/FS (readable code); SS takes only the data selector (or null, #GP(0)).
const DATA_SELECTORS = [0x2b, 0x2b, 0x23, 0, 3];
const SS_SELECTORS = [0x2b, 0x2b, 0x2b, 0, 3];
const SEG_OVERRIDES = [0x26, 0x2e, 0x36, 0x3e, 0x64]; // never GS (0x65): glibc's TLS natively
const EAX = 0,
  ECX = 1,
  EDX = 2,
  EBX = 3,
  ESP = 4,
  EBP = 5,
  ESI = 6,
  EDI = 7;

/** The word of the seeded fill at `addr` (what the case memory holds before presets), or null outside the pages. */
export function filledWord(seed: number, addr: number): number | null {
  const inData = addr >= DATA_ADDR && addr + 4 <= DATA_ADDR + DATA_SIZE;
  const inStack = addr >= STACK_ADDR && addr + 4 <= STACK_ADDR + STACK_SIZE;
  if (!inData && !inStack) return null;
  const offset = inData ? addr - DATA_ADDR : DATA_SIZE + addr - STACK_ADDR;
  const first = offset >> 2;
  let s = seed >>> 0 || 0x9e3779b9;
  let lo = 0,
    hi = 0;
  for (let i = 0; i <= first + 1; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    if (i === first) lo = s;
    if (i === first + 1) hi = s;
  }
  const shift = (offset & 3) * 8;
  return shift ? ((lo >>> shift) | (hi << (32 - shift))) >>> 0 : lo;
}

class Builder {
  bytes: number[] = [];
  regs: number[];
  presets: { addr: number; value: number }[] = [];
  op16 = false;
  ad16 = false;
  eflags: number;
  seed: number;
  memAddr = -1; // linear address of the ModRM memory operand, when there is one
  modrmAt = -1;
  notes: string[] = [];

  constructor(private r: Rng) {
    this.seed = r.next();
    this.regs = Array.from({ length: 8 }, () => value(r));
    this.regs[ESP] = (STACK_ADDR + 0x200 + r.below(STACK_SIZE - 0x400)) & (r.chance(0.8) ? ~3 : ~0);
    // Arithmetic flags at random, DF sometimes; IF is always set at CPL 3 under Linux; never TF or AC.
    this.eflags = (r.next() & 0x8d5) | 0x202 | (r.chance(0.2) ? 0x400 : 0);
  }

  /** An address in the data pages, or sometimes just outside them or across their middle page boundary. */
  target(size: number): number {
    const r = this.r;
    if (r.chance(0.03)) return r.pick([DATA_ADDR - 2, DATA_ADDR + DATA_SIZE - 2, DATA_ADDR + DATA_SIZE + r.below(0x100), 0x1000 + r.below(0x1000)]);
    if (r.chance(0.05)) return DATA_ADDR + 0x1000 - 1 - r.below(size); // straddles the two data pages
    return DATA_ADDR + r.below(DATA_SIZE - 16);
  }

  preset(addr: number, v: number): void {
    const fits = (a: number, base: number, size: number) => a >= base && a + 4 <= base + size;
    if (fits(addr, DATA_ADDR, DATA_SIZE) || fits(addr, STACK_ADDR, STACK_SIZE)) this.presets.push({ addr, value: v >>> 0 });
  }

  /**
   * ModRM (+SIB, displacement) with `reg` in the reg field and a register or a
   * memory operand; for memory, the base/index registers are set so the
   * effective address lands where `target` says. `keepEsp` leaves ESP alone
   * (stack forms), by never using it as a base or index.
   */
  modrm(reg: number, memory: boolean, size: number, keepEsp: boolean): number {
    const r = this.r;
    this.modrmAt = this.bytes.length;
    if (!memory) {
      this.bytes.push(0xc0 | (reg << 3) | r.below(8));
      return -1;
    }
    const want = this.target(size);
    if (this.ad16) return (this.memAddr = this.modrm16(reg, want));
    const mod = r.below(3);
    let rm = r.below(8);
    if (mod === 0 && rm === 5 && r.chance(0.5)) rm = 0;
    if (keepEsp && rm === 4 && r.chance(0.3)) rm = 3;
    this.bytes.push((mod << 6) | (reg << 3) | rm);
    let base = rm,
      index = -1,
      scale = 0;
    if (rm === 4) {
      scale = r.below(4);
      index = r.below(8);
      base = r.below(8);
      if (keepEsp && base === ESP) base = EBX;
      this.bytes.push((scale << 6) | (index << 3) | base);
      if (index === ESP) index = -1;
      if (base === 5 && mod === 0) base = -1;
    } else if (rm === 5 && mod === 0) {
      base = -1;
    }
    let disp = 0;
    if (base === -1) {
      disp = index === -1 ? want : r.below(0x100);
      this.bytes.push(disp & 0xff, (disp >> 8) & 0xff, (disp >> 16) & 0xff, disp >>> 24);
    } else if (mod === 1) {
      disp = (r.below(256) << 24) >> 24;
      this.bytes.push(disp & 0xff);
    } else if (mod === 2) {
      disp = r.chance(0.5) ? r.below(0x100) - 0x80 : r.next() | 0;
      this.bytes.push(disp & 0xff, (disp >> 8) & 0xff, (disp >> 16) & 0xff, (disp >>> 24) & 0xff);
    }
    // Solve for the register values: a small index, then the base takes up the rest.
    if (index >= 0 && (base === -1 || base === index || r.chance(0.3))) this.regs[index] = r.below(16);
    const idx = index >= 0 ? this.regs[index] * (1 << scale) : 0;
    if (base >= 0) {
      if (base === index) this.regs[base] = Math.floor((want - disp) / (1 + (1 << scale))) >>> 0;
      else this.regs[base] = (want - disp - idx) >>> 0;
    } else if (index >= 0) {
      this.regs[index] = Math.floor((want - disp) / (1 << scale)) >>> 0;
    }
    const bv = base >= 0 ? this.regs[base] : 0;
    const iv = index >= 0 ? this.regs[index] * (1 << scale) : 0;
    return (this.memAddr = (bv + iv + disp) >>> 0);
  }

  private modrm16(reg: number, want: number): number {
    const r = this.r;
    const mod = r.below(3);
    const rm = r.below(8);
    this.bytes.push((mod << 6) | (reg << 3) | rm);
    if (mod === 0 && rm === 6) {
      this.bytes.push(want & 0xff, (want >> 8) & 0xff);
      return want & 0xffff;
    }
    let disp = 0;
    if (mod === 1) {
      disp = (r.below(256) << 24) >> 24;
      this.bytes.push(disp & 0xff);
    } else if (mod === 2) {
      disp = r.below(0x10000);
      this.bytes.push(disp & 0xff, disp >> 8);
    }
    // BX+SI BX+DI BP+SI BP+DI SI DI BP BX: the first register absorbs the difference.
    const pair = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI], [EDI], [EBP], [EBX]][rm];
    const other = pair.length === 2 ? this.regs[pair[1]] & 0xffff : 0;
    this.regs[pair[0]] = ((this.regs[pair[0]] & 0xffff0000) | ((want - other - disp) & 0xffff)) >>> 0;
    return ((this.regs[pair[0]] & 0xffff) + other + disp) & 0xffff;
  }

  imm(size: number, v = value(this.r)): number {
    for (let i = 0; i < size; i++) this.bytes.push((v >>> (i * 8)) & 0xff);
    return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }

  /** The byte the seeded fill (or a preset) puts at `addr`... as a u32 word, when it is in the case pages. */
  memoryWord(addr: number): number | null {
    for (const p of this.presets) if (p.addr === addr) return p.value;
    return filledWord(this.seed, addr);
  }
}

/** Where a control transfer may go: the INT3 sled after the instruction, or (rarely) the unmapped page before the code. */
function landing(_b: Builder, len: number, r: Rng): number {
  if (r.chance(0.06)) return CODE_ADDR - 1 - r.below(0x40);
  return CODE_ADDR + len + r.below(Math.max(1, CODE_MAX + 8 - len));
}

const hasV = (f: Form) => f.operands.some((o) => /^[A-Z][a-z]*[vzpa]$/.test(o) || o === 'eAX');

/** Whether 0x66 changes what the form does (operand width, stack slot width, or EIP truncation). */
function opSizeMatters(f: Form): boolean {
  return hasV(f) || f.sized?.by === 'operand' || f.category === 'stack' || f.category === 'control';
}

/** Whether 0x67 changes what the form does. */
export function adSizeMatters(f: Form, memory: boolean): boolean {
  return memory || f.category === 'string' || f.operands.some((o) => o[0] === 'O') || f.id === 'XLAT' || /^(LOOP|JECXZ)/.test(f.id);
}

/** Undefined flags for a group-2 shift/rotate instance, by masked count: SDM SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR. */
function shiftIgnore(f: Form, count: number, width: number): number {
  const c = count & 31;
  if (c === 0) return 0; // "If the count is 0, the flags are not affected."
  const k = f.reg!;
  if (k < 4) return c === 1 ? 0 : OF; // rotates: "The OF flag is defined only for the 1-bit rotates"
  let u = AF | (c === 1 ? 0 : OF); // shifts: AF undefined for a non-zero count; OF only for 1-bit shifts
  if ((SHIFT_NAMES[k] === 'SHL' || SHIFT_NAMES[k] === 'SHR') && c >= width) u |= CF; // "CF is undefined for SHL and SHR where the count >= the operand size"
  return u;
}

/** SHLD/SHRD: "If the count is 1 or greater, CF is the last bit shifted out... OF undefined unless 1... AF undefined." */
function doubleShiftIgnore(count: number): number {
  const c = count & 31;
  return c === 0 ? 0 : AF | (c === 1 ? 0 : OF);
}

function generateForm(f: Form, r: Rng): Generated {
  const b = new Builder(r);
  const name = f.id.split(' ')[0];
  const memOnly = f.mod === 'mem';
  const stacky = f.category === 'stack' || f.category === 'control';
  // Memory-only forms with a register operand are #UD; only where the host has no other meaning for them (not 62, C4, C5, 0F 01).
  const udByMod = memOnly && ['LEA Gv,M', 'LSS Gv,Mp', 'LFS Gv,Mp', 'CALL Mp', 'JMP Mp', 'CMPXCHG8B Mq'].includes(f.id) && r.chance(0.04);
  const memory = f.modrm && f.mod !== 'reg' && !f.operands.includes('Rd') && (memOnly ? !udByMod : r.chance(0.55));
  if (udByMod) b.notes.push('register operand of a memory-only form: #UD');

  const prefixes: number[] = [];
  if (opSizeMatters(f) ? r.chance(0.25) : f.opcode[0] !== 0x0f && r.chance(0.04)) {
    // BSWAP with a 16-bit operand has an undefined result (SDM): never built.
    if (name !== 'BSWAP') {
      b.op16 = true;
      prefixes.push(0x66);
    }
  }
  if (adSizeMatters(f, memory) && r.chance(0.15)) {
    b.ad16 = true;
    prefixes.push(0x67);
  }
  const usesDs = memory || f.operands.some((o) => o[0] === 'X' || o[0] === 'O') || f.id === 'XLAT';
  if (usesDs && r.chance(0.2)) prefixes.push(r.pick(SEG_OVERRIDES));
  let lockIllegal = false;
  if (f.lock && memory && r.chance(0.3)) prefixes.push(0xf0);
  // LOCK where it is illegal (#UD): any other form, or a lockable one with a register destination.
  // Never on MOV CRn: AMD reads LOCK MOV CR0 as MOV CR8.
  else if (!f.operands.includes('Cd') && r.chance(f.lock ? 0.05 : 0.01)) {
    prefixes.push(0xf0);
    lockIllegal = !(f.lock && memory);
  }
  if (f.rep && r.chance(0.6)) prefixes.push(r.chance(0.5) ? 0xf3 : 0xf2);
  for (let i = prefixes.length - 1; i > 0; i--) {
    const j = r.below(i + 1);
    [prefixes[i], prefixes[j]] = [prefixes[j], prefixes[i]];
  }
  b.bytes.push(...prefixes);

  const opBytes = b.op16 ? 2 : 4;
  const width = (o: Operand): number => (o.endsWith('b') ? 1 : o.endsWith('w') ? 2 : o.endsWith('d') ? 4 : o === 'Mq' || o === 'Ma' ? 8 : opBytes);
  const opcode = [...f.opcode];
  let plusReg = -1;
  if (f.plusReg) {
    plusReg = f.id === 'XCHG Zv,eAX' ? 1 + r.below(7) : r.below(8);
    // POP ESP and PUSH ESP are fine; INC/DEC ESP would move the stack out of its page only by one.
    opcode[opcode.length - 1] += plusReg;
  }
  b.bytes.push(...opcode);

  let ignore = f.flags.undef;
  let count = -1; // shift count, when the instance has one
  const operandWidth = (): number => {
    const e = f.operands.find((o) => o[0] === 'E' || o[0] === 'M');
    return e ? width(e) : opBytes;
  };

  if (f.modrm) {
    let reg = f.reg ?? r.below(8);
    if (f.operands.includes('Sw')) {
      // MOV Sw,Ew: ES SS DS FS, sometimes CS or a register that does not exist (#UD); never GS.
      reg = f.id === 'MOV Sw,Ew' ? r.pick([0, 2, 3, 4, 0, 3, 2, 4, 1, 6, 7]) : r.below(r.chance(0.95) ? 6 : 8);
    }
    if (f.operands.includes('Dd')) reg = r.pick([0, 1, 2, 3, 6, 7]); // DR4/DR5 depend on CR4.DE, which differs
    if (f.id === 'MOV Cd,Rd' || f.id === 'MOV Rd,Cd') reg = r.pick([0, 2, 3, 4, 1, 5, 6, 7]);
    if (f.operands.includes('Rd')) {
      b.bytes.push((r.chance(0.8) ? 0xc0 : r.below(3) << 6) | (reg << 3) | r.below(8)); // mod is ignored
    } else {
      const e = f.operands.find((o) => o[0] === 'E' || o[0] === 'M') ?? 'Ev';
      const size = f.id === 'MOV Ev,Sw' ? 2 : width(e) + (e === 'Mp' ? 2 : 0);
      b.modrm(reg, memory, size, stacky);
    }
    if (f.id === 'MOV Sw,Ew') {
      const sel = reg === 2 ? r.pick(SS_SELECTORS) : r.pick(DATA_SELECTORS);
      const rm = b.bytes[b.modrmAt] & 7;
      if (!memory) b.regs[rm] = ((b.regs[rm] & 0xffff0000) | sel) >>> 0;
      else b.preset(b.memAddr, (r.next() & 0xffff0000) | sel);
    }
  }

  // Immediates and other operands after the ModRM, in operand order.
  for (const o of f.operands) {
    switch (o) {
      case 'Ib':
        if (f.category === 'shift') {
          count = r.chance(0.6) ? r.pick(COUNTS) : r.below(256);
          if (name === 'SHLD' || name === 'SHRD') count = r.below(b.op16 ? 17 : 32); // above 16 on 16 bits: undefined result
          b.bytes.push(count & 0xff);
        } else if (name === 'INT') {
          let v = r.chance(0.3) ? r.pick([3, 4, 3, 4, 0, 1, 6, 13, 14, 0x81, 0xff]) : r.below(256);
          if (v === 0x80) v = 0x81; // the system-call gate
          b.bytes.push(v);
        } else if (name === 'AAM' || name === 'AAD') {
          b.bytes.push(r.chance(0.6) ? 10 : r.chance(0.2) ? 0 : r.below(256));
        } else if (name === 'ENTER') {
          b.bytes.push(r.pick([0, 0, 1, 2, 3, 31, 32, 33]));
        } else if (f.category === 'bit') {
          b.bytes.push(r.chance(0.5) ? r.below(32) : r.below(256));
        } else b.imm(1);
        break;
      case 'Ibs':
        b.imm(1);
        break;
      case 'Iw':
        // RET/RETF Iw release little: with a bad selector vendors order the outer-stack checks differently.
        if (name === 'RET' || name === 'RETF') b.bytes.push(r.below(0x40) & ~1, 0);
        else if (name === 'ENTER') b.bytes.push(r.below(64), 0);
        else b.imm(2);
        break;
      case 'Iz':
      case 'Iv':
        b.imm(opBytes);
        break;
      case 'Jb':
      case 'Jz': {
        const n = o === 'Jb' ? 1 : opBytes;
        const len = b.bytes.length + n;
        let target = landing(b, len, r);
        // LOOP onto itself with a small count: it runs out, then falls through.
        if (/^LOOP/.test(f.id) && r.chance(0.2)) {
          target = CODE_ADDR;
          b.regs[ECX] = (b.regs[ECX] & (b.ad16 ? 0xffff0000 : 0)) | r.below(40);
        }
        const d = target - (CODE_ADDR + len);
        for (let i = 0; i < n; i++) b.bytes.push((d >> (i * 8)) & 0xff);
        if (/^(LOOP|JECXZ)/.test(f.id) && target !== CODE_ADDR) b.regs[ECX] = r.pick([0, 1, 2, 0x10000, 0x10001, value(r)]);
        break;
      }
      case 'Ap': {
        const len = b.bytes.length + opBytes + 2;
        const off = landing(b, len, r);
        b.imm(opBytes, off);
        b.bytes.push(0x23, 0); // only Linux's user code selector: others read descriptors that differ
        break;
      }
      case 'Ob':
      case 'Ov': {
        const a = b.target(o === 'Ob' ? 1 : opBytes);
        b.imm(b.ad16 ? 2 : 4, a);
        b.memAddr = b.ad16 ? a & 0xffff : a;
        break;
      }
      default:
        break;
    }
  }

  const len = b.bytes.length;
  const sp = b.regs[ESP];
  const opW = opBytes;

  // Counts from CL, and the flags they leave undefined.
  if (f.category === 'shift') {
    if (f.operands.includes('CL')) {
      const limit = name === 'SHLD' || name === 'SHRD' ? (b.op16 ? 17 : 32) : 0;
      count = limit ? r.below(limit) : r.chance(0.6) ? r.pick(COUNTS) : r.below(256);
      b.regs[ECX] = ((b.regs[ECX] & ~0xff) | count) >>> 0;
    }
    if (f.operands.includes('1')) count = 1;
    ignore = name === 'SHLD' || name === 'SHRD' ? doubleShiftIgnore(count) : shiftIgnore(f, count, operandWidth() * 8);
  }

  // Steer what the instruction reads towards values it (and the native process) can survive.
  switch (f.id) {
    case 'RET':
    case 'RET Iw':
      b.preset(sp, b.op16 ? (r.next() & 0xffff0000) | landing(b, len, r) : landing(b, len, r));
      break;
    case 'RETF':
    case 'RETF Iw':
      if (b.op16) b.preset(sp, (0x23 << 16) | landing(b, len, r));
      else {
        b.preset(sp, landing(b, len, r));
        b.preset(sp + 4, 0x23);
      }
      break;
    case 'IRET': {
      // The popped EFLAGS must not set TF or AC (or NT, which a later IRET would follow):
      // 16-bit frames are preset whole; a 32-bit frame's EFLAGS word comes from a fill seed chosen for it.
      if (b.op16) {
        b.preset(sp, (0x23 << 16) | landing(b, len, r));
        b.preset(sp + 4, (r.next() & 0xffff0000) | (value(r) & 0xffff & ~(TF | NT)));
      } else {
        b.preset(sp, landing(b, len, r));
        b.preset(sp + 4, 0x23);
        for (;;) {
          const w = filledWord(b.seed, sp + 8);
          if (w === null || (w & (TF | AC | NT)) === 0) break;
          b.seed = r.next();
        }
      }
      break;
    }
    case 'POPF':
      b.preset(sp, value(r) & ~(TF | AC | NT));
      break;
    case 'PUSH ES':
    case 'PUSH CS':
    case 'PUSH SS':
    case 'PUSH DS':
    case 'PUSH FS':
    case 'PUSH GS':
      if (!b.op16) zeroSlotHighHalf(b, sp);
      break;
    case 'POP ES':
    case 'POP DS':
    case 'POP FS':
      b.preset(sp, (r.next() & 0xffff0000) | r.pick(DATA_SELECTORS));
      break;
    case 'POP SS':
      b.preset(sp, (r.next() & 0xffff0000) | r.pick(SS_SELECTORS));
      break;
    case 'LES Gv,Mp':
    case 'LDS Gv,Mp':
    case 'LSS Gv,Mp':
    case 'LFS Gv,Mp':
      if (b.memAddr >= 0) b.preset(b.memAddr + opW, (r.next() & 0xffff0000) | r.pick(name === 'LSS' ? SS_SELECTORS : DATA_SELECTORS));
      break;
    case 'CALL Mp':
    case 'JMP Mp':
      if (b.memAddr >= 0) {
        if (b.op16) b.preset(b.memAddr, (0x23 << 16) | landing(b, len, r));
        else {
          b.preset(b.memAddr, landing(b, len, r));
          b.preset(b.memAddr + 4, (r.next() & 0xffff0000) | 0x23);
        }
      }
      break;
    case 'CALL Ev':
    case 'JMP Ev': {
      // Never into the data or stack pages: natively they are not executable (NX), on an i686 they are.
      const modrm = b.bytes[b.modrmAt];
      const eip = landing(b, len, r);
      if (modrm >> 6 === 3) {
        if ((modrm & 7) === ESP) b.bytes[b.modrmAt] = modrm & ~7; // through EAX instead of ESP
        b.regs[b.bytes[b.modrmAt] & 7] = eip;
      } else if (b.memAddr >= 0) b.preset(b.memAddr, eip);
      break;
    }
    case 'LEAVE':
    case 'ENTER Iw,Ib':
      b.regs[EBP] = STACK_ADDR + 0x100 + r.below(STACK_SIZE - 0x200);
      break;
    case 'XLAT':
      b.regs[EBX] = DATA_ADDR + r.below(DATA_SIZE - 0x100);
      break;
    case 'BOUND Gv,Ma': {
      // Often inside the bounds, so both outcomes (#BR or nothing) are common.
      const lo = b.memAddr >= 0 ? b.memoryWord(b.memAddr) : null;
      const hi = b.memAddr >= 0 ? b.memoryWord(b.memAddr + opW) : null;
      const g = (b.bytes[b.modrmAt] >> 3) & 7;
      if (lo !== null && hi !== null && g !== ESP && r.chance(0.6)) {
        const s = (v: number) => (b.op16 ? (v << 16) >> 16 : v | 0);
        const [l, h] = [s(lo), s(hi)];
        if (l <= h) b.regs[g] = (l + Math.floor((h - l) * (r.below(1000) / 1000))) >>> 0;
      }
      break;
    }
    default:
      break;
  }

  if (f.category === 'string') {
    b.regs[ESI] = DATA_ADDR + r.below(DATA_SIZE / 2);
    b.regs[EDI] = DATA_ADDR + DATA_SIZE / 2 + r.below(DATA_SIZE / 2 - 0x100);
    if (r.chance(0.3)) [b.regs[ESI], b.regs[EDI]] = [b.regs[EDI], b.regs[ESI]];
    if (r.chance(0.2)) b.regs[EDI] = b.regs[ESI] + r.below(8); // overlapping moves
    b.regs[ECX] = r.pick([0, 0, 1, 2, 3, 5, 16, 33, r.below(300), 0x10000 + r.below(4)]);
  } else if (f.category === 'bit' && f.operands[1] === 'Gv' && memory) {
    // A register bit offset moves the address by offset/8 bytes: keep it near the data pages.
    const g = (b.bytes[b.modrmAt] >> 3) & 7;
    if (g !== ESP) b.regs[g] = (r.below(1024) - 512) >>> 0;
  } else if (f.category === 'muldiv' && (name === 'DIV' || name === 'IDIV')) {
    // Make a quotient that fits likely half the time: a small or sign-extended high half.
    if (r.chance(0.5)) {
      const a = b.regs[EAX];
      if (f.operands[0] === 'Eb') {
        const ah = name === 'IDIV' && a & 0x80 ? 0xff : 0;
        b.regs[EAX] = ((a & ~0xff00) | (ah << 8)) >>> 0;
      } else if (b.op16) {
        const dx = name === 'IDIV' && a & 0x8000 ? 0xffff : 0;
        b.regs[EDX] = ((b.regs[EDX] & 0xffff0000) | dx) >>> 0;
      } else {
        b.regs[EDX] = name === 'IDIV' && a & 0x80000000 ? 0xffffffff : 0;
      }
    }
  } else if ((name === 'CMPXCHG' || name === 'CMPXCHG8B') && r.chance(0.4)) {
    // Make the comparison succeed sometimes: load the accumulator with the destination's value.
    const modrm = b.bytes[b.modrmAt];
    if (name === 'CMPXCHG8B') {
      const lo = b.memAddr >= 0 ? b.memoryWord(b.memAddr) : null;
      const hi = b.memAddr >= 0 ? b.memoryWord(b.memAddr + 4) : null;
      if (lo !== null && hi !== null) [b.regs[EAX], b.regs[EDX]] = [lo, hi];
    } else if (modrm >> 6 === 3) {
      b.regs[EAX] = b.regs[modrm & 7];
    } else {
      const w = b.memAddr >= 0 ? b.memoryWord(b.memAddr) : null;
      if (w !== null) b.regs[EAX] = w;
    }
  } else if ((name === 'BSF' || name === 'BSR') && r.chance(0.1)) {
    // A zero source sets ZF and leaves the destination "undefined"; Intel and AMD both leave it unchanged.
    const modrm = b.bytes[b.modrmAt];
    if (modrm >> 6 === 3 && (modrm & 7) !== ESP) b.regs[modrm & 7] = 0;
  }

  if (lockIllegal) b.notes.push('LOCK where it is not allowed: #UD');
  return finish(b, f.id, ignore, r, undefined, !f.branch);
}

/**
 * A segment register pushed with a 32-bit operand size: "either a zero-extended
 * value is pushed on the stack or the segment selector is written on the stack
 * using a 16-bit move" (SDM vol. 2, PUSH). glassbox and AMD do the first; recent
 * Intel CPUs the second, leaving the slot's upper half as it was. With that
 * half zero beforehand (the bytes at ESP-2 and ESP-1, in the one or two aligned
 * words that hold them, their other bytes as filled), both store the same bytes.
 */
function zeroSlotHighHalf(b: Builder, sp: number): void {
  const words = new Map<number, number>();
  for (const a of [sp - 2, sp - 1]) {
    const w = a & ~3;
    const v = words.get(w) ?? b.memoryWord(w);
    if (v === null) return; // not in the stack page: the push faults on both sides
    words.set(w, (v & ~(0xff << ((a - w) * 8))) >>> 0);
  }
  for (const [w, v] of words) b.preset(w, v);
}

/** An encoding with no instruction: #UD on both sides. */
function generateProbe(p: (typeof UD_PROBES)[number], r: Rng): Generated {
  const b = new Builder(r);
  if (r.chance(0.2)) b.bytes.push(0x66);
  const opcode = [...p.opcode];
  if (p.last !== undefined) opcode[1] += r.below(p.last - p.opcode[1] + 1);
  b.bytes.push(...opcode);
  const reg = p.regs ? r.pick(p.regs) : r.below(8);
  b.modrm(reg, p.memoryOnly || r.chance(0.5), 4, false);
  for (let i = 0; i < 4; i++) b.bytes.push(r.below(256)); // an immediate it might have had
  // No length padding: the bytes after the opcode are not an instruction's, so "15 bytes" would mean nothing.
  return finish(b, p.id, 0, r, 'no instruction on this CPU: #UD', false);
}

/** Sometimes pads the instruction with redundant prefixes up to (or past) the 15-byte limit. */
function finish(b: Builder, form: string, ignoreFlags: number, r: Rng, note?: string, mayPad = true): Generated {
  if (note) b.notes.push(note);
  // Not on branches: their absolute targets were chosen past the unpadded instruction.
  if (mayPad && b.bytes.length < 15 && r.chance(0.015)) {
    const over = r.chance(0.5);
    const pad = 15 - b.bytes.length + (over ? 1 : 0);
    if (b.bytes.length + pad <= CODE_MAX) {
      b.bytes.unshift(...Array(pad).fill(0x3e)); // DS: overridden by any later segment prefix
      b.notes.push(over ? 'longer than 15 bytes: #GP(0)' : 'exactly 15 bytes with redundant prefixes');
      ignoreFlags = over ? 0 : ignoreFlags;
    }
  }
  const c: Case = { seed: b.seed, regs: b.regs.map((v) => v >>> 0), eflags: b.eflags, code: new Uint8Array(b.bytes), presets: b.presets };
  return { case: c, form, ignoreFlags, ...(b.notes.length ? { note: b.notes.join('; ') } : {}) };
}

/** Byte pairs the native harness refuses to run (INT 0x80, SYSENTER, SYSCALL), wherever they appear. */
function entersKernel(code: Uint8Array): boolean {
  for (let i = 0; i + 1 < code.length; i++) {
    if (code[i] === 0xcd && code[i + 1] === 0x80) return true;
    if (code[i] === 0x0f && (code[i + 1] === 0x34 || code[i + 1] === 0x05)) return true;
  }
  return false;
}

const PROBE_SHARE = 0.01;

/**
 * Generates `count` cases starting at index `first` (default 0); case i
 * depends only on (seed, i). `form` restricts them to one form id (or #UD probe id).
 */
export function generateCases(seed: number, count: number, opts: { form?: string; first?: number } = {}): Generated[] {
  let forms: readonly Form[] = GENERATED_FORMS;
  let probes = UD_PROBES;
  if (opts.form !== undefined) {
    forms = GENERATED_FORMS.filter((f) => f.id === opts.form);
    probes = UD_PROBES.filter((p) => p.id === opts.form);
    if (!forms.length && !probes.length) {
      const why = EXCLUDED.find((e) => e.forms.includes(opts.form!));
      throw new Error(
        why ? `form "${opts.form}" is not generated: ${why.why}` : formById(opts.form) ? `form "${opts.form}" is not generated` : `no instruction form is called "${opts.form}"`,
      );
    }
  }
  const out: Generated[] = [];
  const first = opts.first ?? 0;
  for (let i = first; i < first + count; i++) {
    const r = Rng.forCase(seed, i);
    const probe = probes.length > 0 && (forms.length === 0 || r.chance(PROBE_SHARE));
    const make = () => (probe ? generateProbe(r.pick(probes), r) : generateForm(forms[r.below(forms.length)], r));
    let g = make();
    while (entersKernel(g.case.code)) g = make();
    out.push(g);
  }
  return out;
}
