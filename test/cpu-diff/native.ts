// The native oracle from TypeScript: builds harness.c with gcc -m32 when
// needed and runs batches of cases through it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Case, type Result, CASE_BYTES, RESULT_BYTES, encodeCase, decodeResult } from './case.ts';

const SOURCE = fileURLToPath(new URL('./native/harness.c', import.meta.url));
const BINARY = fileURLToPath(new URL('../../build/cpu-diff/harness', import.meta.url));

/** Builds the harness if it is missing or older than its source; returns its path. */
export function buildHarness(): string {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(fileURLToPath(new URL('../../build/cpu-diff/', import.meta.url)), { recursive: true });
  try {
    execFileSync('gcc', ['-m32', '-O2', '-no-pie', '-fno-pie', '-fno-stack-protector', '-o', BINARY, SOURCE], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new Error(`cannot build the native oracle with gcc -m32 (install gcc-multilib):\n${err}`);
  }
  return BINARY;
}

/** Runs cases on the host CPU. `dump` prints the changed memory words of each case on stderr. */
export function runNative(cases: Case[], dump = false): Result[] {
  const bin = buildHarness();
  const input = new Uint8Array(cases.length * CASE_BYTES);
  const view = new DataView(input.buffer);
  cases.forEach((c, i) => encodeCase(c, view, i * CASE_BYTES));
  const out = execFileSync(bin, dump ? ['--dump'] : [], {
    input,
    maxBuffer: cases.length * RESULT_BYTES + 1024,
    stdio: ['pipe', 'pipe', dump ? 'inherit' : 'pipe'],
  });
  if (out.length !== cases.length * RESULT_BYTES) {
    throw new Error(`native oracle returned ${out.length / RESULT_BYTES} results for ${cases.length} cases`);
  }
  const rv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return cases.map((_, i) => decodeResult(rv, i * RESULT_BYTES));
}
