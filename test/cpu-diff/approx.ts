// RCPPS, RCPSS, RSQRTPS and RSQRTSS against their contract, not against one
// CPU's bits. Each model answers from its own table (this AMD EPYC's
// RCPSS(1.0) is 0x3f7ff000, 1 - 2^-12), so bit-equality with the host would
// prove only that glassbox imitates one chip; what software may rely on is
// the SDM's: a relative error of at most 1.5 * 2^-12, and exact special
// cases (asm/cpu/sse/approx.ts lists them). So every lane of every record is
// checked, in glassbox and on the host CPU alike:
//   - a special source (zero, denormal, infinity, NaN, a negative RSQRT
//     source, an RCP source of 2^126 and more): the SDM's bits exactly, and
//     the same bits on both sides; RCP's band where the SDM leaves "tiny or
//     not" to the implementation accepts a zero of the source's sign or an
//     approximation;
//   - any other source: within 1.5 * 2^-12 of the exact 1/x or 1/sqrt(x),
//     which the host CPU computes in binary64 (DIVSD, SQRTSD: correctly
//     rounded, so the same as JavaScript's, which a corpus replay uses; the
//     live run checks that they agree);
//   - the scalar forms keep lanes 1-3 of the destination; MXCSR is unchanged
//     whatever its rounding, DAZ, FZ and masks (no flag, no #XM).
// The host's own results are held to the same contract, which checks the
// checker on real silicon. Bit-equal lanes are counted, not required.
//
// A record: MXCSR, the source's four lanes, the destination's four, and how
// glassbox's program takes the source (from [ebx+0x20] or a register).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CODE_ADDR, DATA_ADDR } from './case.ts';
import { buildNative } from './native.ts';
import { GlassboxRunner } from './glassbox.ts';
import { FXRSTOR_ESI, MOVDQU_STORE, RESULT_DISP, STMXCSR_STORE, IMAGE_ADDR, sseProgram, xmmImage } from './sse-programs.ts';
import { Rng } from '../support/rng.ts';

export const APPROX_FORMS = [
  { id: 'RCPPS Vx,Wx', bytes: [0x0f, 0x53], packed: true, rsqrt: false },
  { id: 'RCPSS Vx,Wd', bytes: [0xf3, 0x0f, 0x53], packed: false, rsqrt: false },
  { id: 'RSQRTPS Vx,Wx', bytes: [0x0f, 0x52], packed: true, rsqrt: true },
  { id: 'RSQRTSS Vx,Wd', bytes: [0xf3, 0x0f, 0x52], packed: false, rsqrt: true },
] as const;
type ApproxForm = (typeof APPROX_FORMS)[number];

export interface ApproxRecord {
  csr: number;
  src: number[]; // four binary32 lanes
  dst: number[];
  fromMemory: boolean;
  reg: number; // the destination XMM register
  rm: number; // the source XMM register when not from memory
}

/** What one side returned for one record: per form the destination's lanes and MXCSR afterwards. */
export type ApproxOutcome = { lanes: number[]; csr: number }[];

export const BOUND = 1.5 * 2 ** -12;
const SOURCE_DISP = 0x20;
const QUIET = 0x400000;
const INDEFINITE = 0xffc00000;
// SDM, RCPSS: sources up to this magnitude never give a tiny result, from this one on always do.
const NEVER_TINY = 0x7e7fe800; // 1.11111111110100000000000B * 2^125
const ALWAYS_TINY = 0x7e800c01; // 1.00000000000110000000001B * 2^126

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];

/** One source lane: special values a fifth of the time, else random bits or a positive normal of any exponent. */
function lane(r: Rng): number {
  const sign = r.chance(0.5) ? 0x80000000 : 0;
  if (r.chance(0.2)) {
    const specials = [
      0,
      1 + r.below(0x7fffff),
      0x7f800000,
      0x7f800000 | (1 + r.below(0x7fffff)),
      0x7f7fffff,
      0x00800000,
      0x3f800000,
      NEVER_TINY + r.below(ALWAYS_TINY - NEVER_TINY + 1),
      NEVER_TINY - r.below(4),
      ALWAYS_TINY + r.below(4),
      ((253 + r.below(2)) << 23) | r.below(0x800000),
      (1 + r.below(253)) << 23,
    ];
    return (r.pick(specials) | (r.chance(0.7) ? 0 : sign)) >>> 0;
  }
  if (r.chance(0.5)) return r.next();
  return (((1 + r.below(254)) << 23) | r.below(0x800000)) >>> 0;
}

export function generateApprox(seed: number, index: number): ApproxRecord {
  const r = Rng.forCase(seed, index);
  const csr = r.chance(0.5) ? 0x1f80 : r.next() & 0xffff;
  const reg = r.below(8);
  return {
    csr,
    reg,
    rm: (reg + 1 + r.below(7)) & 7,
    fromMemory: r.chance(0.5),
    src: Array.from({ length: 4 }, () => lane(r)),
    dst: Array.from({ length: 4 }, () => r.next()),
  };
}

// The host side: native/approx64.c, fed every record at once.
const PROGRAM = {
  source: fileURLToPath(new URL('./native/approx64.c', import.meta.url)),
  path: fileURLToPath(new URL('../../build/cpu-diff/approx64', import.meta.url)),
  flags: ['-O2', '-Wall'],
  needs: 'gcc for x86_64 (apt-get install -y gcc)',
};
const IN_BYTES = 36,
  OUT_BYTES = 144;

export function hostApprox(records: ApproxRecord[]): { outcomes: ApproxOutcome[]; inv: number[][]; invSqrt: number[][] } {
  const input = Buffer.alloc(records.length * IN_BYTES);
  records.forEach((x, i) => [x.csr, ...x.src, ...x.dst].forEach((w, k) => input.writeUInt32LE(w >>> 0, i * IN_BYTES + k * 4)));
  const r = spawnSync(buildNative(PROGRAM), [], { input, maxBuffer: records.length * OUT_BYTES + 1024, timeout: 120_000 });
  if (r.error || r.status !== 0 || r.stdout.length !== records.length * OUT_BYTES) {
    throw new Error(`${PROGRAM.path} failed on ${records.length} records: ${r.error ?? `status ${r.status}, ${r.stdout.length} bytes out`} ${r.stderr}`);
  }
  const out = r.stdout;
  const word = (i: number, k: number) => out.readUInt32LE(i * OUT_BYTES + k * 4);
  return {
    outcomes: records.map((_, i) => APPROX_FORMS.map((_f, k) => ({ lanes: [0, 1, 2, 3].map((j) => word(i, k * 5 + j)), csr: word(i, k * 5 + 4) }))),
    inv: records.map((_, i) => [0, 1, 2, 3].map((j) => out.readDoubleLE(i * OUT_BYTES + 80 + j * 8))),
    invSqrt: records.map((_, i) => [0, 1, 2, 3].map((j) => out.readDoubleLE(i * OUT_BYTES + 112 + j * 8))),
  };
}

/** The exact values in binary64, as the host's DIVSD and SQRTSD give them. */
export const exactInv = (x: number) => 1 / f32(x);
export const exactInvSqrt = (x: number) => 1 / Math.sqrt(f32(x));

/** glassbox: FXRSTOR [esi]; <form> xmmR, [ebx+0x20] or xmmS; MOVDQU [ebx+0x60], xmmR; STMXCSR [ebx+0x70]. */
export function glassboxApprox(runner: GlassboxRunner, x: ApproxRecord): ApproxOutcome | string {
  const out: ApproxOutcome = [];
  for (const f of APPROX_FORMS) {
    const c = sseProgram('restore', x.csr ^ x.src[0], 0);
    const at = x.fromMemory ? DATA_ADDR + SOURCE_DISP : xmmImage(x.rm);
    const modrm = x.fromMemory ? [0x43 | (x.reg << 3), SOURCE_DISP] : [0xc0 | (x.reg << 3) | x.rm];
    c.code = new Uint8Array([...FXRSTOR_ESI, ...f.bytes, ...modrm, ...MOVDQU_STORE, 0x43 | (x.reg << 3), RESULT_DISP, ...STMXCSR_STORE]);
    // More presets than a case record holds: glassbox's runner takes any number.
    c.presets = [
      { addr: IMAGE_ADDR + 24, value: x.csr },
      ...x.dst.map((value, i) => ({ addr: xmmImage(x.reg) + i * 4, value })),
      ...x.src.map((value, i) => ({ addr: at + i * 4, value })),
    ];
    const res = runner.run(c);
    if (res.vector !== 3 || res.eip !== CODE_ADDR + c.code.length + 1) return `${f.id}: ended by vector ${res.vector} at ${res.eip.toString(16)}`;
    const ram = new DataView(runner.core.ram.buffer, runner.core.ram.byteOffset);
    out.push({ lanes: [0, 1, 2, 3].map((j) => ram.getUint32(DATA_ADDR + RESULT_DISP + j * 4, true)), csr: ram.getUint32(DATA_ADDR + RESULT_DISP + 16, true) });
  }
  return out;
}

/** The contract for one lane: exact bits, or the exact value to approximate (and whether a signed zero is also allowed). */
function contract(f: ApproxForm, x: number): { bits: number } | { exact: number; orZero: boolean } {
  const sign = (x & 0x80000000) >>> 0,
    exp = (x >>> 23) & 0xff,
    nan = exp === 0xff && (x & 0x7fffff) !== 0;
  if (nan) return { bits: (x | QUIET) >>> 0 };
  if (exp === 0) return { bits: (sign | 0x7f800000) >>> 0 };
  if (f.rsqrt) {
    if (sign) return { bits: INDEFINITE };
    return exp === 0xff ? { bits: 0 } : { exact: exactInvSqrt(x), orZero: false };
  }
  const mag = x & 0x7fffffff;
  if (exp === 0xff || mag >= ALWAYS_TINY) return { bits: sign };
  return { exact: exactInv(x), orZero: mag > NEVER_TINY };
}

/** Why `got` breaks the contract for source lane `x`, or null. */
export function laneFault(f: ApproxForm, x: number, got: number): string | null {
  const c = contract(f, x);
  if ('bits' in c) return got === c.bits ? null : `want 0x${c.bits.toString(16)}`;
  if (c.orZero && got === (x & 0x80000000) >>> 0) return null;
  const g = f32(got),
    err = Math.abs(g - c.exact) / Math.abs(c.exact);
  if (!(err <= BOUND) || Math.sign(g) !== Math.sign(c.exact)) return `relative error ${err.toExponential(3)} > 1.5*2^-12 from ${c.exact}`;
  return null;
}

/** Every fault of one side's outcome for one record, as text. */
export function outcomeFaults(x: ApproxRecord, o: ApproxOutcome): string[] {
  const faults: string[] = [];
  const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
  APPROX_FORMS.forEach((f, k) => {
    const { lanes, csr } = o[k];
    if (csr !== x.csr) faults.push(`${f.id}: MXCSR ${hex(x.csr)} became ${hex(csr)}`);
    for (let j = 0; j < 4; j++) {
      if (j > 0 && !f.packed) {
        if (lanes[j] !== x.dst[j]) faults.push(`${f.id}: lane ${j} ${hex(lanes[j])}, the destination held ${hex(x.dst[j])}`);
        continue;
      }
      const why = laneFault(f, x.src[j], lanes[j]);
      if (why) faults.push(`${f.id}: lane ${j} of ${hex(x.src[j])} gave ${hex(lanes[j])}: ${why}`);
    }
  });
  return faults;
}

export interface ApproxReport {
  records: number;
  lanes: number; // lanes checked on each side (the scalar forms: lane 0)
  glassboxFaults: number; // records where glassbox broke the contract
  hostFaults: number; // records where the host CPU did
  specialsDiffer: number; // special-case lanes where the two sides' bits differ
  bitEqual: number; // approximated lanes where glassbox gave the host's bits (not required)
  maxApart: number; // the largest relative distance between the two sides' approximations
  kept: string[];
}

/** Checks glassbox and the host's recorded (or live) outcomes for `records`. */
export function checkApprox(records: ApproxRecord[], host: ApproxOutcome[], keep = 20): ApproxReport {
  const runner = new GlassboxRunner();
  const rep: ApproxReport = { records: records.length, lanes: 0, glassboxFaults: 0, hostFaults: 0, specialsDiffer: 0, bitEqual: 0, maxApart: 0, kept: [] };
  const note = (i: number, who: string, lines: string[]) => {
    if (rep.kept.length < keep) rep.kept.push(`record ${i} (${who}; ${JSON.stringify(records[i])}):\n  ${lines.join('\n  ')}`);
  };
  records.forEach((x, i) => {
    const g = glassboxApprox(runner, x);
    const gf = typeof g === 'string' ? [g] : outcomeFaults(x, g);
    const hf = outcomeFaults(x, host[i]);
    if (gf.length) rep.glassboxFaults++, note(i, 'glassbox', gf);
    if (hf.length) rep.hostFaults++, note(i, 'host CPU', hf);
    if (typeof g === 'string') return;
    APPROX_FORMS.forEach((f, k) => {
      for (let j = 0; j < (f.packed ? 4 : 1); j++) {
        rep.lanes++;
        const a = g[k].lanes[j],
          b = host[i][k].lanes[j];
        if ('bits' in contract(f, x.src[j])) {
          if (a !== b) rep.specialsDiffer++;
        } else if (a === b) rep.bitEqual++;
        else if (a && b) rep.maxApart = Math.max(rep.maxApart, Math.abs(f32(a) - f32(b)) / Math.abs(f32(b)));
      }
    });
  });
  return rep;
}

/** The kept faults and a summary line. */
export function approxSummary(rep: ApproxReport): string[] {
  return [
    ...rep.kept,
    `approx: ${rep.records} records, ${rep.lanes} lanes per side; contract broken by glassbox in ${rep.glassboxFaults} records, by the host CPU in ${rep.hostFaults}; ` +
      `special-case lanes that differ: ${rep.specialsDiffer}; approximated lanes bit-equal to the host's: ${rep.bitEqual} (not required); ` +
      `largest distance between the two: ${(rep.maxApart * 2 ** 12).toFixed(3)} * 2^-12`,
  ];
}

/** Records where something is wrong: glassbox or the CPU off the contract, or a special case answered differently. */
export const approxMismatches = (rep: ApproxReport) => rep.glassboxFaults + rep.hostFaults + rep.specialsDiffer;

export function formatApprox(rep: ApproxReport): string {
  return [...approxSummary(rep), `cpu-diff: ${rep.records} cases, ${approxMismatches(rep)} mismatches`].join('\n');
}

/** Live: `count` records from `seed` on the host CPU, whose binary64 references must be JavaScript's. */
export function runApprox(seed: number, count: number, first = 0): ApproxReport {
  const records = Array.from({ length: count }, (_, i) => generateApprox(seed, first + i));
  const host = hostApprox(records);
  const rep = checkApprox(records, host.outcomes);
  records.forEach((x, i) =>
    x.src.forEach((v, j) => {
      const a = host.inv[i][j],
        b = exactInv(v),
        c = host.invSqrt[i][j],
        d = exactInvSqrt(v);
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) throw new Error(`the host's 1/x of 0x${v.toString(16)} is ${a}, JavaScript's ${b}`);
      if (!Object.is(c, d) && !(Number.isNaN(c) && Number.isNaN(d))) throw new Error(`the host's 1/sqrt(x) of 0x${v.toString(16)} is ${c}, JavaScript's ${d}`);
    }),
  );
  return rep;
}
