// The approximation records of the corpus (corpus/approx.br): what the host
// CPU's RCPPS, RCPSS, RSQRTPS and RSQRTSS returned for generated sources, so
// approx.ts's checks (glassbox and the recorded CPU both within the SDM's
// bound, special cases equal) run on any host. The exact references need no
// recording: they are binary64 division and square root, the same
// everywhere (the live run checks the host's against JavaScript's).
//
// A record (120 bytes): MXCSR, the source's and the destination's lanes
// (9 x u32), fromMemory, reg, rm (u8 each) and a zero byte, then per form
// the destination's lanes and MXCSR afterwards (4 x 5 x u32). Records are
// transposed (byte 0 of each, then byte 1...) before brotli, as corpus.ts does.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { APPROX_FORMS, generateApprox, hostApprox, checkApprox, type ApproxRecord, type ApproxOutcome, type ApproxReport } from './approx.ts';

const RECORD = 120;
export const APPROX_FILE = 'approx.br';

export interface ApproxMeta {
  file: string;
  records: number;
  bytes: number;
  sha256: string;
  generated: string;
}

function encode(records: ApproxRecord[], outcomes: ApproxOutcome[]): Buffer {
  const n = records.length;
  const rows = Buffer.alloc(n * RECORD);
  records.forEach((x, i) => {
    const at = i * RECORD;
    [x.csr, ...x.src, ...x.dst].forEach((w, k) => rows.writeUInt32LE(w >>> 0, at + k * 4));
    rows.writeUInt8(Number(x.fromMemory), at + 36);
    rows.writeUInt8(x.reg, at + 37);
    rows.writeUInt8(x.rm, at + 38);
    outcomes[i].forEach((o, k) => [...o.lanes, o.csr].forEach((w, j) => rows.writeUInt32LE(w >>> 0, at + 40 + (k * 5 + j) * 4)));
  });
  const columns = Buffer.alloc(4 + n * RECORD);
  columns.writeUInt32LE(n, 0);
  for (let i = 0; i < n; i++) for (let b = 0; b < RECORD; b++) columns[4 + b * n + i] = rows[i * RECORD + b];
  return brotliCompressSync(columns, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: columns.length } });
}

function decode(packed: Buffer): { records: ApproxRecord[]; outcomes: ApproxOutcome[] } {
  const columns = brotliDecompressSync(packed);
  const n = columns.readUInt32LE(0);
  if (columns.length !== 4 + n * RECORD) throw new Error(`corpus ${APPROX_FILE}: ${columns.length} bytes for ${n} records`);
  const rows = Buffer.alloc(n * RECORD);
  for (let i = 0; i < n; i++) for (let b = 0; b < RECORD; b++) rows[i * RECORD + b] = columns[4 + b * n + i];
  const records: ApproxRecord[] = [],
    outcomes: ApproxOutcome[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * RECORD;
    const w = (k: number) => rows.readUInt32LE(at + k * 4);
    records.push({
      csr: w(0),
      src: [w(1), w(2), w(3), w(4)],
      dst: [w(5), w(6), w(7), w(8)],
      fromMemory: rows[at + 36] === 1,
      reg: rows[at + 37],
      rm: rows[at + 38],
    });
    outcomes.push(APPROX_FORMS.map((_, k) => ({ lanes: [0, 1, 2, 3].map((j) => w(10 + k * 5 + j)), csr: w(10 + k * 5 + 4) })));
  }
  return { records, outcomes };
}

/** Runs `count` generated records on this host's CPU and writes them to `dir`. */
export function recordApprox(dir: string, seed: number, count: number): ApproxMeta {
  const records = Array.from({ length: count }, (_, i) => generateApprox(seed, i));
  const packed = encode(records, hostApprox(records).outcomes);
  writeFileSync(`${dir}${APPROX_FILE}`, packed);
  return {
    file: APPROX_FILE,
    records: count,
    bytes: packed.length,
    sha256: createHash('sha256').update(packed).digest('hex'),
    generated: `generateApprox(${seed}, 0..${count - 1})`,
  };
}

/** Checks glassbox and the recorded CPU against the contract for every recorded record. */
export function replayApprox(dir: string, meta: ApproxMeta): ApproxReport {
  const packed = readFileSync(`${dir}${meta.file}`);
  const sha = createHash('sha256').update(packed).digest('hex');
  if (sha !== meta.sha256) throw new Error(`corpus file ${meta.file} is not the one recorded (SHA-256 ${sha}, meta.json says ${meta.sha256})`);
  const { records, outcomes } = decode(packed);
  if (records.length !== meta.records) throw new Error(`corpus ${meta.file} holds ${records.length} records, meta.json says ${meta.records}`);
  return checkApprox(records, outcomes);
}
