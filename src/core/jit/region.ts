// Region discovery: the basic blocks of guest code reachable from an entry
// by direct jumps, in its page and up to two others, nearest first,
// less the blocks other regions of the page have compiled already: a region
// leaves for those (the run loop chains to them), so a page's hot entries
// cost one compilation of each block rather than one of every block
// reachable from each entry (57 % of the blocks compiled while booting and
// running the shell were copies before).

import { decode } from '../../isa/decode.ts';
import { classify, type Insn } from './forms.ts';

// A region is what is reachable from its entry, nearest first, up to these
// bounds: compiling costs about as much as interpreting a few hundred times
// the code, so cold paths far from the entry are better left out.
const MAX_INSNS = 256;
const MAX_BLOCKS = 40;
// Pages a region takes code from, its entry's included.
const MAX_PAGES = 3;
const NONE: ReadonlySet<number> = new Set();

/** Direct successors of a native control transfer (page offsets), and whether it falls through. */
export function successors(ins: Insn): { targets: number[]; falls: boolean; ends: boolean } {
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

/** A page of code other than the entry's, `k` pages from it (-1: the one before), and where it is in the core's memory. */
export interface OtherPage {
  k: number;
  bytes: Uint8Array;
  host: number;
}

/** The page `k` pages from the entry's, as mapped when the region is made; null where no code can come from (not mapped, not RAM). */
export type PageSource = (k: number) => Omit<OtherPage, 'k'> | null;

/**
 * A region: its instructions by offset from the start of the entry's page
 * (below 0 or from 4096 on: in another page), its block starts in order, the
 * blocks that follow a CALL in it, and the other pages its code comes from.
 */
export interface Region {
  insns: Map<number, Insn>;
  starts: number[];
  /** Blocks that follow a CALL in this region: where its RETs come back. */
  returns: number[];
  pages: OtherPage[];
}

/** The page (counted from the entry's) that offset `off` is in. */
export function pageOf(off: number): number {
  return Math.floor(off / 4096);
}

/**
 * Finds the region entered at offset `entry` of `page` (its 4096 bytes),
 * leaving out the offsets in `compiled` (blocks other regions of the page
 * enter at); null when the first instruction cannot be translated. With
 * `more`, the code its direct calls and jumps reach in up to two other pages
 * is in it too: a call into a library function and its return then stay in
 * wasm instead of costing two exits and lookups (a shell's or `head`'s loop
 * made one such chain every eight instructions).
 */
export function findRegion(page: Uint8Array, entry: number, compiled: ReadonlySet<number> = NONE, more?: PageSource): Region | null {
  const insns = new Map<number, Insn>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  const others = new Map<number, OtherPage | null>();
  let taken = 0;
  const bytesOf = (k: number): Uint8Array | null => {
    if (k === 0) return page;
    let p = others.get(k);
    if (p === undefined) {
      const got = more && taken < MAX_PAGES - 1 ? more(k) : null;
      p = got && { k, ...got };
      if (p) taken++;
      others.set(k, p);
    }
    return p?.bytes ?? null;
  };
  // A block may start at `t`: not one already, not one another region of the entry's page has, room left, code there.
  const opens = (t: number): boolean => !leaders.has(t) && !(compiled.has(t) && pageOf(t) === 0) && leaders.size < MAX_BLOCKS && bytesOf(pageOf(t)) !== null;
  const lead = (t: number): void => {
    if (!opens(t)) return;
    leaders.add(t);
    work.push(t);
  };
  while (work.length > 0 && insns.size < MAX_INSNS) {
    let off = work.shift()!;
    const k = pageOf(off);
    const bytes = bytesOf(k)!;
    const end = (k + 1) * 4096;
    let ended = false;
    while (off < end && !insns.has(off) && insns.size < MAX_INSNS && (off === entry || !(compiled.has(off) && k === 0))) {
      const d = decode(bytes, off - k * 4096, 32);
      const ins: Insn = { off, d, how: d.length > 0 ? classify(d) : 'stop' };
      insns.set(off, ins);
      if (ins.how === 'stop') {
        // The run loop interprets it and looks up the next instruction: a block there lets the region go on.
        const after = off + d.length;
        if (d.form && !d.invalid && !d.form.branch && !d.form.undefinedOpcode && after < end) lead(after);
        ended = true;
        break;
      }
      if (ins.how === 'native') {
        const s = successors(ins);
        for (const t of s.targets) lead(t);
        if (s.ends) {
          if (s.falls) lead(off + d.length);
          ended = true;
          break;
        }
      }
      off += d.length;
    }
    // The code runs on into the next page.
    if (!ended && off === end) lead(off);
  }
  const first = insns.get(entry);
  if (!first || first.how === 'stop') return null;
  const starts = [...leaders].filter((l) => insns.has(l)).sort((a, b) => a - b);
  const returns = [...insns.values()]
    .filter((i) => i.how === 'native' && i.d.opcode === 0xe8 && leaders.has(i.off + i.d.length) && insns.has(i.off + i.d.length))
    .map((i) => i.off + i.d.length)
    .slice(0, 8);
  const used = new Set([...insns.keys()].map(pageOf));
  const pages = [...others.values()].filter((p): p is OtherPage => p !== null && used.has(p.k));
  return { insns, starts, returns, pages };
}
