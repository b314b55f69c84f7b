// npm run bench:cpu — CPU speed on fixed kernels, interpreted and with the
// translator to WebAssembly, against the same machine code run natively on
// the host CPU (where the host can run 32-bit code; else glassbox alone).
//
// The kernels (bench/kernels.asm) are assembled once with nasm; natively they
// run from an executable page (bench/native/run-kernel.c, gcc -m32), in
// glassbox from guest RAM in flat 32-bit protected mode. Instruction counts
// come from glassbox's own retired-instruction counter for the same run, so
// both sides are measured over the same work.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createCore } from '../src/core/load-node.ts';
import type { Core, JitMode } from '../src/core/core.ts';
import { native32 } from '../test/support/host-features.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const OUT = here('../build/bench/');
const KERNELS_SRC = here('./kernels.asm');
const RUNNER_SRC = here('./native/run-kernel.c');
const KERNELS_BIN = OUT + 'kernels.bin';
const RUNNER_BIN = OUT + 'run-kernel';

function stale(out: string, src: string): boolean {
  return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
}

function build(): void {
  mkdirSync(OUT, { recursive: true });
  try {
    if (stale(KERNELS_BIN, KERNELS_SRC)) execFileSync('nasm', ['-f', 'bin', '-o', KERNELS_BIN, KERNELS_SRC]);
  } catch {
    throw new Error('assembling bench/kernels.asm failed: install nasm (apt-get install nasm)');
  }
}

function buildNative(): void {
  try {
    if (stale(RUNNER_BIN, RUNNER_SRC)) execFileSync('gcc', ['-m32', '-O2', '-o', RUNNER_BIN, RUNNER_SRC]);
  } catch {
    throw new Error('building the native runner failed: install gcc-multilib (apt-get install gcc-multilib)');
  }
}

interface Kernel {
  name: string;
  index: number;
  iterations: number;
  bytesPerIteration?: number; // for REP kernels: report throughput in MB/s too
}

const KERNELS: Kernel[] = [
  { name: 'register ALU loop', index: 0, iterations: 20_000_000 },
  { name: 'memory-heavy loop', index: 1, iterations: 10_000_000 },
  { name: 'REP MOVSD 32 KiB', index: 2, iterations: 20_000, bytesPerIteration: 0x8000 },
  { name: 'REP STOSD 64 KiB', index: 3, iterations: 10_000, bytesPerIteration: 0x10000 },
  { name: 'calls between pages', index: 4, iterations: 5_000_000 },
];

const CODE = 0x10000;
const BUFFER = 0x100000;
const STACK_TOP = 0x90000;
const RETURN_TO = 0xf000; // holds HLT: the kernel's RET ends the run
const SLICE = 1_000_000;

function flatProtectedMode(core: Core): void {
  for (let s = 0; s < 6; s++) {
    core.setSegment(s, { selector: s === 1 ? 0x08 : 0x10, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
  }
  core.setCr(0, 0x11); // PE, ET
  core.cpl = 0;
  core.flushTlb();
}

async function runGlassbox(core: Core, bin: Uint8Array, k: Kernel): Promise<{ seconds: number; instructions: number }> {
  const entry = new DataView(bin.buffer, bin.byteOffset).getUint32(k.index * 4, true);
  core.ram.set(bin, CODE);
  core.ram[RETURN_TO] = 0xf4;
  core.ram.fill(1, BUFFER, BUFFER + 0x10000);
  core.ramWritten(0, BUFFER + 0x10000); // code translated from here by the last run goes
  flatProtectedMode(core);
  const view = new DataView(core.ram.buffer, core.ram.byteOffset);
  const sp = STACK_TOP - 12;
  view.setUint32(sp, RETURN_TO, true);
  view.setUint32(sp + 4, k.iterations, true);
  view.setUint32(sp + 8, BUFFER, true);
  core.setReg(4, sp);
  core.eip = CODE + entry;
  core.eflags = 2;
  core.halted = false;
  const before = core.instructions;
  const t0 = performance.now();
  let exit: number;
  // Slices with the event loop in between, as a machine runs: the translator
  // compiles in the background and installs a region between two run() calls.
  do {
    exit = core.run(SLICE);
    if (exit === 0) await new Promise((resolve) => setImmediate(resolve));
  } while (exit === 0);
  const seconds = (performance.now() - t0) / 1000;
  if (exit !== 1 || core.eip !== RETURN_TO + 1) throw new Error(`kernel ${k.name} ended with exit ${exit} at ${core.eip.toString(16)}`);
  return { seconds, instructions: Number(core.instructions - before) };
}

function runNative(k: Kernel): number {
  const ns = Number(
    execFileSync(RUNNER_BIN, [KERNELS_BIN, String(k.index), String(k.iterations)])
      .toString()
      .trim(),
  );
  return ns / 1e9;
}

/** Best of three (after a warm-up that lets the translator compile), so a busy machine skews the figures less. */
async function bestGlassbox(mode: JitMode, bin: Uint8Array, k: Kernel): Promise<{ seconds: number; instructions: number }> {
  const core = createCore(4 * 1024 * 1024);
  core.jit = mode;
  await runGlassbox(core, bin, { ...k, iterations: Math.max(1, Math.floor(k.iterations / 20)) });
  const runs = [await runGlassbox(core, bin, k), await runGlassbox(core, bin, k), await runGlassbox(core, bin, k)];
  return runs.reduce((best, r) => (r.seconds < best.seconds ? r : best));
}

async function main(): Promise<void> {
  build();
  const native = native32();
  if (native.ok) buildNative();
  else console.log(`native side skipped: ${native.reason}`);
  const bin = new Uint8Array(readFileSync(KERNELS_BIN));
  const fmt = (n: number, d = 1) => n.toFixed(d).padStart(9);
  console.log('kernel                   interp MIPS   translated MIPS   native MIPS   native/translated   interp MB/s   translated MB/s   native MB/s');
  for (const k of KERNELS) {
    const i = await bestGlassbox('off', bin, k);
    const t = await bestGlassbox('on', bin, k);
    if (i.instructions !== t.instructions) throw new Error(`${k.name}: ${i.instructions} instructions interpreted, ${t.instructions} translated`);
    const nativeSeconds = native.ok ? Math.min(runNative(k), runNative(k), runNative(k)) : NaN;
    const mips = (seconds: number) => (native.ok || Number.isFinite(seconds) ? fmt(t.instructions / seconds / 1e6) : '        -');
    let line = `${k.name.padEnd(24)} ${mips(i.seconds)}     ${mips(t.seconds)}         ${mips(nativeSeconds)}     ${native.ok ? fmt(t.seconds / nativeSeconds) + 'x' : '         -'}`;
    if (k.bytesPerIteration) {
      const bytes = k.bytesPerIteration * k.iterations;
      const mbs = (seconds: number) => (Number.isFinite(seconds) ? fmt(bytes / seconds / 1e6, 0) : '        -');
      line += `         ${mbs(i.seconds)}     ${mbs(t.seconds)}         ${mbs(nativeSeconds)}`;
    }
    console.log(line);
  }
  console.log('(REP kernels count one retired instruction per restart chunk; compare them by MB/s.)');
}

await main();
