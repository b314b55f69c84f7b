// Building a system test program and running it in QEMU and in glassbox, each
// run giving the debug-console text followed by one line saying how it ended.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../src/paths.ts';
import { runBareMetal, type BareMetalEnd } from '../../src/machine/bare-metal.ts';

export const TESTS_DIR = projectPath('test', 'system', 'tests');
const LIB_DIR = projectPath('test', 'system', 'lib');
const OUT_DIR = projectPath('build', 'system');
const MEMORY_MIB = 32;
const QEMU_TIMEOUT_MS = 20_000;
/** Enough for every test by a wide margin; a runaway program stops here. */
const GLASSBOX_BUDGET = 50_000_000;

/** Assembles DIR/NAME.asm (DIR: tests/ by default) into build/system/NAME.elf and returns that path. */
export function assemble(name: string, dir = TESTS_DIR): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const out = join(OUT_DIR, `${name}.elf`);
  execFileSync('nasm', ['-f', 'bin', '-I', `${LIB_DIR}/`, '-o', out, join(dir, `${name}.asm`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** How isa-debug-exit's status (V << 1 | 1, truncated to a process status) reads in both runs. */
function exitLine(status: number): string {
  return `[exit ${((status & 0xff) - 1) / 2}]`;
}

export function runQemu(elf: string): Promise<string> {
  const args = ['-nodefaults', '-display', 'none', '-no-reboot', '-m', String(MEMORY_MIB), '-debugcon', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-kernel', elf];
  return new Promise((resolve, reject) => {
    const q = spawn('qemu-system-i386', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      q.kill('SIGKILL');
    }, QEMU_TIMEOUT_MS);
    q.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    q.stderr.on('data', (d: Buffer) => (err += d.toString()));
    q.on('error', reject);
    q.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve(`${out}[timeout]\n`);
      if (code === 0) return resolve(`${out}[reset]\n`); // -no-reboot turns a triple fault into a clean exit
      if (code !== null && code % 2 === 1) return resolve(`${out}${exitLine(code)}\n`);
      reject(new Error(`qemu-system-i386 failed (status ${code}): ${err.trim()}`));
    });
  });
}

export function runGlassbox(elf: string): string {
  const bytes: number[] = [];
  const end: BareMetalEnd = runBareMetal(new Uint8Array(readFileSync(elf)), elf, {
    memoryMiB: MEMORY_MIB,
    budget: GLASSBOX_BUDGET,
    debugcon: (b) => bytes.push(b),
  });
  const text = Buffer.from(bytes).toString('latin1');
  if (end.how === 'exit') return `${text}${exitLine(end.status)}\n`;
  // A program that halts for good never exits; QEMU would sit there until the timeout.
  return `${text}[${end.how === 'reset' ? 'reset' : 'timeout'}]\n`;
}

/** Runs `jobs` with at most `limit` of them under way at once. */
export function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T>[] {
  const results: Promise<T>[] = [];
  let running = 0;
  const waiting: (() => void)[] = [];
  for (const job of jobs) {
    results.push(
      (async () => {
        if (running >= limit) await new Promise<void>((r) => waiting.push(r));
        running++;
        try {
          return await job();
        } finally {
          running--;
          waiting.shift()?.();
        }
      })(),
    );
  }
  return results;
}
