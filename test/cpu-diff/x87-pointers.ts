// The x87 pointer fields of the images a case's program stores (FNSAVE,
// FNSTENV, FXSAVE), and which of them a host with x87 quirks
// (host-quirks.ts) stores differently from glassbox, which stores FCS, FDS,
// FOP and FDP for every non-control x87 instruction as a P6 or an AMD CPU
// does. On such a host both sides clear those fields before the page hash (or
// the field-by-field comparison of fxsave.test.ts) sees them, so what is left
// is compared bit for bit; the rest of the image (FIP, the control, status
// and tag words, the registers) is always compared, and so are FOP and FDP
// whenever an unmasked exception is pending (FSW.ES set), where every x87
// implementation stores them.
//
// The host is told which fields to clear in byte 43 of the case record
// (case.ts Case.x87Hide), per FCS field the case names (Case.fcsFields):
//   bit 3i      FCS and FDS (CPUID.7:EBX[13])
//   bits 3i+1.. 0: FOP and FDP kept; 1: FOP unless FSW.ES; 2: FOP and FDP
//               unless FSW.ES; 3: FOP unless FSW.ES, FDP always
//   bit 6+i     field i is an FXSAVE image's (FCS at +12), not FNSAVE's or FNSTENV's (+16)
// native/harness-core.h (hide_x87_pointers) does on the host what
// hideX87Pointers does here.

import { decode } from '../../src/isa/decode.ts';
import { type Case, DATA_ADDR } from './case.ts';
import { hasX87Quirks, type X87Quirks } from './host-quirks.ts';

/** What last set the pointers before an image store: FNINIT or a state load, or a non-control x87 instruction with or without a memory operand. */
export type PointerSource = 'init' | 'load' | 'memory' | 'register';

export interface ImageStore {
  fcsField: number; // the address of the u32 word holding FCS (as Case.fcsFields)
  fxsave: boolean;
  source: PointerSource;
}

const FCS_OFFSET = 16; // FNSAVE and FNSTENV, 32-bit protected-mode layout
const FXSAVE_FCS_OFFSET = 12;

// Pointer modes (bits 3i+1..3i+2 of x87Hide).
const KEEP = 0,
  FOP_UNLESS_ES = 1,
  FOP_FDP_UNLESS_ES = 2,
  FOP_UNLESS_ES_FDP_ALWAYS = 3;

/**
 * The images the program stores, in program order (the order of
 * long-mode.ts's fcsFields), each with what last set its pointers. Stops at
 * the first byte that does not decode.
 */
export function imageStores(c: Case): ImageStore[] {
  const out: ImageStore[] = [];
  let source: PointerSource = 'init';
  for (let at = 0; at < c.code.length; ) {
    const d = decode(c.code, at, 32);
    if (d.invalid || !d.form) break;
    at += d.length;
    const m = d.modrm;
    const mem = m !== null && m.mod !== 3;
    const ea = () => (m!.base >= 0 ? c.regs[m!.base] : 0) + (m!.index >= 0 ? c.regs[m!.index] * 2 ** m!.scale : 0) + m!.disp;
    if (d.opcode === 0x1ae && mem && m!.reg <= 1) {
      if (m!.reg === 0) out.push({ fcsField: (ea() + FXSAVE_FCS_OFFSET) >>> 0, fxsave: true, source });
      else source = 'load'; // FXRSTOR
      continue;
    }
    if (d.opcode < 0xd8 || d.opcode > 0xdf || !m) continue; // not x87: MMX and SSE forms leave the pointers alone
    const kind = x87Kind(d.opcode, m.mod !== 3, m.reg, m.rm);
    if (kind === 'fnsave' || kind === 'fnstenv') {
      out.push({ fcsField: (ea() + FCS_OFFSET) >>> 0, fxsave: false, source });
      if (kind === 'fnsave') source = 'init'; // FNSAVE initialises the FPU after storing
    } else if (kind !== 'control') source = kind;
  }
  return out;
}

/**
 * What an x87 instruction does to the pointers. The control instructions
 * leave FIP, FOP and FDP as they are (SDM vol. 1, 8.1.8): FLDCW, FNSTCW,
 * FNSTSW, FNCLEX and the rest of DB E0-E4; FNINIT clears them, FLDENV and
 * FRSTOR load them; every other x87 instruction is a non-control one.
 */
function x87Kind(op: number, mem: boolean, reg: number, rm: number): PointerSource | 'fnsave' | 'fnstenv' | 'control' {
  if (mem) {
    if (op === 0xdd && reg === 6) return 'fnsave';
    if (op === 0xd9 && reg === 6) return 'fnstenv';
    if ((op === 0xd9 || op === 0xdd) && reg === 4) return 'load';
    if ((op === 0xd9 && (reg === 5 || reg === 7)) || (op === 0xdd && reg === 7)) return 'control';
    return 'memory';
  }
  if (op === 0xdb && reg === 4 && rm === 3) return 'init';
  if ((op === 0xdb && reg === 4 && rm <= 4) || (op === 0xdf && reg === 4 && rm === 0)) return 'control';
  return 'register';
}

/** The pointer mode of one image on a host with `q`. */
function pointerMode(source: PointerSource, q: X87Quirks): number {
  // After FNINIT or a load, both sides hold what that left: nothing to hide.
  if (source === 'init' || source === 'load') return KEEP;
  // FDP_EXCPTN_ONLY exists only on Intel CPUs, which all update FOP only on an exception too.
  if (q.fdpOnException) {
    // "If the last non-control instruction ... did not have a memory operand, the value in the
    // data pointer register is undefined" (SDM vol. 1, 8.1.8): with ES set, this host leaves it 0.
    return source === 'register' ? FOP_UNLESS_ES_FDP_ALWAYS : FOP_FDP_UNLESS_ES;
  }
  return q.fopOnException ? FOP_UNLESS_ES : KEEP;
}

/** Case.x87Hide for `stores` on a host with `q` (0: nothing hidden). */
export function hideBits(stores: ImageStore[], q: X87Quirks): number {
  let bits = 0;
  stores.forEach((s, i) => {
    const field = (q.selectorsZero ? 1 : 0) | (pointerMode(s.source, q) << 1);
    bits |= (field << (3 * i)) | (s.fxsave ? 1 << (6 + i) : 0);
  });
  return bits;
}

/**
 * `c` as it runs on a host with `q`: with the FCS fields of its images and
 * the bits that clear what that host stores differently; `c` itself on a host
 * without x87 quirks or for a program that stores no image.
 */
export function withHiddenPointers(c: Case, q: X87Quirks): Case {
  if (!hasX87Quirks(q)) return c;
  const stores = imageStores(c);
  if (!stores.length) return c;
  if (stores.length > 2) throw new Error(`the program stores ${stores.length} x87 images; the case record names at most 2`);
  const x87Hide = hideBits(stores, q);
  return x87Hide ? { ...c, fcsFields: stores.map((s) => s.fcsField), x87Hide } : c;
}

/** u32 words by address, for hideX87Pointers. */
export interface Words {
  get(addr: number): number;
  set(addr: number, v: number): void;
}

const ES = 0x80;

/** Clears what `c.x87Hide` says in the images at `c.fcsFields` (the same as native/harness-core.h's hide_x87_pointers). */
export function hideX87Pointers(c: Case, w: Words): void {
  const bits = c.x87Hide ?? 0;
  (c.fcsFields ?? []).forEach((f, i) => {
    if (f < DATA_ADDR + 12) return; // no status word before it in the data pages (the harness skips it too)
    const field = (bits >> (3 * i)) & 7;
    hideImage(w, f, field & 1, field >> 1, (bits >> (6 + i)) & 1);
  });
}

/** One image's fields; `f` is the address of its FCS word. */
export function hideImage(w: Words, f: number, selectors: number, mode: number, fxsave: number): void {
  const clearLow = (a: number) => w.set(a, w.get(a) & 0xffff0000);
  const clearHigh = (a: number) => w.set(a, w.get(a) & 0xffff);
  // FSW: bits 0-15 of the word at +4 (FNSAVE), bits 16-31 of the word at +0 (FXSAVE); both 12 bytes before FCS.
  const pending = (w.get(f - 12) >>> (fxsave ? 16 : 0)) & ES;
  if (selectors) {
    clearLow(f); // FCS
    clearLow(f + 8); // FDS
  }
  if (mode !== KEEP && !pending) clearHigh(fxsave ? f - 8 : f); // FOP: bytes 6-7 (FXSAVE), bits 16-26 beside FCS (FNSAVE)
  if (mode === FOP_UNLESS_ES_FDP_ALWAYS || (mode === FOP_FDP_UNLESS_ES && !pending)) w.set(f + 4, 0); // FDP
}
