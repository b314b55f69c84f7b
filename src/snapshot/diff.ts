// Two snapshots of one machine compared, for people: the RAM pages that
// differ, the CPU state by the core's own names for its offsets, and each
// other part's fields that differ.

import type { StateValue, VersionedRecord } from '../state/records.ts';
import type { Snapshot } from './format.ts';
import { CHUNK_PAGES, PAGE_SIZE } from './ram.ts';

export interface SnapshotDiff {
  /** Guest physical page numbers whose contents differ (a page left out is zeros). */
  pages: number[];
  /** The CPU's state block: each exported offset whose bytes differ, by name ("OFF_EIP", "OFF_REGS+4"). */
  cpu: string[];
  /** Other parts: the paths of the fields that differ ("pic master.irr", "com1 rx"). */
  parts: string[];
}

const ZERO = new Uint8Array(PAGE_SIZE);

/**
 * Each stored page's bytes, and for a page named in the initrd where it lies
 * there: a page is only ever named there when it equals that block, so two
 * pages named alike are the same and a named one differs from a stored one.
 */
function pagesOf(s: Snapshot): Map<number, Uint8Array | string> {
  const pages = new Map<number, Uint8Array | string>();
  for (const c of s.chunks) {
    let at = 0;
    for (let i = 0; i < CHUNK_PAGES; i++) {
      if (!(c.pages & (1 << i))) continue;
      pages.set(c.first + i, c.data.subarray(at, at + PAGE_SIZE));
      at += PAGE_SIZE;
    }
  }
  const t = s.header.initrdPages;
  for (let i = 0; i < t.length; i += 3) pages.set(t[i]!, `initrd ${t[i + 1]}+${t[i + 2]}`);
  return pages;
}

function samePage(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  for (let i = 0; i < PAGE_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Field paths under `path` where the two values differ. */
function fieldDiff(a: StateValue | undefined, b: StateValue | undefined, path: string, out: string[]): void {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) out.push(path);
  } else if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b) &&
    !(a instanceof Uint8Array) &&
    !(b instanceof Uint8Array)
  ) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) fieldDiff(a[k], b[k], path ? `${path}.${k}` : k, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(path);
  }
}

/**
 * Compares two snapshots. `layout` is the core's offsets by name
 * (Core.layoutText()) and `stateBase` where its block starts, to name the
 * CPU's changed bytes.
 */
export function diffSnapshots(a: Snapshot, b: Snapshot, layout: string, stateBase: number): SnapshotDiff {
  const pa = pagesOf(a);
  const pb = pagesOf(b);
  const pages = [...new Set([...pa.keys(), ...pb.keys()])].filter((p) => !samePage(pa.get(p) ?? ZERO, pb.get(p) ?? ZERO)).sort((x, y) => x - y);
  const offsets = layout
    .split('\n')
    .map((l) => l.split('='))
    .filter(([n]) => n!.startsWith('OFF_'))
    .map(([n, v]) => ({ name: n!, at: Number(v) }))
    .sort((x, y) => x.at - y.at);
  const named = (byte: number): string => {
    const at = stateBase + byte;
    let best: { name: string; at: number } | undefined;
    for (const o of offsets) if (o.at <= at) best = o;
    if (!best) return `+0x${byte.toString(16)}`;
    const word = (at - best.at) & ~3;
    return word ? `${best.name}+${word}` : best.name;
  };
  const cpu = new Set<string>();
  const ba = a.records.cpu?.state.block;
  const bb = b.records.cpu?.state.block;
  if (ba instanceof Uint8Array && bb instanceof Uint8Array) for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) cpu.add(named(i));
  const parts: string[] = [];
  const names = new Set([...Object.keys(a.records), ...Object.keys(b.records)]);
  names.delete('cpu');
  for (const n of names) {
    const diffs: string[] = [];
    fieldDiff((a.records[n] as VersionedRecord | undefined)?.state, (b.records[n] as VersionedRecord | undefined)?.state, '', diffs);
    parts.push(...diffs.map((d) => `${n} ${d}`.trim()));
  }
  return { pages, cpu: [...cpu], parts };
}
