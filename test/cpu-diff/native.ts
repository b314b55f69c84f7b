// The native oracles from TypeScript: builds native/harness.c (gcc -m32, a
// 32-bit process) or native/harness64.c (plain gcc, a 64-bit process for
// hosts that run no 32-bit code: long-mode.ts decides what it may run and
// re-encodes it) when needed, keeps one harness process running, and streams
// cases through it. Writing and reading run concurrently (the harness flushes
// its results before every read), so a batch of any size cannot deadlock the
// pipe.

import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Case, type Result, CASE_BYTES, RESULT_BYTES, encodeCase, decodeResult } from './case.ts';

/** Vectors the harness reports for a case that did not end in a CPU exception. */
export const VECTOR_REFUSED = 0xffffffff; // a system call (refused before the run, or stopped by seccomp)
export const VECTOR_TIMEOUT = 0xfffffffe; // still running after one scheduler tick (4 ms or more) of CPU time
export const VECTOR_BAD_CASE = 0xfffffffd; // a preset outside the case's pages
export const VECTOR_WIDE = 0xfffffffc; // harness64 only: the run left a register's upper half set (not a 32-bit outcome)

// Bytes 72..79 of a native result (spare in case.ts): FNV-1a of the case
// record as the harness ran it, xor its index in the stream; FNV-1a of the
// result's bytes 0..75, xor a magic word. A stream out of step, or a record a
// case's stray store changed inside the harness, fails loudly.
const RESULT_MAGIC = 0x6e617476;

function fnv1a(bytes: Uint8Array, from: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
const CHUNK_CASES = 4096;

/** The two harnesses: 'i386' runs every case as it is, 'x86_64' the re-encoded 64-bit-mode subset. */
export type HarnessKind = 'i386' | 'x86_64';

const native = (name: string) => fileURLToPath(new URL(`./native/${name}`, import.meta.url));
const SHARED_SOURCE = native('harness-core.h');
const COMMON_FLAGS = [
  '-O2',
  '-static',
  '-nostdlib',
  '-ffreestanding',
  '-fno-pie',
  '-no-pie',
  '-fno-stack-protector',
  '-fno-tree-loop-distribute-patterns',
  '-fno-asynchronous-unwind-tables',
  '-Wall',
  // Far from the case pages and from the edge values the generator likes
  // (0x7fffffff, 0x80000000...), so stray accesses rarely reach the harness.
  '-Wl,-Ttext-segment=0x36d00000',
  // Without a GNU-stack note the kernel gives a 32-bit process READ_IMPLIES_EXEC,
  // and the data pages would run as code instead of faulting.
  '-Wl,-z,noexecstack',
];
const HARNESSES: Record<HarnessKind, { source: string; path: string; flags: string[]; needs: string }> = {
  i386: {
    source: native('harness.c'),
    path: fileURLToPath(new URL('../../build/cpu-diff/harness', import.meta.url)),
    flags: ['-m32', ...COMMON_FLAGS],
    needs: 'gcc -m32 (install gcc-multilib: apt-get install -y gcc-multilib)',
  },
  x86_64: {
    source: native('harness64.c'),
    path: fileURLToPath(new URL('../../build/cpu-diff/harness64', import.meta.url)),
    flags: COMMON_FLAGS,
    needs: 'gcc for x86_64 (apt-get install -y gcc)',
  },
};
export const HARNESS_PATH = HARNESSES.i386.path;

/** Builds the harness if it is missing or older than its sources; returns its path. */
export function buildHarness(kind: HarnessKind = 'i386'): string {
  return buildNative(HARNESSES[kind], [SHARED_SOURCE]);
}

/** Builds the program `h.source` into `h.path` with gcc when missing or older than it (or `also`); returns its path. */
export function buildNative(h: { source: string; path: string; flags: string[]; needs: string }, also: string[] = []): string {
  const newest = Math.max(...[h.source, ...also].map((f) => statSync(f).mtimeMs));
  if (existsSync(h.path) && statSync(h.path).mtimeMs >= newest) return h.path;
  mkdirSync(dirname(h.path), { recursive: true });
  // Parallel test workers may build at once: each writes its own file, the rename is atomic.
  const tmp = `${h.path}.${process.pid}.tmp`;
  const r = spawnSync('gcc', [...h.flags, '-o', tmp, h.source], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? String(r.error) : r.stderr;
    throw new Error(`cannot build the native oracle with ${h.needs}:\n${why}`);
  }
  renameSync(tmp, h.path);
  return h.path;
}

type Proc = ChildProcessByStdio<Writable, Readable, Readable>;

interface Pending {
  out: Uint8Array;
  got: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class NativeOracle {
  private pending: Pending | undefined;
  private failure: Error | undefined;
  private stderrTail = '';
  private sent = 0; // cases written to the process so far: the index of the next one
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exited: Promise<void>;

  private constructor(private readonly proc: Proc) {
    proc.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-4000)));
    proc.stdin.on('error', () => {}); // EPIPE after a crash: reported through 'exit'
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        // Let the last stderr bytes arrive before describing the exit.
        setImmediate(() => {
          if (!this.failure && (this.pending || code !== 0)) {
            const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
            const at = this.pending ? ` while running case ${(this.pending.got / RESULT_BYTES) | 0} of the batch` : '';
            this.fail(new Error(`the native harness ${how}${at}${this.stderrTail ? `:\n${this.stderrTail}` : ''}`));
          }
          resolve();
        });
      });
    });
    proc.on('error', (e) => this.fail(e));
  }

  static async start(kind: HarnessKind = 'i386'): Promise<NativeOracle> {
    const bin = buildHarness(kind);
    const proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', reject);
    });
    return new NativeOracle(proc);
  }

  /** Runs the cases on the host CPU; calls are served one after another. */
  run(cases: Case[]): Promise<Result[]> {
    const next = this.queue.then(() => this.runNow(cases));
    this.queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    this.proc.stdin.end();
    await this.exited;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure);
  }

  private receive(chunk: Buffer): void {
    const p = this.pending;
    if (!p || p.got + chunk.length > p.out.length) {
      this.fail(new Error('the native harness sent more results than it was given cases'));
      this.proc.kill();
      return;
    }
    p.out.set(chunk, p.got);
    p.got += chunk.length;
    if (p.got === p.out.length) {
      this.pending = undefined;
      p.resolve();
    }
  }

  private async runNow(cases: Case[]): Promise<Result[]> {
    if (this.failure) throw this.failure;
    if (cases.length === 0) return [];
    const first = this.sent;
    const out = new Uint8Array(cases.length * RESULT_BYTES);
    const expected = new Uint32Array(cases.length); // what bytes 72..75 of each result must hold
    const done = new Promise<void>((resolve, reject) => (this.pending = { out, got: 0, resolve, reject }));
    const failed = done.then(() => new Promise<never>(() => {})); // settles only by rejecting, with `done`
    done.catch(() => {});
    failed.catch(() => {}); // both are still awaited below; these only keep Node from calling them unhandled
    for (let at = 0; at < cases.length; at += CHUNK_CASES) {
      const n = Math.min(CHUNK_CASES, cases.length - at);
      const buf = Buffer.alloc(n * CASE_BYTES);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let i = 0; i < n; i++) {
        encodeCase(cases[at + i], view, i * CASE_BYTES);
        expected[at + i] = (fnv1a(buf, i * CASE_BYTES, CASE_BYTES) ^ (first + at + i)) >>> 0;
      }
      this.sent += n;
      if (!this.proc.stdin.write(buf)) {
        await Promise.race([new Promise((resolve) => this.proc.stdin.once('drain', resolve)), failed]);
      }
    }
    await done;
    const view = new DataView(out.buffer);
    return cases.map((_, i) => {
      const at = i * RESULT_BYTES;
      if (view.getUint32(at + 72, true) !== expected[i]) {
        throw new Error(`native result ${i} of this batch is not for the case sent (the stream is out of step, or the case record was overwritten in the harness)`);
      }
      if (view.getUint32(at + 76, true) !== (fnv1a(out, at, 76) ^ RESULT_MAGIC) >>> 0) {
        throw new Error(`native result ${i} of this batch was overwritten inside the harness`);
      }
      return decodeResult(view, at);
    });
  }
}

/**
 * Runs one case with --dump: the u32 words of the data and stack pages it
 * changed on the host, one "address: before -> after" line each.
 */
export function nativeMemoryChanges(c: Case, kind: HarnessKind = 'i386'): string[] {
  const input = new Uint8Array(CASE_BYTES);
  encodeCase(c, new DataView(input.buffer), 0);
  const r = spawnSync(buildHarness(kind), ['--dump'], { input, encoding: 'buffer', timeout: 30_000 });
  if (r.error || r.status !== 0) throw new Error(`the native harness failed in --dump mode: ${r.error ?? r.stderr.toString()}`);
  return r.stderr
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim());
}
