// Random differential cases for every integer form of src/isa/forms.ts.
//
// Case i of a run depends only on (seed, i). Operands are random with a bias
// to edge values; memory operands are steered into the data pages (and
// sometimes just past them, to fault); control transfers are steered onto
// the INT3 sled of the code page; values the native process cannot survive
// (system calls, TF, AC, GS loads) are never generated.

import { FORMS, type Form, CF, AF, OF } from '../../src/isa/forms.ts';
import { type Case, DATA_ADDR, DATA_SIZE, STACK_ADDR, STACK_SIZE, CODE_ADDR } from './case.ts';

export interface Generated {
  case: Case;
  form: string;
  ignoreFlags: number; // EFLAGS bits the SDM leaves undefined for this instance
}

class Rng {
  private s: number;
  constructor(seed: number, index: number) {
    this.s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0 || 1;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function value(r: Rng): number {
  const k = r.below(8);
  if (k < 3) return r.pick(EDGES);
  if (k < 4) return r.below(64);
  return r.next();
}

const SELECTORS = [0x2b, 0x2b, 0x23, 0, 3];
const SEG_OVERRIDES = [0x26, 0x2e, 0x36, 0x3e, 0x64];
const ESP_REG = 4;

class Builder {
  bytes: number[] = [];
  regs: number[];
  presets: { addr: number; value: number }[] = [];
  op16 = false;
  ad16 = false;
  eflags: number;
  memAddr = -1; // linear address of the memory operand, when there is one

  constructor(private r: Rng) {
    this.regs = Array.from({ length: 8 }, () => value(r));
    this.regs[ESP_REG] = STACK_ADDR + 0x200 + r.below(STACK_SIZE - 0x400) * (r.chance(0.8) ? 1 : 0);
    if (r.chance(0.8)) this.regs[ESP_REG] &= ~3;
    // Arithmetic flags at random, DF sometimes; IF is always set at CPL 3 under Linux.
    this.eflags = (r.next() & 0x8d5) | 0x202 | (r.chance(0.15) ? 0x400 : 0);
  }

  /** An address in the data pages (or, sometimes, just outside them). */
  target(size: number): number {
    const r = this.r;
    if (r.chance(0.03)) return r.pick([DATA_ADDR - 2, DATA_ADDR + DATA_SIZE - 2, 0x1000 + r.below(0x1000)]);
    if (r.chance(0.05)) return DATA_ADDR + 0x1000 - 1 - r.below(size); // straddles the two data pages
    return DATA_ADDR + r.below(DATA_SIZE - 8);
  }

  preset(addr: number, v: number): void {
    if (addr >= DATA_ADDR && addr + 4 <= DATA_ADDR + DATA_SIZE) this.presets.push({ addr, value: v >>> 0 });
    else if (addr >= STACK_ADDR && addr + 4 <= STACK_ADDR + STACK_SIZE) this.presets.push({ addr, value: v >>> 0 });
  }

  /** ModRM (+SIB, displacement) for register `reg` and either a register or a memory operand. */
  modrm(reg: number, memory: boolean, size: number): number {
    const r = this.r;
    if (!memory) {
      const rm = r.below(8);
      this.bytes.push(0xc0 | (reg << 3) | rm);
      return -1;
    }
    const want = this.target(size);
    if (this.ad16) {
      const mod = r.below(3);
      const rm = r.below(8);
      this.bytes.push((mod << 6) | (reg << 3) | rm);
      let disp = 0;
      if (mod === 0 && rm === 6) {
        disp = want & 0xffff;
        this.bytes.push(disp & 0xff, disp >> 8);
        return (this.memAddr = disp);
      }
      if (mod === 1) {
        disp = (r.below(256) << 24) >> 24;
        this.bytes.push(disp & 0xff);
      } else if (mod === 2) {
        disp = r.below(0x10000);
        this.bytes.push(disp & 0xff, disp >> 8);
      }
      // BX+SI BX+DI BP+SI BP+DI SI DI BP BX: fix the first register so the sum hits the target.
      const pairs = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]][rm];
      const other = pairs.length === 2 ? this.regs[pairs[1]] & 0xffff : 0;
      const base = pairs[0];
      this.regs[base] = ((this.regs[base] & 0xffff0000) | ((want - other - disp) & 0xffff)) >>> 0;
      const ea = ((this.regs[base] & 0xffff) + other + disp) & 0xffff;
      return (this.memAddr = ea);
    }
    const mod = r.below(3);
    let rm = r.below(8);
    if (mod === 0 && rm === 5 && r.chance(0.5)) rm = 0;
    this.bytes.push((mod << 6) | (reg << 3) | rm);
    let base = rm;
    let index = -1;
    let scale = 0;
    if (rm === 4) {
      scale = r.below(4);
      index = r.below(8);
      base = r.below(8);
      this.bytes.push((scale << 6) | (index << 3) | base);
      if (index === 4) index = -1;
      if (base === 5 && mod === 0) base = -1;
    } else if (rm === 5 && mod === 0) {
      base = -1;
    }
    let disp = 0;
    if (base === -1 && mod === 0) {
      disp = index === -1 ? want : r.below(0x100);
      this.bytes.push(disp & 0xff, (disp >> 8) & 0xff, (disp >> 16) & 0xff, disp >>> 24);
    } else if (mod === 1) {
      disp = (r.below(256) << 24) >> 24;
      this.bytes.push(disp & 0xff);
    } else if (mod === 2) {
      disp = r.chance(0.5) ? r.below(0x100) - 0x80 : r.next() | 0;
      this.bytes.push(disp & 0xff, (disp >> 8) & 0xff, (disp >> 16) & 0xff, (disp >>> 24) & 0xff);
    }
    // Make the address land: adjust the base (or the index) register, never ESP when the stack matters.
    if (index >= 0 && index !== ESP_REG && (base === -1 || base === index || r.chance(0.3))) {
      this.regs[index] = r.below(16);
    }
    const idx = index >= 0 ? this.regs[index] << scale : 0;
    if (base >= 0) {
      if (base === index) {
        const v = Math.floor((want - disp) / (1 + (1 << scale)));
        this.regs[base] = v >>> 0;
      } else {
        this.regs[base] = (want - disp - idx) >>> 0;
      }
    } else if (index >= 0 && mod === 0) {
      this.regs[index] = Math.floor((want - disp) / (1 << scale)) >>> 0;
    }
    const bv = base >= 0 ? this.regs[base] : 0;
    const iv = index >= 0 ? this.regs[index] << scale : 0;
    return (this.memAddr = (bv + iv + disp) >>> 0);
  }

  imm(size: number): number {
    const v = value(this.r);
    for (let i = 0; i < size; i++) this.bytes.push((v >>> (i * 8)) & 0xff);
    return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }
}

/** The count a shift instance shifts by, and the flags the SDM leaves undefined for it. */
function shiftUndefined(form: Form, count: number, bits: number): number {
  const c = count & 31;
  if (c === 0) return 0;
  const name = form.id.split(' ')[0];
  if (name === 'SHLD' || name === 'SHRD') return AF | (c > 1 ? OF : 0);
  if (['ROL', 'ROR', 'RCL', 'RCR'].includes(name)) return c !== 1 ? OF : 0;
  let u = AF | (c > 1 ? OF : 0);
  if ((name === 'SHL' || name === 'SAL' || name === 'SHR') && c >= bits) u |= CF;
  return u;
}

function landing(codeLen: number, r: Rng): number {
  return CODE_ADDR + codeLen + r.below(12);
}

/**
 * A control-transfer target that is mapped on neither side (below 64 KiB, so
 * 16-bit transfers reach it too): the fetch faults. Random targets would run
 * random data, or land in the native harness's own pages.
 */
function strayTarget(r: Rng): number {
  return 0x9000 + r.below(0x6000);
}

function generateOne(form: Form, r: Rng): Generated {
  const b = new Builder(r);
  const prefixes: number[] = [];
  const hasModrm = !['none', 'reg', 'reg,I', 'acc,I', 'acc,reg', 'rel8', 'rel', 'I8', 'I16', 'I16,I8', 'moffs', 'far'].includes(form.operands);
  const memOnly = form.operands === 'M' || form.operands === 'G,M';
  const regOnly = form.operands === 'C,R' || form.operands === 'R,C';
  const memory = !regOnly && hasModrm && (memOnly || r.chance(0.55));
  if ((form.size === 'v' || form.size === 'w') && r.chance(0.25)) {
    b.op16 = true;
    prefixes.push(0x66);
  }
  if ((memory || form.string || form.operands === 'moffs') && r.chance(0.15)) {
    b.ad16 = true;
    prefixes.push(0x67);
  }
  if ((memory || form.string || form.operands === 'moffs') && r.chance(0.2)) prefixes.push(r.pick(SEG_OVERRIDES));
  if (form.lockable && memory && r.chance(0.3)) prefixes.push(0xf0);
  // LOCK where it is illegal: #UD. Not on MOV CRn: AMD reads LOCK MOV CR0 as MOV CR8.
  else if (form.operands !== 'C,R' && form.operands !== 'R,C' && r.chance(0.01)) prefixes.push(0xf0);
  if (form.string && r.chance(0.6)) prefixes.push(r.chance(0.5) ? 0xf3 : 0xf2);
  for (let i = prefixes.length - 1; i > 0; i--) {
    const j = r.below(i + 1);
    [prefixes[i], prefixes[j]] = [prefixes[j], prefixes[i]];
  }
  b.bytes.push(...prefixes);
  const opBits = form.size === 'b' ? 8 : form.size === 'd' ? 32 : form.size === 'w' ? 16 : b.op16 ? 16 : 32;
  const opBytes = opBits / 8;
  let ignore = form.undefinedFlags ?? 0;
  const name = form.id.split(' ')[0];
  const opcode = [...form.opcode];
  if (form.operands === 'reg' || form.operands === 'reg,I' || form.operands === 'acc,reg') {
    opcode[opcode.length - 1] += r.below(8);
  }
  b.bytes.push(...opcode);

  const reg = form.reg ?? r.below(8);
  switch (form.operands) {
    case 'none':
      break;
    case 'reg':
      break;
    case 'reg,I':
      b.imm(opBytes);
      break;
    case 'acc,I':
      b.imm(opBytes);
      break;
    case 'E,G': case 'G,E': case 'E': case 'G,E8': case 'G,E16': case 'G,M': case 'M': {
      const size = form.operands === 'G,E8' ? 1 : form.operands === 'G,E16' ? 2 : form.id.includes('8B') ? 8 : opBytes * 2;
      b.modrm(reg, memory, size);
      break;
    }
    case 'E,I': b.modrm(reg, memory, opBytes); b.imm(opBits === 8 ? 1 : Math.min(opBytes, 4)); break;
    case 'E,I8': case 'G,E,I8': {
      b.modrm(reg, memory, opBytes);
      const count = b.imm(1);
      if (form.category === 'shift') ignore = shiftUndefined(form, count, opBits);
      break;
    }
    case 'G,E,I': b.modrm(reg, memory, opBytes); b.imm(opBytes); break;
    case 'E,1': b.modrm(reg, memory, opBytes); ignore = shiftUndefined(form, 1, opBits); break;
    case 'E,CL': {
      b.modrm(reg, memory, opBytes);
      if (r.chance(0.5)) b.regs[1] = (b.regs[1] & ~0xff) | r.pick([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33]);
      ignore = shiftUndefined(form, b.regs[1] & 0xff, opBits);
      break;
    }
    case 'E,G,I8': case 'E,G,CL': {
      b.modrm(reg, memory, opBytes);
      let count: number;
      if (form.operands === 'E,G,I8') {
        count = r.below(opBits === 16 ? 17 : 32);
        b.bytes.push(count);
      } else {
        count = r.below(opBits === 16 ? 17 : 32);
        b.regs[1] = (b.regs[1] & ~0xff) | count; // 16-bit counts above 16 are undefined: not generated
      }
      ignore = shiftUndefined(form, count, opBits);
      break;
    }
    case 'E,Sw': b.modrm(r.below(8), memory, 2); break;
    case 'Sw,E': {
      // ES SS DS FS, and sometimes CS or a register that does not exist (#UD); never GS (glibc's TLS).
      const seg = r.pick([0, 2, 3, 4, 0, 3, 1, 6]);
      const ea = b.modrm(seg, memory, 2);
      const sel = seg === 2 ? r.pick([0x2b, 0x2b, 0x23, 0]) : r.pick(SELECTORS);
      const rm = b.bytes[b.bytes.length - 1] & 7;
      if (!memory) b.regs[rm] = ((b.regs[rm] & 0xffff0000) | sel) >>> 0;
      else b.preset(ea & ~3, sel * (ea & 2 ? 0x10000 : 1) + (ea & 2 ? 0 : (r.next() & 0xffff0000)));
      break;
    }
    case 'C,R': case 'R,C': b.modrm(r.below(8), false, 4); break;
    case 'moffs': {
      const a = b.target(opBytes);
      if (b.ad16) b.bytes.push(a & 0xff, (a >> 8) & 0xff);
      else b.bytes.push(a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, a >>> 24);
      break;
    }
    case 'rel8': {
      const d = r.below(48) - 16;
      b.bytes.push(d & 0xff);
      if (name.startsWith('LOOP') || name === 'JCXZ') b.regs[1] = r.pick([0, 1, 2, 0x10000, value(r)]);
      break;
    }
    case 'rel': {
      const d = r.below(48) - 16;
      for (let i = 0; i < (b.op16 ? 2 : 4); i++) b.bytes.push((d >> (i * 8)) & 0xff);
      break;
    }
    case 'far': {
      const len = b.bytes.length + (b.op16 ? 2 : 4) + 2;
      const off = r.chance(0.9) ? landing(len, r) : strayTarget(r);
      for (let i = 0; i < (b.op16 ? 2 : 4); i++) b.bytes.push((off >> (i * 8)) & 0xff);
      const sel = r.chance(0.9) ? 0x23 : r.pick([0x2b, 0, 0x20]);
      b.bytes.push(sel & 0xff, sel >> 8);
      break;
    }
    case 'I8': {
      let v = b.imm(1);
      if (name === 'INT' && v === 0x80) {
        b.bytes[b.bytes.length - 1] = 0x81;
        v = 0x81;
      }
      break;
    }
    case 'I16':
      // RETF's release stays small: with a bad selector, the order in which vendors
      // check the selector and read the outer stack pointer beyond the release differs.
      if (name === 'RETF') b.bytes.push(r.below(0x40) & ~1, 0);
      else b.imm(name === 'PUSH' && !b.op16 ? 4 : 2);
      break;
    case 'I16,I8': b.bytes.push(r.below(64), 0, r.pick([0, 0, 1, 2, 3, 33])); break;
    default: throw new Error(`generator cannot fill operands ${form.operands}`);
  }

  // Steer what the instruction reads from the stack or memory towards things it can survive.
  const len = b.bytes.length;
  const sp = b.regs[ESP_REG];
  const opW = b.op16 ? 2 : 4;
  if (name === 'RET' || (name === 'RETF')) {
    const eip = r.chance(0.85) ? landing(len, r) : strayTarget(r);
    b.preset(sp, b.op16 ? (0x23 << 16) | eip : eip);
    if (name === 'RETF' && !b.op16 && r.chance(0.9)) b.preset(sp + 4, r.chance(0.9) ? 0x23 : value(r));
  } else if (name === 'POPF') {
    b.preset(sp, value(r) & ~0x40100);
  } else if (['POP'].includes(name) && ['ES', 'SS', 'DS', 'FS'].includes(form.id.split(' ')[1])) {
    b.preset(sp, form.id.endsWith('SS') ? r.pick([0x2b, 0x2b, 0x23, 0]) : r.pick(SELECTORS));
  } else if (['LES', 'LDS', 'LSS', 'LFS'].includes(name) && b.memAddr >= 0) {
    b.preset(b.memAddr + opW, name === 'LSS' ? r.pick([0x2b, 0x2b, 0x23]) : r.pick(SELECTORS));
  } else if ((form.id === 'CALL Mp' || form.id === 'JMP Mp') && b.memAddr >= 0) {
    if (b.op16) b.preset(b.memAddr, (0x23 << 16) | landing(len, r));
    else {
      b.preset(b.memAddr, landing(len, r));
      b.preset(b.memAddr + 4, r.chance(0.9) ? 0x23 : 0x2b);
    }
  } else if (form.id === 'CALL Ev' || form.id === 'JMP Ev') {
    const modrm = b.bytes[prefixes.length + opcode.length];
    const eip = r.chance(0.85) ? landing(len, r) : strayTarget(r);
    if (modrm >> 6 === 3) b.regs[modrm & 7] = modrm & 7 ? eip : b.regs[4];
    else if (b.memAddr >= 0) b.preset(b.memAddr & ~3, b.memAddr & 3 ? r.next() : eip);
  } else if (name === 'LEAVE' || name === 'ENTER') {
    b.regs[5] = STACK_ADDR + 0x100 + r.below(STACK_SIZE - 0x200);
  } else if (name === 'XLAT') {
    b.regs[3] = DATA_ADDR + r.below(DATA_SIZE - 0x100);
  } else if (form.string) {
    b.regs[6] = DATA_ADDR + r.below(DATA_SIZE / 2);
    b.regs[7] = DATA_ADDR + DATA_SIZE / 2 + r.below(DATA_SIZE / 2 - 0x100);
    if (r.chance(0.3)) [b.regs[6], b.regs[7]] = [b.regs[7], b.regs[6]];
    b.regs[1] = r.pick([0, 1, 2, 3, 5, 16, 33, r.below(300)]);
  } else if (form.category === 'bit' && form.operands === 'E,G' && memory) {
    // A register bit offset moves the address by offset/8 bytes: keep it near the data pages.
    const g = (b.bytes[prefixes.length + opcode.length] >> 3) & 7;
    if (g !== ESP_REG) b.regs[g] = (r.below(1024) - 512) >>> 0;
  } else if (name === 'DIV' || name === 'IDIV') {
    if (r.chance(0.5)) b.regs[2] = r.pick([0, 1, 0xffffffff]);
  }
  return { case: { seed: r.next(), regs: b.regs, eflags: b.eflags, code: new Uint8Array(b.bytes), presets: b.presets }, form: form.id, ignoreFlags: ignore };
}

/** Byte pairs the native harness refuses to run (INT 0x80, SYSENTER, SYSCALL), wherever they appear. */
function enteringKernel(code: Uint8Array): boolean {
  for (let i = 0; i + 1 < code.length; i++) {
    if (code[i] === 0xcd && code[i + 1] === 0x80) return true;
    if (code[i] === 0x0f && (code[i + 1] === 0x34 || code[i + 1] === 0x05)) return true;
  }
  return false;
}

/** Generates `count` cases; case i depends only on (seed, i). `form` restricts to one form id. */
export function generateCases(seed: number, count: number, opts: { form?: string; first?: number } = {}): Generated[] {
  const forms = opts.form ? FORMS.filter((f) => f.id === opts.form) : FORMS;
  if (forms.length === 0) throw new Error(`no instruction form is called "${opts.form}"`);
  const out: Generated[] = [];
  const first = opts.first ?? 0;
  for (let i = first; i < first + count; i++) {
    const r = new Rng(seed, i);
    const form = forms[r.below(forms.length)];
    let g = generateOne(form, r);
    while (enteringKernel(g.case.code)) g = generateOne(form, r);
    out.push(g);
  }
  return out;
}
