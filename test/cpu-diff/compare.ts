// Compares a glassbox result with the host's, under the flags the SDM leaves undefined.

import type { Result } from './case.ts';

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const FLAG_NAMES: [number, string][] = [
  [0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x100, 'TF'], [0x200, 'IF'], [0x400, 'DF'],
  [0x800, 'OF'], [0x4000, 'NT'], [0x10000, 'RF'], [0x40000, 'AC'], [0x200000, 'ID'],
];
export const TIMEOUT = 0xfffffffe;

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

export function flagNames(bits: number): string {
  return FLAG_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join(' ') || '-';
}

/** The differences between two outcomes, one line each; empty when they agree. */
export function differences(glassbox: Result, native: Result, ignoreFlags: number): string[] {
  const d: string[] = [];
  if (glassbox.vector !== native.vector) d.push(`vector: glassbox ${vectorName(glassbox.vector)}, host ${vectorName(native.vector)}`);
  if (native.vector === TIMEOUT && glassbox.vector === TIMEOUT) return d; // both loop forever: nothing else is comparable
  REGS.forEach((name, i) => {
    if (glassbox.regs[i] !== native.regs[i]) d.push(`${name}: glassbox ${hex(glassbox.regs[i])}, host ${hex(native.regs[i])}`);
  });
  if (glassbox.eip !== native.eip) d.push(`eip: glassbox ${hex(glassbox.eip)}, host ${hex(native.eip)}`);
  const diff = (glassbox.eflags ^ native.eflags) & ~ignoreFlags;
  if (diff) d.push(`eflags: glassbox ${hex(glassbox.eflags)}, host ${hex(native.eflags)} (differ in ${flagNames(diff)})`);
  // The host runs with NX enabled, so its #PF error codes carry the I/D bit
  // (4) for instruction fetches; a P6 without PAE reports it as 0 (SDM 4.7).
  const codeMask = native.vector === 14 ? ~0x10 : ~0;
  if ((glassbox.errorCode & codeMask) !== (native.errorCode & codeMask)) d.push(`error code: glassbox ${hex(glassbox.errorCode)}, host ${hex(native.errorCode)}`);
  if (glassbox.faultAddr !== native.faultAddr) d.push(`fault address: glassbox ${hex(glassbox.faultAddr)}, host ${hex(native.faultAddr)}`);
  SEGS.forEach((name, i) => {
    if (glassbox.segs[i] !== native.segs[i]) d.push(`${name}: glassbox ${hex(glassbox.segs[i])}, host ${hex(native.segs[i])}`);
  });
  if (glassbox.memHash[0] !== native.memHash[0] || glassbox.memHash[1] !== native.memHash[1]) d.push('memory: the data or stack pages differ');
  return d;
}

const VECTORS: Record<number, string> = {
  0: '#DE', 1: '#DB', 3: '#BP (done)', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC',
};
export function vectorName(v: number): string {
  if (v === TIMEOUT) return 'no end (endless loop)';
  if (v === 0xffffffff) return 'refused';
  return VECTORS[v] ?? `vector ${v}`;
}
