// The recorded oracle: generated cases together with what a real CPU did
// with them, so glassbox can be checked against hardware on any host, and a
// host with a native runner can notice when its CPU disagrees with the
// recording. Nothing here computes an expected outcome: the results are the
// host harness's, recorded (`npm run cpu:diff -- --record`), never glassbox's.
//
// corpus/meta.json  the CPU, kernel, runner, date and command of the
//                   recording; per suite its file, case count, SHA-256 and
//                   the cases the runner could not run (by reason); the
//                   form names the records index.
// corpus/<suite>.br one record per case, brotli-compressed after two
//                   lossless steps that make it small: the result is stored
//                   as its XOR with what the case already says (registers,
//                   EFLAGS, EIP = CODE_ADDR, the 32-bit selectors), and the
//                   records are transposed (byte 0 of every record, then
//                   byte 1...), so each column compresses on its own.
// A record: the case (case.ts layout, 80 bytes), the result (80, its
// integrity words zero), ignoreFlags u32, form index u16.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { type Case, type Result, CASE_BYTES, RESULT_BYTES, CODE_ADDR, encodeCase, decodeCase, encodeResult, decodeResult } from './case.ts';
import { generateCases, GENERATED_IDS, type Generated } from './generator.ts';
import { generateX87, EXACT_X87, X87_FORMS } from './x87.ts';
import { generateSse, XMM_CASE_FORMS } from './sse-programs.ts';
import { generateMmx, MMX_CASE_FORMS } from './mmx-programs.ts';
import { MM_X87_CASES } from './mmx-x87-programs.ts';
import { FPU_VIEW_CASES, fpuProgram } from './fpu-programs.ts';
import { HostOracle, type RunnerKind } from './host-oracle.ts';
import { NATIVE32_ONLY, RUN_SHOWED } from './long-mode.ts';
import { recordApprox, type ApproxMeta } from './approx-corpus.ts';

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));
const RECORD_BYTES = CASE_BYTES + RESULT_BYTES + 4 + 2;
const SEGS32 = [0x2b, 0x23, 0x2b, 0x2b, 0x2b, 0x63];

export interface SuiteMeta {
  name: string;
  file: string;
  cases: number;
  bytes: number;
  sha256: string;
  generated: string; // how the cases were made
  notRun: Record<string, number>; // cases the runner could not run, by reason
}

export interface CorpusMeta {
  format: 1;
  recorded: string; // ISO date
  command: string; // re-records it
  runner: RunnerKind;
  runnerNote: string;
  cpu: { vendor: string; family: string; model: string; stepping: string; modelName: string; microcode: string; virtualised: boolean };
  kernel: string;
  suites: SuiteMeta[];
  forms: string[];
  approx?: ApproxMeta; // RCPPS and its kin, checked against their bound (approx-corpus.ts)
}

export interface Entry {
  suite: string;
  index: number;
  case: Case;
  result: Result;
  ignoreFlags: number;
  form: string;
}

/** The host CPU as /proc/cpuinfo describes its first processor. */
export function hostCpu(): CorpusMeta['cpu'] {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0];
  } catch {
    // not Linux
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  return {
    vendor: field('vendor_id') ?? 'unknown',
    family: field('cpu family') ?? 'unknown',
    model: field('model') ?? 'unknown',
    stepping: field('stepping') ?? 'unknown',
    modelName: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    microcode: field('microcode') ?? 'not readable (no microcode line in /proc/cpuinfo)',
    virtualised: / hypervisor( |$)/m.test(field('flags') ?? ''),
  };
}

// The result as its XOR with what the case predicts (see the header).
function predict(c: Case): Result {
  return { regs: c.regs, eip: CODE_ADDR, eflags: c.eflags, vector: 0, errorCode: 0, faultAddr: 0, segs: SEGS32, memHash: [0, 0] };
}

function xorResult(r: Result, p: Result): Result {
  return {
    regs: r.regs.map((v, i) => (v ^ p.regs[i]) >>> 0),
    eip: (r.eip ^ p.eip) >>> 0,
    eflags: (r.eflags ^ p.eflags) >>> 0,
    vector: r.vector,
    errorCode: r.errorCode,
    faultAddr: r.faultAddr,
    segs: r.segs.map((s, i) => s ^ p.segs[i]),
    memHash: r.memHash,
  };
}

function encodeSuite(entries: Omit<Entry, 'suite' | 'index'>[], formIndex: Map<string, number>): Buffer {
  const n = entries.length;
  const rows = new Uint8Array(n * RECORD_BYTES);
  const v = new DataView(rows.buffer);
  entries.forEach((e, i) => {
    const at = i * RECORD_BYTES;
    encodeCase(e.case, v, at);
    encodeResult(xorResult(e.result, predict(e.case)), v, at + CASE_BYTES);
    v.setUint32(at + CASE_BYTES + RESULT_BYTES, e.ignoreFlags >>> 0, true);
    v.setUint16(at + CASE_BYTES + RESULT_BYTES + 4, formIndex.get(e.form)!, true);
  });
  const columns = new Uint8Array(4 + n * RECORD_BYTES);
  new DataView(columns.buffer).setUint32(0, n, true);
  for (let i = 0; i < n; i++) for (let b = 0; b < RECORD_BYTES; b++) columns[4 + b * n + i] = rows[i * RECORD_BYTES + b];
  return brotliCompressSync(columns, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: columns.length },
  });
}

function decodeSuite(name: string, packed: Buffer, forms: string[]): Entry[] {
  const columns = brotliDecompressSync(packed);
  const n = columns.readUInt32LE(0);
  if (columns.length !== 4 + n * RECORD_BYTES) throw new Error(`corpus suite ${name}: ${columns.length} bytes for ${n} records`);
  const rows = new Uint8Array(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) for (let b = 0; b < RECORD_BYTES; b++) rows[i * RECORD_BYTES + b] = columns[4 + b * n + i];
  const v = new DataView(rows.buffer);
  return Array.from({ length: n }, (_, i) => {
    const at = i * RECORD_BYTES;
    const c = decodeCase(v, at);
    const form = forms[v.getUint16(at + CASE_BYTES + RESULT_BYTES + 4, true)];
    if (form === undefined) throw new Error(`corpus suite ${name}, case ${i}: no form of that index`);
    return {
      suite: name,
      index: i,
      case: c,
      result: xorResult(decodeResult(v, at + CASE_BYTES), predict(c)),
      ignoreFlags: v.getUint32(at + CASE_BYTES + RESULT_BYTES, true),
      form,
    };
  });
}

export function readMeta(): CorpusMeta {
  return JSON.parse(readFileSync(`${CORPUS_DIR}meta.json`, 'utf8')) as CorpusMeta;
}

/** Every recorded case, each suite's file checked against its SHA-256 first. */
export function loadCorpus(): { meta: CorpusMeta; entries: Entry[] } {
  const meta = readMeta();
  const entries: Entry[] = [];
  for (const s of meta.suites) {
    const packed = readFileSync(`${CORPUS_DIR}${s.file}`);
    const sha = createHash('sha256').update(packed).digest('hex');
    if (sha !== s.sha256) throw new Error(`corpus file ${s.file} is not the one recorded (SHA-256 ${sha}, meta.json says ${s.sha256})`);
    const got = decodeSuite(s.name, packed, meta.forms);
    if (got.length !== s.cases) throw new Error(`corpus suite ${s.name} holds ${got.length} cases, meta.json says ${s.cases}`);
    entries.push(...got);
  }
  return { meta, entries };
}

export interface RecordOptions {
  seed: number;
  cases: number; // integer cases generated
  x87Cases: number; // x87 cases generated (those of the forms claimed exact are kept)
  sseCases: number; // XMM form cases generated (sse-programs.ts)
  mmxCases: number; // cases of the forms on MM registers (mmx-programs.ts)
  approxCases: number; // RCPPS/RSQRTPS records (approx.ts), recorded with native/approx64.c
  runner: RunnerKind;
  command: string;
}

const RUNNER_NOTES: Record<RunnerKind, string> = {
  native32: 'test/cpu-diff/native/harness.c: every case in a 32-bit process',
  host64:
    'test/cpu-diff/native/harness64.c: the cases whose instruction is the same in 64-bit mode, re-encoded (long-mode.ts) ' +
    'and run in a 64-bit process; the forms only a 32-bit process can run are missing',
};

/** Runs the generated cases on the host CPU and writes them with its results under corpus/. */
export async function recordCorpus(o: RecordOptions): Promise<CorpusMeta> {
  const suites: { name: string; generated: string; gen: () => Generated[] }[] = [
    { name: 'integer', generated: `generateCases(${o.seed}, ${o.cases})`, gen: () => generateCases(o.seed, o.cases) },
    {
      name: 'x87',
      generated: `generateX87(${o.seed}, 0..${o.x87Cases - 1}), the forms of EXACT_X87`,
      gen: () => Array.from({ length: o.x87Cases }, (_, i) => generateX87(o.seed, i)).filter((g) => EXACT_X87.has(g.form.replace(/^x87 /, ''))),
    },
    {
      name: 'sse',
      generated: `generateSse(${o.seed}, 0..${o.sseCases - 1})`,
      gen: () => Array.from({ length: o.sseCases }, (_, i) => generateSse(o.seed, i)),
    },
    {
      name: 'mmx',
      generated: `generateMmx(${o.seed}, 0..${o.mmxCases - 1})`,
      gen: () => Array.from({ length: o.mmxCases }, (_, i) => generateMmx(o.seed, i)),
    },
    {
      name: 'fnsave',
      generated: 'fpu-programs.ts: the FPU view test programs with FNSAVE',
      gen: () => FPU_VIEW_CASES.map((p) => ({ case: fpuProgram(p.control, p.last, true), form: `FNSAVE after ${p.what}`, ignoreFlags: 0 })),
    },
  ];
  const host = await HostOracle.start(o.runner);
  const recorded: { name: string; generated: string; entries: Omit<Entry, 'suite' | 'index'>[]; notRun: Record<string, number> }[] = [];
  try {
    for (const s of suites) {
      const gen = s.gen();
      const outcomes = await host.run(gen.map((g) => g.case));
      const notRun: Record<string, number> = {};
      const entries: Omit<Entry, 'suite' | 'index'>[] = [];
      gen.forEach((g, i) => {
        const out = outcomes[i];
        if ('excluded' in out) notRun[out.excluded] = (notRun[out.excluded] ?? 0) + 1;
        else entries.push({ case: g.case, result: out.result, ignoreFlags: g.ignoreFlags, form: g.form });
      });
      recorded.push({ name: s.name, generated: s.generated, entries, notRun });
    }
  } finally {
    await host.close();
  }
  const contradicted = recorded.flatMap((s) =>
    Object.keys(s.notRun)
      .filter((why) => why.startsWith(RUN_SHOWED))
      .map((why) => `${s.name}: ${why} (${s.notRun[why]})`),
  );
  if (contradicted.length) throw new Error(`not recording: the 64-bit runs contradict long-mode.ts's rules:\n${contradicted.join('\n')}`);
  const forms = [...new Set(recorded.flatMap((s) => s.entries.map((e) => e.form)))].sort();
  const formIndex = new Map(forms.map((f, i) => [f, i]));
  mkdirSync(CORPUS_DIR, { recursive: true });
  for (const f of readdirSync(CORPUS_DIR)) if (f.endsWith('.br')) rmSync(`${CORPUS_DIR}${f}`);
  const meta: CorpusMeta = {
    format: 1,
    recorded: new Date().toISOString(),
    command: o.command,
    runner: o.runner,
    runnerNote: RUNNER_NOTES[o.runner],
    cpu: hostCpu(),
    kernel: release(),
    suites: recorded.map((s) => {
      const packed = encodeSuite(s.entries, formIndex);
      const file = `${s.name}.br`;
      writeFileSync(`${CORPUS_DIR}${file}`, packed);
      return {
        name: s.name,
        file,
        cases: s.entries.length,
        bytes: packed.length,
        sha256: createHash('sha256').update(packed).digest('hex'),
        generated: s.generated,
        notRun: s.notRun,
      };
    }),
    forms,
    ...(o.approxCases ? { approx: recordApprox(CORPUS_DIR, o.seed, o.approxCases) } : {}),
  };
  writeFileSync(`${CORPUS_DIR}meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** The forms the corpus should cover, and which of them it does. */
export function corpusCoverage(meta: CorpusMeta, entries: Entry[]): { wanted: string[]; hits: Map<string, number>; missing: string[]; native32Only: string[] } {
  const hits = new Map<string, number>();
  for (const e of entries) hits.set(e.form, (hits.get(e.form) ?? 0) + 1);
  const exactX87 = X87_FORMS.map((f) => f.id)
    .filter((id) => EXACT_X87.has(id))
    .map((id) => `x87 ${id}`);
  const fnsave = FPU_VIEW_CASES.map((p) => `FNSAVE after ${p.what}`);
  const sse = XMM_CASE_FORMS.map((f) => `sse ${f.id}`);
  const mmx = [...MMX_CASE_FORMS.map((f) => `mmx ${f.id}`), ...MM_X87_CASES];
  const wanted = [...GENERATED_IDS, ...exactX87, ...sse, ...mmx, ...fnsave];
  const only32 = new Set(NATIVE32_ONLY.map((f) => f.id));
  const absent = wanted.filter((id) => !hits.has(id));
  // What a 64-bit recording cannot hold is not missing from it, only from the proof.
  const native32Only = meta.runner === 'host64' ? absent.filter((id) => only32.has(id)) : [];
  return { wanted, hits, missing: absent.filter((id) => !native32Only.includes(id)), native32Only };
}

/** How to record the whole corpus on a host that runs 32-bit code. */
export function recordCommand(o: { seed: number; cases: number; x87Cases: number; sseCases: number; mmxCases: number; approxCases: number }): string {
  return `npm run cpu:diff -- --record --seed ${o.seed} --cases ${o.cases} --x87-cases ${o.x87Cases} --sse-cases ${o.sseCases} --mmx-cases ${o.mmxCases} --approx-cases ${o.approxCases}`;
}
