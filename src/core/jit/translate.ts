// x86 to WebAssembly: compiles a region of one physical page of guest code,
// entered at one offset, into the body of a wasm function.
//
// Instructions are split and classified by the one instruction table
// (src/isa decode). The region is the set of basic blocks reachable from the
// entry by direct jumps inside the page; a loop over a br_table dispatches
// between them, so guest loops stay in wasm. Guest registers live in wasm
// locals and are written back at every exit. Flags stay lazy as in the
// interpreter (asm/cpu/flags.ts): inside a block the producing instruction is
// known when compiling, so a Jcc after CMP becomes one wasm compare; the
// record is handed to the core's globals at block ends and exits.
//
// Exactness: every block checks `attention` and the run budget before it
// starts, so interrupts, host requests and the virtual clock see the same
// instruction boundaries as with the interpreter. A memory access goes
// through the core's own paths and a fault leaves the registers, flags and
// EIP of the faulting instruction. Instructions the translator does not emit
// are run by the interpreter from inside the region (jitStep); those that
// change the mode, privilege, control flow in ways not compiled here, or talk
// to devices end the region instead.

import { decode, type Decoded } from '../../isa/decode.ts';
import { Bytes, Op, VOID, I32_RESULT } from './wasm.ts';

// Imported globals and functions, in import order (their indices).
export const GLOBALS = ['attention', 'faulted', 'slice', 'runBudget', 'lfKind', 'lfSize', 'lfA', 'lfB', 'lfRes', 'lazyMask'] as const;
const G_ATTENTION = 0, G_FAULTED = 1, G_SLICE = 2, G_BUDGET = 3, G_KIND = 4, G_SIZE = 5, G_A = 6, G_B = 7, G_RES = 8, G_MASK = 9;
export const FUNCS = [
  { name: 'jitRead', params: 4, results: 1 },
  { name: 'jitWrite', params: 5, results: 0 },
  { name: 'jitRmwRead', params: 4, results: 1 },
  { name: 'jitRmwWrite', params: 3, results: 0 },
  { name: 'jitCondition', params: 1, results: 1 },
  { name: 'jitResolveFlags', params: 1, results: 0 },
  { name: 'jitStep', params: 1, results: 1 },
] as const;
const F_READ = 0, F_WRITE = 1, F_RMW_READ = 2, F_RMW_WRITE = 3, F_COND = 4, F_RESOLVE = 5, F_STEP = 6;

// The parameters: the linear address of the page, and the block to start at
// (then the block the dispatch loop goes to next).
const L_BASE = 0, L_NEXT = 1;
const L_REG = 2; // 8 guest registers, EAX..EDI
const L_FA = 10, L_FB = 11, L_FRES = 12, L_EXIT = 13, L_T0 = 14, L_T1 = 15, L_T2 = 16, L_T3 = 17;
// A memory access: its offset, TLB entry, host address (0: the slow path took it) and value to store.
const L_ADDR = 18, L_E = 19, L_H = 20, L_V = 21;
// ADC/SBB: the carry-in, as computed and as recorded with the flags.
const L_C = 22, L_FC = 23;
// Set when an access took the core's slow path (only that can reach a device or drop code).
const L_SLOW = 24;
// TLB hits taken inline: added to the core's counter once, when the region returns.
const L_HITS = 25;
/** i32 locals after the two parameters. */
export const LOCALS = 24;
// One i64 local after the i32 ones: IMUL's full product.
const L_W = 26;

// EFLAGS bits and the lazy-flag kinds of asm/cpu/flags.ts.
const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;
const K_ADD = 0, K_SUB = 2, K_LOGIC = 4;
const SS = 2, DS = 3;
const ESP = 4;

export interface CoreLayout {
  OFF_REGS: number;
  OFF_EFLAGS: number;
  TLB_BASE: number;
  OFF_CNT_TLB_HIT: number;
}

// TLB entry bits (asm/cpu/memory.ts).
const T_VALID = 1, T_USER = 2, T_WSUP = 4, T_WUSER = 8, T_MMIO = 32, T_CODE = 64;
const CS = 1, FS = 4, GS = 5;

/** The mode key makes ES SS DS flat with base 0, and CS for reads: those take the inline TLB path. */
function inlineSeg(seg: number, write: boolean): boolean {
  return seg !== FS && seg !== GS && !(write && seg === CS);
}

/** The flag producer known at compile time; null: the core's globals hold the record. */
interface FlagState {
  kind: number;
  size: number;
  mask: number;
  /** ADC/SBB: the recorded kind is kind + the carry-in in L_FC (K_ADC, K_SBB), as the interpreter records it. */
  carry?: boolean;
}

interface Insn {
  off: number;
  d: Decoded;
  how: 'native' | 'step' | 'stop';
}

// A region is what is reachable from its entry, nearest first, up to these
// bounds: compiling costs about as much as interpreting a few hundred times
// the code, so cold paths far from the entry are better left out.
const MAX_INSNS = 256;
const MAX_BLOCKS = 40;

function sizeMask(sz: number): number {
  return sz === 2 ? 0xffffffff : sz === 1 ? 0xffff : 0xff;
}

/** Whether the interpreter must run this instruction outside any region. */
function mustStop(d: Decoded): boolean {
  const f = d.form;
  if (!f || d.invalid || f.undefinedOpcode) return true;
  if (d.ad16) return true;
  if (f.privilege) return true;
  if (f.operands[0] === 'Sw' || /^(POP (ES|SS|DS|FS|GS)|L[DEFGS]S )/.test(f.id)) return true;
  return false;
}

/** The forms emitted as wasm; everything else that is not a stop runs through jitStep. */
function isNative(d: Decoded): boolean {
  const op = d.opcode;
  const m = d.modrm;
  const mem = m !== null && m.mod !== 3;
  if (op < 0x40) {
    return (op & 7) < 6;
  }
  if (op >= 0x40 && op <= 0x5f) return true; // INC DEC PUSH POP reg
  if (op === 0x68 || op === 0x6a) return true;
  if (op >= 0x70 && op <= 0x7f) return true;
  if (op >= 0x80 && op <= 0x83) return true;
  if (op >= 0x84 && op <= 0x8b) return true;
  if (op === 0x8d) return true;
  if (op >= 0x90 && op <= 0x99) return true;
  if (op >= 0xa0 && op <= 0xa3) return true;
  if (op === 0xa8 || op === 0xa9) return true;
  if (op >= 0xb0 && op <= 0xbf) return true;
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    // SHL SHR SAL SAR in every form; ROL ROR of a 32-bit register by a constant.
    const r = m!.reg;
    return r >= 4 || (r <= 1 && !mem && !d.op16 && (op & 1) === 1 && op !== 0xd3);
  }
  if (op === 0x69 || op === 0x6b || op === 0x1af) return true; // IMUL G,E(,imm)
  if (op === 0xc9) return !d.op16; // LEAVE
  if (op === 0xf5 || op === 0xf8 || op === 0xf9 || op === 0xfc || op === 0xfd) return true; // CMC CLC STC CLD STD
  if (op === 0xc2 || op === 0xc3) return !d.op16;
  if (op === 0xc6 || op === 0xc7) return m!.reg === 0;
  if (op === 0xe8 || op === 0xe9 || op === 0xeb) return !d.op16;
  if (op === 0xf6 || op === 0xf7) return m!.reg <= 3;
  if (op === 0xfe) return m!.reg <= 1;
  if (op === 0xff) return m!.reg <= 1 || m!.reg === 6 || ((m!.reg === 2 || m!.reg === 4) && !d.op16);
  if (op >= 0x140 && op <= 0x14f) return true; // CMOVcc
  if (op >= 0x180 && op <= 0x18f) return !d.op16; // Jcc rel32
  if (op >= 0xe0 && op <= 0xe3) return !d.op16; // LOOPNE LOOPE LOOP JECXZ (ECX: 16-bit addressing stops)
  if (op >= 0x190 && op <= 0x19f) return true; // SETcc
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return true;
  if (op === 0x11f) return true; // NOP Ev
  if (op === 0x1ba) return m!.reg >= 4; // BT BTS BTR BTC Ev,Ib
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb) return !mem; // the same by a register (memory ones address past E)
  return false;
}

function classify(d: Decoded): Insn['how'] {
  if (mustStop(d)) return 'stop';
  if (isNative(d)) return 'native';
  return d.form!.branch ? 'stop' : 'step';
}

/** Direct successors of a native control transfer (page offsets), and whether it falls through. */
function successors(ins: Insn): { targets: number[]; falls: boolean; ends: boolean } {
  const d = ins.d;
  const op = d.opcode;
  const next = ins.off + d.length;
  // Called for every instruction, twice: no closure here (tsx wraps each one it creates to name it).
  const short = op === 0xeb || (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3);
  const target = next + (short ? (d.imms[0] << 24) >> 24 : d.imms[0] | 0);
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || (op >= 0xe0 && op <= 0xe3)) return { targets: [target], falls: true, ends: true };
  if (op === 0xeb || op === 0xe9) return { targets: [target], falls: false, ends: true };
  // A call's return address is where its RET comes back: worth having in the region.
  if (op === 0xe8) return { targets: [target, next], falls: false, ends: true };
  if (op === 0xc2 || op === 0xc3) return { targets: [], falls: false, ends: true };
  if (op === 0xff && (d.modrm!.reg === 2 || d.modrm!.reg === 4)) return { targets: [], falls: false, ends: true };
  return { targets: [], falls: true, ends: false };
}

export interface Translation {
  body: Bytes;
  instructions: number;
  /** Page offsets of the blocks, by index: the function can be entered at any of them. */
  entries: number[];
}

/**
 * Translates the code of `page` (its 4096 bytes) entered at `entry`. Returns
 * null when the first instruction cannot be translated.
 */
export function translate(page: Uint8Array, entry: number, layout: CoreLayout, user: boolean): Translation | null {
  const insns = new Map<number, Insn>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  while (work.length > 0 && insns.size < MAX_INSNS) {
    let off = work.shift()!;
    while (off < 4096 && !insns.has(off) && insns.size < MAX_INSNS) {
      const d = decode(page, off, 32);
      const ins: Insn = { off, d, how: d.length > 0 ? classify(d) : 'stop' };
      insns.set(off, ins);
      if (ins.how === 'stop') {
        // The run loop interprets it and looks up the next instruction: a block there lets the region go on.
        const after = off + d.length;
        if (d.form && !d.invalid && !d.form.branch && !d.form.undefinedOpcode && after < 4096 && !leaders.has(after) && leaders.size < MAX_BLOCKS) {
          leaders.add(after);
          work.push(after);
        }
        break;
      }
      if (ins.how === 'native') {
        const s = successors(ins);
        for (const t of s.targets) {
          if (t >= 0 && t < 4096 && !leaders.has(t) && leaders.size < MAX_BLOCKS) {
            leaders.add(t);
            work.push(t);
          }
        }
        if (s.ends) {
          if (s.falls && off + d.length < 4096 && !leaders.has(off + d.length) && leaders.size < MAX_BLOCKS) {
            leaders.add(off + d.length);
            work.push(off + d.length);
          }
          break;
        }
      }
      off += d.length;
    }
  }
  const first = insns.get(entry);
  if (!first || first.how === 'stop') return null;
  const starts = [...leaders].filter((l) => insns.has(l)).sort((a, b) => a - b);
  const returns = [...insns.values()]
    .filter((i) => i.how === 'native' && i.d.opcode === 0xe8 && leaders.has(i.off + i.d.length) && insns.has(i.off + i.d.length))
    .map((i) => i.off + i.d.length)
    .slice(0, 8);
  return new Emitter(insns, starts, returns, layout, user).emit();
}

class Emitter {
  private readonly b = new Bytes();
  private nest = 0;
  private exitLevel = 0;
  private topLevel = 0;
  private readonly index = new Map<number, number>();
  private flags: FlagState | null = null;
  private total = 0;
  // Within the block being emitted: instructions before the current one, and how many of them the slice already has.
  private done = 0;
  private flushed = 0;

  constructor(
    private readonly insns: Map<number, Insn>,
    private readonly starts: number[],
    /** Blocks that follow a CALL in this region: where its RETs come back. */
    private readonly returns: number[],
    private readonly layout: CoreLayout,
    /** CPL 3: the TLB permissions a compiled access checks. */
    private readonly user: boolean,
  ) {
    starts.forEach((s, i) => this.index.set(s, i));
  }

  // ------------------------------------------------------------ wasm helpers

  private op(o: number): void {
    this.b.byte(o);
  }
  private i32(v: number): void {
    this.b.byte(Op.I32Const);
    this.b.s32(v | 0);
  }
  private get(l: number): void {
    this.b.byte(Op.LocalGet);
    this.b.u32(l);
  }
  private set(l: number): void {
    this.b.byte(Op.LocalSet);
    this.b.u32(l);
  }
  private gget(g: number): void {
    this.b.byte(Op.GlobalGet);
    this.b.u32(g);
  }
  private gset(g: number): void {
    this.b.byte(Op.GlobalSet);
    this.b.u32(g);
  }
  private call(f: number): void {
    this.b.byte(Op.Call);
    this.b.u32(f);
  }
  private open(kind: number): void {
    this.b.byte(kind);
    this.b.byte(VOID);
    this.nest++;
  }
  /** An if that leaves one i32. */
  private openTyped(kind: number): void {
    this.b.byte(kind);
    this.b.byte(I32_RESULT);
    this.nest++;
  }
  private close(): void {
    this.b.byte(Op.End);
    this.nest--;
  }
  private br(level: number): void {
    this.b.byte(Op.Br);
    this.b.u32(this.nest - 1 - level);
  }
  private load(offset: number): void {
    this.i32(0);
    this.b.byte(Op.I32Load);
    this.b.u32(2);
    this.b.u32(offset);
  }
  /** Pushes base + off: a guest EIP in this page (or past it). */
  private eip(off: number): void {
    this.get(L_BASE);
    this.i32(off);
    this.op(Op.I32Add);
  }

  // ------------------------------------------------------------ registers

  private readReg(sz: number, r: number): void {
    if (sz === 0 && r >= 4) {
      this.get(L_REG + r - 4);
      this.i32(8);
      this.op(Op.I32ShrU);
      this.i32(0xff);
      this.op(Op.I32And);
      return;
    }
    this.get(L_REG + r);
    if (sz < 2) {
      this.i32(sizeMask(sz));
      this.op(Op.I32And);
    }
  }

  /** Writes the value `push` leaves on the stack to register r at size sz. */
  private writeReg(sz: number, r: number, push: () => void): void {
    if (sz === 2) {
      push();
      this.set(L_REG + r);
      return;
    }
    const high = sz === 0 && r >= 4;
    const reg = L_REG + (high ? r - 4 : r);
    this.get(reg);
    this.i32(sz === 1 ? 0xffff0000 : high ? 0xffff00ff : 0xffffff00);
    this.op(Op.I32And);
    push();
    this.i32(sizeMask(sz));
    this.op(Op.I32And);
    if (high) {
      this.i32(8);
      this.op(Op.I32Shl);
    }
    this.op(Op.I32Or);
    this.set(reg);
  }

  private storeRegs(): void {
    for (let r = 0; r < 8; r++) {
      this.i32(0);
      this.get(L_REG + r);
      this.b.byte(Op.I32Store);
      this.b.u32(2);
      this.b.u32(this.layout.OFF_REGS + r * 4);
    }
  }
  private loadRegs(): void {
    for (let r = 0; r < 8; r++) {
      this.load(this.layout.OFF_REGS + r * 4);
      this.set(L_REG + r);
    }
  }

  // ------------------------------------------------------------ flags

  /** Hands the known producer to the core's lazy-flag globals. */
  private flushFlags(): void {
    const f = this.flags;
    if (!f) return;
    this.i32(f.kind);
    if (f.carry) {
      this.get(L_FC);
      this.op(Op.I32Add);
    }
    this.gset(G_KIND);
    this.i32(f.size);
    this.gset(G_SIZE);
    this.get(L_FA);
    this.gset(G_A);
    this.get(L_FB);
    this.gset(G_B);
    this.get(L_FRES);
    this.gset(G_RES);
    this.i32(f.mask);
    this.gset(G_MASK);
  }

  private eflagsBit(bit: number): void {
    this.load(this.layout.OFF_EFLAGS);
    this.i32(31 - Math.clz32(bit));
    this.op(Op.I32ShrU);
    this.i32(1);
    this.op(Op.I32And);
  }

  private signOf(): void {
    this.i32((8 << this.flags!.size) - 1);
    this.op(Op.I32ShrU);
    this.i32(1);
    this.op(Op.I32And);
  }

  /** Pushes flag `bit` (0/1) of the known producer. */
  private flag(bit: number): void {
    const f = this.flags!;
    if ((f.mask & bit) === 0) {
      this.eflagsBit(bit);
      return;
    }
    switch (bit) {
      case CF: {
        if (f.kind === K_LOGIC) {
          this.i32(0);
          return;
        }
        // ADD: res < a (ADC with a carry in: res <= a); SUB: a < b (SBB: a <= b).
        const [x, y] = f.kind === K_ADD ? [L_FRES, L_FA] : [L_FA, L_FB];
        if (f.carry) {
          this.get(x);
          this.get(y);
          this.op(Op.I32LeU);
        }
        this.get(x);
        this.get(y);
        this.op(Op.I32LtU);
        if (f.carry) {
          this.get(L_FC);
          this.op(Op.Select);
        }
        return;
      }
      case ZF:
        this.get(L_FRES);
        this.op(Op.I32Eqz);
        return;
      case SF:
        this.get(L_FRES);
        this.signOf();
        return;
      case PF:
        this.get(L_FRES);
        this.i32(0xff);
        this.op(Op.I32And);
        this.op(Op.I32Popcnt);
        this.i32(1);
        this.op(Op.I32And);
        this.op(Op.I32Eqz);
        return;
      case OF:
        if (f.kind === K_LOGIC) {
          this.i32(0);
          return;
        }
        if (f.kind === K_ADD) {
          this.get(L_FA);
          this.get(L_FRES);
          this.op(Op.I32Xor);
          this.get(L_FB);
          this.get(L_FRES);
          this.op(Op.I32Xor);
        } else {
          this.get(L_FA);
          this.get(L_FB);
          this.op(Op.I32Xor);
          this.get(L_FA);
          this.get(L_FRES);
          this.op(Op.I32Xor);
        }
        this.op(Op.I32And);
        this.signOf();
        return;
      default:
        throw new Error(`no flag ${bit}`);
    }
  }

  /** Pushes condition cc (0/1), as asm/cpu/flags.ts condition() computes it. */
  private condition(cc: number): void {
    const f = this.flags;
    if (!f) {
      this.i32(cc);
      this.call(F_COND);
      return;
    }
    const test = cc >> 1;
    if (f.kind === K_SUB && !f.carry && f.mask === ARITH && (test === 1 || test === 2 || test === 3 || test === 6 || test === 7)) {
      const sh = 32 - (8 << f.size);
      const operand = (l: number) => {
        this.get(l);
        if (sh) {
          this.i32(sh);
          this.op(Op.I32Shl);
        }
      };
      operand(L_FA);
      operand(L_FB);
      this.op(test === 1 ? Op.I32LtU : test === 2 ? Op.I32Eq : test === 3 ? Op.I32LeU : test === 6 ? Op.I32LtS : Op.I32LeS);
    } else {
      switch (test) {
        case 0: this.flag(OF); break;
        case 1: this.flag(CF); break;
        case 2: this.flag(ZF); break;
        case 3: this.flag(CF); this.flag(ZF); this.op(Op.I32Or); break;
        case 4: this.flag(SF); break;
        case 5: this.flag(PF); break;
        case 6: this.flag(SF); this.flag(OF); this.op(Op.I32Ne); break;
        default: this.flag(ZF); this.flag(SF); this.flag(OF); this.op(Op.I32Ne); this.op(Op.I32Or); break;
      }
    }
    if (cc & 1) this.op(Op.I32Eqz);
  }

  /** Records a producer: a, b, res are in T0, T1, T2 (masked to the size). */
  private produce(kind: number, size: number, mask: number, carry = false): void {
    this.get(L_T0);
    this.set(L_FA);
    this.get(L_T1);
    this.set(L_FB);
    this.get(L_T2);
    this.set(L_FRES);
    if (carry) {
      this.get(L_C);
      this.set(L_FC);
    }
    this.flags = { kind, size, mask, carry };
  }

  /**
   * Sets EFLAGS bits in `mask` directly to the 0/1 values `push` leaves for
   * each, shifted into place (setFlagBits): they leave the lazy record.
   */
  private setFlagBits(mask: number, push: () => void): void {
    this.i32(0);
    this.load(this.layout.OFF_EFLAGS);
    this.i32(~mask);
    this.op(Op.I32And);
    push();
    this.op(Op.I32Or);
    this.b.byte(Op.I32Store);
    this.b.u32(2);
    this.b.u32(this.layout.OFF_EFLAGS);
    const arith = mask & ARITH;
    if (!arith) return;
    if (this.flags) this.flags = { ...this.flags, mask: this.flags.mask & ~arith };
    else {
      this.gget(G_MASK);
      this.i32(~arith);
      this.op(Op.I32And);
      this.gset(G_MASK);
    }
  }

  /** After a shift or multiply: CF, OF, AF (0) direct from T0 (CF) and T1 (OF), PF ZF SF lazy from T2 (K_LOGIC). */
  private resultFlags(sz: number): void {
    this.setFlagBits(CF | OF | AF, () => {
      this.get(L_T0);
      this.get(L_T1);
      this.i32(11);
      this.op(Op.I32Shl);
      this.op(Op.I32Or);
    });
    this.i32(0);
    this.set(L_T0);
    this.i32(0);
    this.set(L_T1);
    this.produce(K_LOGIC, sz, PF | ZF | SF);
  }

  /** Before an INC/DEC: CF leaves the lazy record for the state block, as setLazy's resolve does. */
  private keepCarry(): void {
    const f = this.flags;
    if (!f) {
      this.i32(CF);
      this.call(F_RESOLVE);
      return;
    }
    if ((f.mask & CF) === 0) return;
    this.i32(0);
    this.load(this.layout.OFF_EFLAGS);
    this.i32(~CF);
    this.op(Op.I32And);
    this.flag(CF);
    this.op(Op.I32Or);
    this.b.byte(Op.I32Store);
    this.b.u32(2);
    this.b.u32(this.layout.OFF_EFLAGS);
  }

  // ------------------------------------------------------------ exits

  /** Leaves the region: flags to the core, `count` more instructions retired, EIP from `push`. */
  private exit(count: number, push: () => void): void {
    this.flushFlags();
    this.addSlice(count);
    push();
    this.set(L_EXIT);
    this.br(this.exitLevel);
  }

  private addSlice(count: number): void {
    if (count === 0) return;
    this.gget(G_SLICE);
    this.i32(count);
    this.op(Op.I32Add);
    this.gset(G_SLICE);
  }

  /** After a helper that may fault: leave with the state before instruction `ins` (which counts as retired, as in run()). */
  private faultCheck(ins: Insn): void {
    this.gget(G_FAULTED);
    this.open(Op.If);
    this.exit(this.done + 1 - this.flushed, () => this.eip(ins.off));
    this.close();
  }

  /**
   * After an instruction with memory operands: if one took the slow path (a
   * device, a write to code), stop before the next instruction when anything
   * needs the run loop.
   */
  private attentionCheck(ins: Insn): void {
    this.get(L_SLOW);
    this.open(Op.If);
    this.i32(0);
    this.set(L_SLOW);
    this.gget(G_ATTENTION);
    this.open(Op.If);
    this.exit(this.done + 1 - this.flushed, () => this.eip(ins.off + ins.d.length));
    this.close();
    this.close();
  }

  private markSlow(): void {
    this.i32(1);
    this.set(L_SLOW);
  }

  /** Continues at page offset `target`: another block of the region, or an exit. */
  private goto(target: number, count: number): void {
    this.flushFlags();
    this.addSlice(count);
    const i = this.index.get(target);
    if (i === undefined) {
      this.eip(target);
      this.set(L_EXIT);
      this.br(this.exitLevel);
    } else {
      this.i32(i);
      this.set(L_NEXT);
      this.br(this.topLevel);
    }
  }

  // ------------------------------------------------------------ memory

  private pending(): number {
    return this.done - this.flushed;
  }

  private segOf(d: Decoded, dflt: number): number {
    return d.seg >= 0 ? d.seg : dflt;
  }

  /** Pushes the effective address of the ModRM memory operand. */
  private address(d: Decoded): void {
    const m = d.modrm!;
    this.i32(m.disp);
    if (m.base >= 0) {
      this.get(L_REG + m.base);
      this.op(Op.I32Add);
    }
    if (m.index >= 0) {
      this.get(L_REG + m.index);
      if (m.scale) {
        this.i32(m.scale);
        this.op(Op.I32Shl);
      }
      this.op(Op.I32Add);
    }
  }

  /**
   * The TLB fast path the interpreter's readLin/writeLin/prepareWrite take,
   * inline: leaves 1 on the stack when the entry at L_ADDR allows the access
   * at this privilege and it stays in one page (then L_E holds the entry).
   * Segments other than FS and GS are flat with base 0 in every mode key.
   */
  private tlbHit(sz: number, write: boolean): void {
    this.get(L_ADDR);
    this.i32(12);
    this.op(Op.I32ShrU);
    this.i32(2);
    this.op(Op.I32Shl);
    this.b.byte(Op.I32Load);
    this.b.u32(2);
    this.b.u32(this.layout.TLB_BASE);
    this.b.byte(Op.LocalTee);
    this.b.u32(L_E);
    const mask = write ? (this.user ? T_WUSER : T_WSUP) | T_MMIO | T_CODE : (this.user ? T_VALID | T_USER : T_VALID) | T_MMIO;
    const need = write ? (this.user ? T_WUSER : T_WSUP) : this.user ? T_VALID | T_USER : T_VALID;
    this.i32(mask);
    this.op(Op.I32And);
    this.i32(need);
    this.op(Op.I32Eq);
    if (sz > 0) {
      this.get(L_ADDR);
      this.i32(0xfff);
      this.op(Op.I32And);
      this.i32(0x1000 - (1 << sz));
      this.op(Op.I32LeU);
      this.op(Op.I32And);
    }
  }

  /** Counts the hit (the interpreter's counter, at the return) and pushes the host address of L_ADDR through L_E. */
  private hostAddress(): void {
    this.get(L_HITS);
    this.i32(1);
    this.op(Op.I32Add);
    this.set(L_HITS);
    this.get(L_E);
    this.i32(~0xfff);
    this.op(Op.I32And);
    this.get(L_ADDR);
    this.i32(0xfff);
    this.op(Op.I32And);
    this.op(Op.I32Add);
  }

  private loadOp(sz: number): void {
    this.b.byte(sz === 2 ? Op.I32Load : sz === 1 ? Op.I32Load16U : Op.I32Load8U);
    this.b.u32(sz);
    this.b.u32(0);
  }
  private storeOp(sz: number): void {
    this.b.byte(sz === 2 ? Op.I32Store : sz === 1 ? Op.I32Store16 : Op.I32Store8);
    this.b.u32(sz);
    this.b.u32(0);
  }

  private readMem(ins: Insn, seg: number, addr: () => void, sz: number): void {
    addr();
    this.set(L_ADDR);
    const slow = () => {
      this.markSlow();
      this.i32(seg);
      this.get(L_ADDR);
      this.i32(sz);
      this.i32(this.pending());
      this.call(F_READ);
      this.set(L_T3);
      this.faultCheck(ins);
      this.get(L_T3);
    };
    if (!inlineSeg(seg, false)) {
      slow();
      return;
    }
    this.tlbHit(sz, false);
    this.openTyped(Op.If);
    this.hostAddress();
    this.loadOp(sz);
    this.op(Op.Else);
    slow();
    this.close();
  }

  private writeMem(ins: Insn, seg: number, addr: () => void, sz: number, value: () => void): void {
    addr();
    this.set(L_ADDR);
    value();
    this.set(L_V);
    const slow = () => {
      this.markSlow();
      this.i32(seg);
      this.get(L_ADDR);
      this.i32(sz);
      this.get(L_V);
      this.i32(this.pending());
      this.call(F_WRITE);
      this.faultCheck(ins);
    };
    if (!inlineSeg(seg, true)) {
      slow();
      return;
    }
    this.tlbHit(sz, true);
    this.open(Op.If);
    this.hostAddress();
    this.get(L_V);
    this.storeOp(sz);
    this.op(Op.Else);
    slow();
    this.close();
  }

  /** Pushes the E operand (register or memory). */
  private readE(ins: Insn, sz: number): void {
    const d = ins.d;
    const m = d.modrm!;
    if (m.mod === 3) this.readReg(sz, m.rm);
    else this.readMem(ins, this.segOf(d, m.defaultSeg), () => this.address(d), sz);
  }

  private writeE(ins: Insn, sz: number, value: () => void): void {
    const d = ins.d;
    const m = d.modrm!;
    if (m.mod === 3) this.writeReg(sz, m.rm, value);
    else this.writeMem(ins, this.segOf(d, m.defaultSeg), () => this.address(d), sz, value);
  }

  /** Read half of a read-modify-write of E into T0: the write is checked first; L_H keeps the host address for the write. */
  private rmwReadE(ins: Insn, sz: number): void {
    const d = ins.d;
    const m = d.modrm!;
    if (m.mod === 3) {
      this.readReg(sz, m.rm);
      this.set(L_T0);
      return;
    }
    const seg = this.segOf(d, m.defaultSeg);
    this.address(d);
    this.set(L_ADDR);
    const slow = () => {
      this.markSlow();
      this.i32(0);
      this.set(L_H);
      this.i32(seg);
      this.get(L_ADDR);
      this.i32(sz);
      this.i32(this.pending());
      this.call(F_RMW_READ);
      this.set(L_T3);
      this.faultCheck(ins);
      this.get(L_T3);
    };
    if (!inlineSeg(seg, true)) slow();
    else {
      this.tlbHit(sz, true);
      this.openTyped(Op.If);
      this.hostAddress();
      this.b.byte(Op.LocalTee);
      this.b.u32(L_H);
      this.loadOp(sz);
      this.op(Op.Else);
      slow();
      this.close();
    }
    this.set(L_T0);
  }

  private rmwWriteE(ins: Insn, sz: number, value: () => void): void {
    const m = ins.d.modrm!;
    if (m.mod === 3) {
      this.writeReg(sz, m.rm, value);
      return;
    }
    value();
    this.set(L_V);
    const seg = this.segOf(ins.d, m.defaultSeg);
    if (inlineSeg(seg, true)) {
      this.get(L_H);
      this.open(Op.If);
      this.get(L_H);
      this.get(L_V);
      this.storeOp(sz);
      this.op(Op.Else);
    }
    this.markSlow();
    this.i32(sz);
    this.get(L_V);
    this.i32(this.pending());
    this.call(F_RMW_WRITE);
    if (inlineSeg(seg, true)) this.close();
  }

  private push(ins: Insn, sz: number, value: () => void): void {
    const n = 1 << sz;
    this.writeMem(ins, SS, () => {
      this.get(L_REG + ESP);
      this.i32(n);
      this.op(Op.I32Sub);
    }, sz, value);
    this.get(L_REG + ESP);
    this.i32(n);
    this.op(Op.I32Sub);
    this.set(L_REG + ESP);
  }

  /** Pops into T3 (ESP moves only after the read succeeded). */
  private pop(ins: Insn, sz: number, release = 0): void {
    this.readMem(ins, SS, () => this.get(L_REG + ESP), sz);
    this.set(L_T3);
    this.get(L_REG + ESP);
    this.i32((1 << sz) + release);
    this.op(Op.I32Add);
    this.set(L_REG + ESP);
  }

  // ------------------------------------------------------------ the region

  emit(): Translation {
    this.loadRegs();
    this.exitLevel = this.nest;
    this.open(Op.Block);
    this.topLevel = this.nest;
    this.open(Op.Loop);
    const n = this.starts.length;
    for (let i = n - 1; i >= 0; i--) this.open(Op.Block);
    this.get(L_NEXT);
    this.b.byte(Op.BrTable);
    this.b.u32(n);
    for (let i = 0; i < n; i++) this.b.u32(i);
    this.b.u32(0);
    for (let i = 0; i < n; i++) {
      this.close();
      this.block(this.starts[i], i + 1 < n ? this.starts[i + 1] : -1);
    }
    this.close(); // loop
    this.close(); // exit block
    this.storeRegs();
    // Nothing reads the hit counter while run() executes: one addition covers the region's run.
    this.i32(0);
    this.i32(0);
    this.b.byte(Op.I64Load);
    this.b.u32(3);
    this.b.u32(this.layout.OFF_CNT_TLB_HIT);
    this.get(L_HITS);
    this.b.byte(Op.I64ExtendI32U);
    this.b.byte(Op.I64Add);
    this.b.byte(Op.I64Store);
    this.b.u32(3);
    this.b.u32(this.layout.OFF_CNT_TLB_HIT);
    this.get(L_EXIT);
    return { body: this.b, instructions: this.total, entries: this.starts };
  }

  /** The instructions of the block at `start`, up to a control transfer, a stop, or the next block. */
  private blockInsns(start: number): { list: Insn[]; end: number } {
    const list: Insn[] = [];
    let off = start;
    for (;;) {
      const ins = this.insns.get(off);
      if (!ins || ins.how === 'stop') return { list, end: off };
      list.push(ins);
      off += ins.d.length;
      if (ins.how === 'native' && successors(ins).ends) return { list, end: -1 };
      if (this.index.has(off) || off >= 4096) return { list, end: off };
    }
  }

  private block(start: number, layoutNext: number): void {
    const { list, end } = this.blockInsns(start);
    this.flags = null;
    this.done = 0;
    this.flushed = 0;
    this.total += list.length;
    if (list.length === 0) {
      // A jump target the interpreter must run: leave the region there.
      this.eip(start);
      this.set(L_EXIT);
      this.br(this.exitLevel);
      return;
    }
    // Room in the budget for the whole block, and nothing waiting: else the run loop takes over here.
    this.gget(G_ATTENTION);
    this.gget(G_SLICE);
    this.i32(list.length);
    this.op(Op.I32Add);
    this.gget(G_BUDGET);
    this.op(Op.I32GtU);
    this.op(Op.I32Or);
    this.open(Op.If);
    this.eip(start);
    this.set(L_EXIT);
    this.br(this.exitLevel);
    this.close();
    for (const ins of list) {
      const last = ins === list[list.length - 1] && end === -1;
      if (ins.how === 'step') this.step(ins);
      else if (last) this.transfer(ins);
      else this.native(ins);
      this.done++;
    }
    if (end !== -1) {
      // Falls into the next block (or out of the region).
      const count = this.done - this.flushed;
      if (end === layoutNext && this.index.has(end)) {
        this.flushFlags();
        this.addSlice(count);
      } else {
        this.goto(end, count);
      }
    }
  }

  /** One instruction run by the interpreter, with registers and flags in the state block around it. */
  private step(ins: Insn): void {
    this.flushFlags();
    this.flags = null;
    this.storeRegs();
    this.addSlice(this.done - this.flushed);
    this.flushed = this.done;
    this.eip(ins.off);
    this.call(F_STEP);
    this.set(L_T0);
    this.loadRegs();
    this.faultCheck(ins);
    // A control transfer, a repeated string instruction coming back, or something for the run loop.
    this.get(L_T0);
    this.eip(ins.off + ins.d.length);
    this.op(Op.I32Ne);
    this.gget(G_ATTENTION);
    this.op(Op.I32Or);
    this.open(Op.If);
    this.exit(this.done + 1 - this.flushed, () => this.get(L_T0));
    this.close();
  }

  /** ALU op `kind` (ADD OR - - AND SUB XOR CMP) on T0 (a) and the value `b` pushes; result in T2, operands masked. */
  private alu(kind: number, sz: number, b: () => void): void {
    const m = sizeMask(sz);
    if (sz < 2) {
      this.get(L_T0);
      this.i32(m);
      this.op(Op.I32And);
      this.set(L_T0);
    }
    b();
    if (sz < 2) {
      this.i32(m);
      this.op(Op.I32And);
    }
    this.set(L_T1);
    this.get(L_T0);
    this.get(L_T1);
    const o = kind === 0 || kind === 2 ? Op.I32Add : kind === 1 ? Op.I32Or : kind === 4 ? Op.I32And : kind === 6 ? Op.I32Xor : Op.I32Sub;
    this.op(o);
    if (kind === 2 || kind === 3) {
      this.get(L_C);
      this.op(kind === 2 ? Op.I32Add : Op.I32Sub);
    }
    if (sz < 2 && kind !== 1 && kind !== 4 && kind !== 6) {
      this.i32(m);
      this.op(Op.I32And);
    }
    this.set(L_T2);
  }

  private aluFlags(kind: number, sz: number): void {
    const k = kind === 0 || kind === 2 ? K_ADD : kind === 3 || kind === 5 || kind === 7 ? K_SUB : K_LOGIC;
    this.produce(k, sz, ARITH, kind === 2 || kind === 3);
  }

  /** The ALU rows, group 1, TEST: E op= G / G op= E / E op= imm / eAX op= imm. */
  private aluInsn(ins: Insn, kind: number, sz: number, form: 'EG' | 'GE' | 'EI' | 'AI' | 'TEST', imm?: number): void {
    const d = ins.d;
    const m = d.modrm;
    const immPush = () => this.i32(imm!);
    if (kind === 2 || kind === 3) {
      // ADC/SBB: the carry-in, from the flags before anything here can fault.
      this.condition(2);
      this.set(L_C);
    }
    if (form === 'AI') {
      this.readReg(sz, 0);
      this.set(L_T0);
      this.alu(kind, sz, immPush);
      if (kind !== 7) this.writeReg(sz, 0, () => this.get(L_T2));
      this.aluFlags(kind, sz);
      return;
    }
    if (form === 'GE') {
      this.readE(ins, sz);
      this.set(L_T1);
      this.readReg(sz, m!.reg);
      this.set(L_T0);
      this.alu(kind, sz, () => this.get(L_T1));
      if (kind !== 7) this.writeReg(sz, m!.reg, () => this.get(L_T2));
      this.aluFlags(kind, sz);
      return;
    }
    if (form === 'TEST') {
      this.readE(ins, sz);
      this.set(L_T0);
      this.alu(4, sz, imm === undefined ? () => this.readReg(sz, m!.reg) : immPush);
      this.aluFlags(4, sz);
      return;
    }
    const b = form === 'EI' ? immPush : () => this.readReg(sz, m!.reg);
    if (kind === 7) {
      this.readE(ins, sz);
      this.set(L_T0);
      this.alu(kind, sz, b);
    } else {
      this.rmwReadE(ins, sz);
      this.alu(kind, sz, b);
      this.rmwWriteE(ins, sz, () => this.get(L_T2));
    }
    this.aluFlags(kind, sz);
  }

  private incDec(ins: Insn, sz: number, dec: boolean, reg: number | null): void {
    if (reg === null) this.rmwReadE(ins, sz);
    else {
      this.readReg(sz, reg);
      this.set(L_T0);
    }
    this.keepCarry();
    this.i32(1);
    this.set(L_T1);
    this.get(L_T0);
    this.i32(1);
    this.op(dec ? Op.I32Sub : Op.I32Add);
    if (sz < 2) {
      this.i32(sizeMask(sz));
      this.op(Op.I32And);
    }
    this.set(L_T2);
    if (reg === null) this.rmwWriteE(ins, sz, () => this.get(L_T2));
    else this.writeReg(sz, reg, () => this.get(L_T2));
    this.produce(dec ? K_SUB : K_ADD, sz, ARITH & ~CF);
  }

  private native(ins: Insn): void {
    const d = ins.d;
    const op = d.opcode;
    const m = d.modrm;
    const v = d.op16 ? 1 : 2;
    let touched = m !== null && m.mod !== 3;
    if (op < 0x40) {
      const kind = (op >> 3) & 7;
      const form = op & 7;
      const sz = (form & 1) === 0 ? 0 : v;
      if (form >= 4) this.aluInsn(ins, kind, sz, 'AI', d.imms[0]);
      else this.aluInsn(ins, kind, sz, form >= 2 ? 'GE' : 'EG');
    } else if (op <= 0x4f) {
      this.incDec(ins, v, op >= 0x48, op & 7);
    } else if (op <= 0x57) {
      this.push(ins, v, () => this.readReg(v, op & 7));
      touched = true;
    } else if (op <= 0x5f) {
      this.pop(ins, v);
      this.writeReg(v, op & 7, () => this.get(L_T3));
      touched = true;
    } else if (op === 0x68 || op === 0x6a) {
      const imm = op === 0x6a ? (d.imms[0] << 24) >> 24 : d.imms[0];
      this.push(ins, v, () => this.i32(imm));
      touched = true;
    } else if (op >= 0x80 && op <= 0x83) {
      const sz = op === 0x81 || op === 0x83 ? v : 0;
      let imm = d.imms[0];
      if (op === 0x83) imm = (imm << 24) >> 24;
      this.aluInsn(ins, m!.reg, sz, 'EI', imm);
    } else if (op === 0x84 || op === 0x85) {
      this.aluInsn(ins, 4, op === 0x84 ? 0 : v, 'TEST');
    } else if (op === 0x86 || op === 0x87) {
      const sz = op === 0x86 ? 0 : v;
      this.rmwReadE(ins, sz);
      this.rmwWriteE(ins, sz, () => this.readReg(sz, m!.reg));
      this.writeReg(sz, m!.reg, () => this.get(L_T0));
    } else if (op === 0x88 || op === 0x89) {
      const sz = op === 0x88 ? 0 : v;
      this.writeE(ins, sz, () => this.readReg(sz, m!.reg));
    } else if (op === 0x8a || op === 0x8b) {
      const sz = op === 0x8a ? 0 : v;
      this.readE(ins, sz);
      this.set(L_T0);
      this.writeReg(sz, m!.reg, () => this.get(L_T0));
    } else if (op === 0x8d) {
      this.writeReg(v, m!.reg, () => this.address(d));
    } else if (op === 0x90) {
      // NOP, PAUSE
    } else if (op >= 0x91 && op <= 0x97) {
      this.readReg(v, 0);
      this.set(L_T0);
      this.writeReg(v, 0, () => this.readReg(v, op & 7));
      this.writeReg(v, op & 7, () => this.get(L_T0));
    } else if (op === 0x98) {
      if (v === 2) {
        this.get(L_REG);
        this.op(Op.I32Extend16S);
        this.set(L_REG);
      } else this.writeReg(1, 0, () => {
        this.get(L_REG);
        this.op(Op.I32Extend8S);
      });
    } else if (op === 0x99) {
      if (v === 2) {
        this.get(L_REG);
        this.i32(31);
        this.op(Op.I32ShrS);
        this.set(L_REG + 2);
      } else this.writeReg(1, 2, () => {
        this.get(L_REG);
        this.op(Op.I32Extend16S);
        this.i32(15);
        this.op(Op.I32ShrS);
      });
    } else if (op >= 0xa0 && op <= 0xa3) {
      const sz = (op & 1) === 0 ? 0 : v;
      const seg = this.segOf(d, DS);
      const addr = () => this.i32(d.imms[0]);
      if (op < 0xa2) {
        this.readMem(ins, seg, addr, sz);
        this.set(L_T0);
        this.writeReg(sz, 0, () => this.get(L_T0));
      } else {
        this.writeMem(ins, seg, addr, sz, () => this.readReg(sz, 0));
      }
      touched = true;
    } else if (op === 0xa8 || op === 0xa9) {
      const sz = op === 0xa8 ? 0 : v;
      this.readReg(sz, 0);
      this.set(L_T0);
      this.alu(4, sz, () => this.i32(d.imms[0]));
      this.aluFlags(4, sz);
    } else if (op >= 0xb0 && op <= 0xb7) {
      this.writeReg(0, op & 7, () => this.i32(d.imms[0]));
    } else if (op >= 0xb8 && op <= 0xbf) {
      this.writeReg(v, op & 7, () => this.i32(d.imms[0]));
    } else if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
      const count = op >= 0xd2 ? null : op >= 0xd0 ? 1 : d.imms[0];
      if (m!.reg <= 1) this.rotate(m!.reg === 1, m!.rm, count! & 31);
      else this.shiftE(ins, m!.reg, (op & 1) === 0 ? 0 : v, count);
    } else if (op === 0x69 || op === 0x6b || op === 0x1af) {
      const imm = op === 0x1af ? null : op === 0x6b ? (d.imms[0] << 24) >> 24 : d.imms[0];
      this.imul(ins, v, imm);
    } else if (op === 0xc9) {
      // LEAVE: ESP = EBP, then POP EBP.
      this.readMem(ins, SS, () => this.get(L_REG + 5), 2);
      this.set(L_T3);
      this.get(L_REG + 5);
      this.i32(4);
      this.op(Op.I32Add);
      this.set(L_REG + ESP);
      this.get(L_T3);
      this.set(L_REG + 5);
      touched = true;
    } else if (op === 0xf8 || op === 0xf9 || op === 0xf5) {
      this.setFlagBits(CF, () => {
        if (op === 0xf5) {
          this.condition(2);
          this.op(Op.I32Eqz);
        } else this.i32(op === 0xf9 ? 1 : 0);
      });
    } else if (op === 0xfc || op === 0xfd) {
      this.setFlagBits(0x400, () => this.i32(op === 0xfd ? 0x400 : 0));
    } else if (op === 0xc6 || op === 0xc7) {
      const sz = op === 0xc6 ? 0 : v;
      this.writeE(ins, sz, () => this.i32(d.imms[0]));
    } else if (op === 0xf6 || op === 0xf7) {
      const sz = op === 0xf6 ? 0 : v;
      if (m!.reg <= 1) this.aluInsn(ins, 4, sz, 'TEST', d.imms[0]);
      else {
        this.rmwReadE(ins, sz);
        if (m!.reg === 2) {
          this.rmwWriteE(ins, sz, () => {
            this.get(L_T0);
            this.i32(-1);
            this.op(Op.I32Xor);
          });
        } else {
          this.get(L_T0);
          this.i32(sizeMask(sz));
          this.op(Op.I32And);
          this.set(L_T1);
          this.i32(0);
          this.set(L_T0);
          this.i32(0);
          this.get(L_T1);
          this.op(Op.I32Sub);
          if (sz < 2) {
            this.i32(sizeMask(sz));
            this.op(Op.I32And);
          }
          this.set(L_T2);
          this.rmwWriteE(ins, sz, () => this.get(L_T2));
          this.produce(K_SUB, sz, ARITH);
        }
      }
    } else if (op === 0xfe || op === 0xff) {
      const sz = op === 0xfe ? 0 : v;
      if (m!.reg <= 1) this.incDec(ins, sz, m!.reg === 1, null);
      else {
        // PUSH Ev
        this.readE(ins, sz);
        this.set(L_T0);
        this.push(ins, sz, () => this.get(L_T0));
        touched = true;
      }
    } else if (op >= 0x140 && op <= 0x14f) {
      this.readE(ins, v);
      this.set(L_T0);
      this.condition(op & 15);
      this.open(Op.If);
      this.writeReg(v, m!.reg, () => this.get(L_T0));
      this.close();
    } else if (op >= 0x190 && op <= 0x19f) {
      this.condition(op & 15);
      this.set(L_T0);
      this.writeE(ins, 0, () => this.get(L_T0));
    } else if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) {
      const src = op & 1 ? 1 : 0;
      this.readE(ins, src);
      if (op >= 0x1be) this.op(src ? Op.I32Extend16S : Op.I32Extend8S);
      this.set(L_T0);
      this.writeReg(v, m!.reg, () => this.get(L_T0));
    } else if (op === 0x11f) {
      touched = false; // NOP Ev: no memory access
    } else if (op === 0x1ba || op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb) {
      this.bitTest(ins, op === 0x1ba ? m!.reg - 4 : (op >> 3) & 3, v);
    } else {
      throw new Error(`translator: no emitter for opcode ${op.toString(16)}`);
    }
    if (touched) this.attentionCheck(ins);
  }

  /**
   * BT BTS BTR BTC (`kind` 0-3) of E by an immediate or a register bit
   * offset, as asm/cpu/bits.ts bitOp: CF is the bit, the other flags stay.
   */
  private bitTest(ins: Insn, kind: number, sz: number): void {
    const d = ins.d;
    const bits = 8 << sz;
    if (d.opcode === 0x1ba) this.i32(d.imms[0] & (bits - 1));
    else {
      this.readReg(sz, d.modrm!.reg);
      this.i32(bits - 1);
      this.op(Op.I32And);
    }
    this.set(L_T1);
    if (kind === 0) {
      this.readE(ins, sz);
      this.set(L_T0);
    } else this.rmwReadE(ins, sz);
    this.setFlagBits(CF, () => {
      this.get(L_T0);
      this.get(L_T1);
      this.op(Op.I32ShrU);
      this.i32(1);
      this.op(Op.I32And);
    });
    if (kind === 0) return;
    this.rmwWriteE(ins, sz, () => {
      this.get(L_T0);
      this.i32(1);
      this.get(L_T1);
      this.op(Op.I32Shl);
      if (kind === 2) {
        this.i32(-1);
        this.op(Op.I32Xor);
        this.op(Op.I32And);
      } else this.op(kind === 1 ? Op.I32Or : Op.I32Xor);
    });
  }

  /**
   * SHL/SHR/SAR (`kind` 4-7) of E by a constant count or by CL (null), as
   * asm/cpu/shift.ts computes them: E is read and written back even when the
   * masked count is 0, which changes no flag. For a count past the operand's
   * width the wasm shifts by count - 1 give the interpreter's CF without a
   * special case, since the operand is masked to its size.
   */
  private shiftE(ins: Insn, kind: number, sz: number, count: number | null): void {
    const c = count === null ? -1 : count & 31;
    if (c === 0 && ins.d.modrm!.mod === 3) return;
    this.rmwReadE(ins, sz);
    this.get(L_T0);
    this.set(L_T2);
    if (c !== 0) {
      const bits = 8 << sz;
      const by = (less: number) => {
        if (c > 0) this.i32(c - less);
        else {
          this.get(L_C);
          if (less) {
            this.i32(less);
            this.op(Op.I32Sub);
          }
        }
      };
      const masked = () => {
        if (sz < 2) {
          this.i32(sizeMask(sz));
          this.op(Op.I32And);
        }
      };
      const signed = () => {
        this.get(L_T0);
        if (sz < 2) this.op(sz === 0 ? Op.I32Extend8S : Op.I32Extend16S);
      };
      if (c < 0) {
        // The flags stay as they are for a count of 0: the record goes to the core's globals around the shift.
        this.flushFlags();
        this.flags = null;
        this.readReg(0, 1);
        this.i32(31);
        this.op(Op.I32And);
        this.b.byte(Op.LocalTee);
        this.b.u32(L_C);
        this.open(Op.If);
      }
      // CF into T3, OF into T1, the result into T2.
      if (kind === 5) {
        this.get(L_T0);
        by(1);
        this.op(Op.I32ShrU);
        this.i32(1);
        this.op(Op.I32And);
        this.set(L_T3);
        this.get(L_T0);
        this.i32(bits - 1);
        this.op(Op.I32ShrU);
        this.set(L_T1);
        this.get(L_T0);
        by(0);
        this.op(Op.I32ShrU);
        this.set(L_T2);
      } else if (kind === 7) {
        signed();
        by(1);
        this.op(Op.I32ShrS);
        this.i32(1);
        this.op(Op.I32And);
        this.set(L_T3);
        signed();
        by(0);
        this.op(Op.I32ShrS);
        masked();
        this.set(L_T2);
        this.i32(0);
        this.set(L_T1);
      } else {
        this.get(L_T0);
        by(1);
        this.op(Op.I32Shl);
        this.i32(bits - 1);
        this.op(Op.I32ShrU);
        this.i32(1);
        this.op(Op.I32And);
        this.set(L_T3);
        this.get(L_T0);
        by(0);
        this.op(Op.I32Shl);
        masked();
        this.set(L_T2);
        this.get(L_T2);
        this.i32(bits - 1);
        this.op(Op.I32ShrU);
        this.get(L_T3);
        this.op(Op.I32Xor);
        this.set(L_T1);
      }
      this.get(L_T3);
      this.set(L_T0);
      this.resultFlags(sz);
      if (c < 0) {
        this.flushFlags();
        this.flags = null;
        this.close();
      }
    }
    this.rmwWriteE(ins, sz, () => this.get(L_T2));
  }

  /** ROL/ROR of a 32-bit register by a constant count: CF and OF direct, the lazy record untouched (rotateFlags). */
  private rotate(right: boolean, r: number, count: number): void {
    if (count === 0) return;
    const reg = L_REG + r;
    this.get(reg);
    this.i32(count);
    this.op(right ? Op.I32Rotr : Op.I32Rotl);
    this.set(reg);
    this.setFlagBits(CF | OF, () => {
      if (right) {
        // CF = MSB, OF = MSB ^ the bit below it.
        this.get(reg);
        this.i32(31);
        this.op(Op.I32ShrU);
        this.get(reg);
        this.get(reg);
        this.i32(1);
        this.op(Op.I32Shl);
        this.op(Op.I32Xor);
        this.i32(31);
        this.op(Op.I32ShrU);
      } else {
        // CF = LSB, OF = MSB ^ CF.
        this.get(reg);
        this.i32(1);
        this.op(Op.I32And);
        this.get(reg);
        this.i32(31);
        this.op(Op.I32ShrU);
        this.get(reg);
        this.i32(1);
        this.op(Op.I32And);
        this.op(Op.I32Xor);
      }
      this.i32(11);
      this.op(Op.I32Shl);
      this.op(Op.I32Or);
    });
  }

  /** IMUL G, E (and G, E, imm): the truncated signed product, CF = OF = it did not fit. */
  private imul(ins: Insn, sz: number, imm: number | null): void {
    const d = ins.d;
    this.readE(ins, sz);
    this.set(L_T0);
    const operand = (push: () => void) => {
      push();
      if (sz === 1) this.op(Op.I32Extend16S);
      this.b.byte(Op.I64ExtendI32S);
    };
    operand(() => this.get(L_T0));
    operand(imm === null ? () => this.readReg(sz, d.modrm!.reg) : () => this.i32(imm));
    this.b.byte(Op.I64Mul);
    this.b.byte(Op.LocalTee);
    this.b.u32(L_W);
    this.b.byte(Op.I32WrapI64);
    if (sz === 1) {
      this.i32(0xffff);
      this.op(Op.I32And);
    }
    this.set(L_T2);
    // Overflow: the product differs from its truncation sign-extended back.
    this.b.byte(Op.LocalGet);
    this.b.u32(L_W);
    this.get(L_T2);
    if (sz === 1) this.op(Op.I32Extend16S);
    this.b.byte(Op.I64ExtendI32S);
    this.b.byte(Op.I64Ne);
    this.set(L_T0);
    this.get(L_T0);
    this.set(L_T1);
    this.writeReg(sz, d.modrm!.reg, () => this.get(L_T2));
    this.resultFlags(sz);
  }

  /** The control transfer that ends a block. */
  private transfer(ins: Insn): void {
    const d = ins.d;
    const op = d.opcode;
    const next = ins.off + d.length;
    const count = () => this.done + 1 - this.flushed;
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
      const target = successors(ins).targets[0];
      this.condition(op & 15);
      this.set(L_T0);
      this.get(L_T0);
      this.open(Op.If);
      this.goto(target, count());
      this.close();
      this.goto(next, count());
      return;
    }
    if (op >= 0xe0 && op <= 0xe3) {
      // LOOP counts ECX down first (no flags); LOOPE/LOOPNE also need ZF; JECXZ only tests ECX.
      const ecx = L_REG + 1;
      if (op !== 0xe3) {
        this.get(ecx);
        this.i32(1);
        this.op(Op.I32Sub);
        this.set(ecx);
      }
      this.get(ecx);
      if (op === 0xe3) this.op(Op.I32Eqz);
      if (op <= 0xe1) {
        this.i32(0);
        this.op(Op.I32Ne);
        this.condition(op === 0xe1 ? 4 : 5);
        this.op(Op.I32And);
      }
      this.open(Op.If);
      this.goto(successors(ins).targets[0], count());
      this.close();
      this.goto(next, count());
      return;
    }
    if (op === 0xeb || op === 0xe9) {
      this.goto(successors(ins).targets[0], count());
      return;
    }
    if (op === 0xe8) {
      this.push(ins, 2, () => this.eip(next));
      this.goto(successors(ins).targets[0], count());
      return;
    }
    if (op === 0xc2 || op === 0xc3) {
      this.pop(ins, 2, op === 0xc2 ? d.imms[0] : 0);
      // Back to a call made in this region: stay in it (the same block the run loop would find).
      for (const back of this.returns) {
        this.get(L_T3);
        this.eip(back);
        this.op(Op.I32Eq);
        this.open(Op.If);
        this.goto(back, count());
        this.close();
      }
      this.exit(count(), () => this.get(L_T3));
      return;
    }
    // FF /2 CALL Ev, FF /4 JMP Ev
    this.readE(ins, 2);
    this.set(L_T0);
    if (d.modrm!.reg === 2) this.push(ins, 2, () => this.eip(next));
    this.exit(count(), () => this.get(L_T0));
  }
}
