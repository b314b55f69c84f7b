// Region discovery: the basic blocks of one physical page of guest code
// reachable from an entry by direct jumps inside the page, nearest first,
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
  if (op === 0xff && d.modrm!.reg === 2) return { targets: [next], falls: false, ends: true };
  if (op === 0xff && d.modrm!.reg === 4) return { targets: [], falls: false, ends: true };
  return { targets: [], falls: true, ends: false };
}

/** CALL rel32 or CALL Ev. */
function isCall(ins: Insn): boolean {
  return ins.d.opcode === 0xe8 || (ins.d.opcode === 0xff && ins.d.modrm!.reg === 2);
}

/** A region: its instructions by page offset, its block starts in order, and the blocks that follow a CALL in it. */
export interface Region {
  insns: Map<number, Insn>;
  starts: number[];
  /** Blocks that follow a CALL in this region: where its RETs come back. */
  returns: number[];
}

/**
 * Finds the region of `page` (its 4096 bytes) entered at `entry`, leaving out
 * the page offsets in `compiled` (blocks other regions enter at); null when
 * the first instruction cannot be translated.
 */
export function findRegion(page: Uint8Array, entry: number, compiled: ReadonlySet<number> = NONE): Region | null {
  const insns = new Map<number, Insn>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  while (work.length > 0 && insns.size < MAX_INSNS) {
    let off = work.shift()!;
    while (off < 4096 && !insns.has(off) && insns.size < MAX_INSNS && (off === entry || !compiled.has(off))) {
      const d = decode(page, off, 32);
      const ins: Insn = { off, d, how: d.length > 0 ? classify(d) : 'stop' };
      insns.set(off, ins);
      if (ins.how === 'stop') {
        // The run loop interprets it and looks up the next instruction: a block there lets the region go on.
        const after = off + d.length;
        if (d.form && !d.invalid && !d.form.branch && !d.form.undefinedOpcode && after < 4096 && !leaders.has(after) && !compiled.has(after) && leaders.size < MAX_BLOCKS) {
          leaders.add(after);
          work.push(after);
        }
        break;
      }
      if (ins.how === 'native') {
        const s = successors(ins);
        for (const t of s.targets) {
          if (t >= 0 && t < 4096 && !leaders.has(t) && !compiled.has(t) && leaders.size < MAX_BLOCKS) {
            leaders.add(t);
            work.push(t);
          }
        }
        if (s.ends) {
          if (s.falls && off + d.length < 4096 && !leaders.has(off + d.length) && !compiled.has(off + d.length) && leaders.size < MAX_BLOCKS) {
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
    .filter((i) => i.how === 'native' && isCall(i) && leaders.has(i.off + i.d.length) && insns.has(i.off + i.d.length))
    .map((i) => i.off + i.d.length)
    .slice(0, 8);
  return { insns, starts, returns };
}
