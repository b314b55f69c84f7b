// What the host CPU may do differently from glassbox where the SDM lets
// implementations differ, as the host declares it (CPUID) or, where no CPUID
// bit says so, as one probe case shows. The comparisons leave out exactly
// these differences, and only on a host that has them: on any other host
// everything is compared as before.
//
//  - x87 pointers (x87-pointers.ts): CPUID.(EAX=7,ECX=0):EBX[13] "FPU CS and
//    FPU DS deprecated" (FCS and FDS are stored as 0); EBX[6]
//    FDP_EXCPTN_ONLY (FDP is updated only by an x87 instruction that raises
//    an unmasked exception); and on Intel CPUs since the Pentium 4, FOP is
//    updated only on an unmasked exception unless the fopcode compatibility
//    mode (IA32_MISC_ENABLE[2], off by default, unreadable from user space)
//    is on (SDM vol. 1, 8.1.9.1).
//  - a REP CMPS/SCAS suspended by a fault (run-diff.ts): which arithmetic
//    flags it leaves is not defined by the SDM (it defines only the registers
//    that let the instruction resume); Intel leaves those from before the
//    instruction, AMD those of the last completed iteration.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decode } from '../../src/isa/decode.ts';
import { type Case, type Result, DATA_ADDR, DATA_SIZE } from './case.ts';
import { buildNative } from './native.ts';

/** The CPU's own answers: vendor, displayed family and model, CPUID.(EAX=7,ECX=0):EBX. */
export interface HostCpuid {
  vendor: string;
  family: number;
  model: number;
  leaf7ebx: number;
}

const PROGRAM = {
  source: fileURLToPath(new URL('./native/cpuid.c', import.meta.url)),
  path: fileURLToPath(new URL('../../build/cpu-diff/cpuid', import.meta.url)),
  flags: ['-O2', '-Wall'],
  needs: 'gcc for x86_64 (apt-get install -y gcc)',
};

let cpuidAnswer: HostCpuid | null | undefined;

/** This host's CPUID (native/cpuid.c), or null where it cannot run (not x86 Linux, no gcc). */
export function hostCpuid(): HostCpuid | null {
  cpuidAnswer ??= readCpuid();
  return cpuidAnswer;
}

function readCpuid(): HostCpuid | null {
  if ((process.arch !== 'x64' && process.arch !== 'ia32') || process.platform !== 'linux') return null;
  try {
    const r = spawnSync(buildNative(PROGRAM), [], { encoding: 'utf8', timeout: 30_000 });
    const m = /^(\S+) (\d+) (\d+) ([0-9a-f]+)$/.exec(r.stdout.trim());
    if (r.error || r.status !== 0 || !m) throw new Error(`${PROGRAM.path} failed: ${r.error ?? r.stderr}`);
    return { vendor: m[1], family: Number(m[2]), model: Number(m[3]), leaf7ebx: parseInt(m[4], 16) };
  } catch (e) {
    // The native runners need this gcc too: a host without it has no oracle to compare with.
    throw new Error(`cannot read this host's CPUID: ${(e as Error).message}`);
  }
}

/** Which x87 pointer fields the host CPU stores other than on every non-control instruction. */
export interface X87Quirks {
  selectorsZero: boolean; // CPUID.7:EBX[13]: FCS and FDS are always stored as 0
  fdpOnException: boolean; // CPUID.7:EBX[6] FDP_EXCPTN_ONLY: FDP only for an unmasked exception
  fopOnException: boolean; // Intel since the Pentium 4 (SDM vol. 1, 8.1.9.1): FOP only for an unmasked exception
}

export const NO_X87_QUIRKS: X87Quirks = { selectorsZero: false, fdpOnException: false, fopOnException: false };

const FDP_EXCPTN_ONLY = 1 << 6;
const FCS_FDS_DEPRECATED = 1 << 13;

/** The x87 quirks `cpu` declares (this host's CPUID when not given). */
export function x87Quirks(cpu: HostCpuid | null = hostCpuid()): X87Quirks {
  if (!cpu) return NO_X87_QUIRKS;
  const intel = cpu.vendor === 'GenuineIntel';
  // The Pentium 4 is family 15; in family 6, Core 2 (model 0x0F) and every later
  // model descend from it. Earlier family 6 models are P6s, which store FOP always.
  const netburstOrLater = cpu.family >= 15 || (cpu.family === 6 && cpu.model >= 0x0f);
  return {
    selectorsZero: (cpu.leaf7ebx & FCS_FDS_DEPRECATED) !== 0,
    fdpOnException: (cpu.leaf7ebx & FDP_EXCPTN_ONLY) !== 0,
    fopOnException: intel && netburstOrLater,
  };
}

/** Whether any x87 pointer field is left out of the comparison on a host with `q`. */
export function hasX87Quirks(q: X87Quirks): boolean {
  return q.selectorsZero || q.fdpOnException || q.fopOnException;
}

// REPNE SCASB over the last 4 bytes of the data pages (zero, AL 0xFF: no match)
// runs 4 iterations and then faults (#PF) on the unmapped page after them. It
// starts with every arithmetic flag set; each iteration it completes leaves ZF
// clear (REPNE goes on only while ZF is 0), so ZF still set after the fault
// means the CPU left the flags as they were before the instruction.
const PROBE_EDI = DATA_ADDR + DATA_SIZE - 4;
export const SUSPENDED_REP_PROBE: Case = {
  seed: 1,
  regs: [0xff, 8, 0, 0, 0x5800, 0, 0, PROBE_EDI],
  eflags: 0x202 | 0x8d5,
  code: new Uint8Array([0xf2, 0xae]),
  presets: [{ addr: PROBE_EDI, value: 0 }],
};
const ZF = 0x40;

/** From the host's outcome of SUSPENDED_REP_PROBE: whether a REP CMPS/SCAS suspended by a fault keeps the flags it started with. */
export function keepsFlagsWhenSuspended(r: Result): boolean {
  const suspended = r.vector === 14 && r.regs[1] === 4 && r.regs[7] === PROBE_EDI + 4;
  if (!suspended) throw new Error(`the suspended-REP probe did not stop where it should (vector ${r.vector}, ECX ${r.regs[1]}, EDI ${r.regs[7]})`);
  return (r.eflags & ZF) !== 0;
}

const ARITH = 0x8d5; // CF PF AF ZF SF OF
const EDI = 7;

/**
 * The flags to leave out for `c` on a host whose suspended REP CMPS/SCAS keeps
 * the flags it started with: the arithmetic flags, when `c` is a REP CMPS or
 * SCAS that the host ended with a fault after at least one iteration (EDI
 * moved). Registers, memory, the fault and the other flags are still compared.
 */
export function suspendedRepFlags(c: Case, host: Result): number {
  const faulted = host.vector !== 3 && host.vector < 0x20;
  if (!faulted || host.regs[EDI] === c.regs[EDI]) return 0;
  const d = decode(c.code, 0, 32);
  return d.rep && /^(CMPS|SCAS)/.test(d.form?.id ?? '') ? ARITH : 0;
}
