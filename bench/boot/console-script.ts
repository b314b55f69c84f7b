import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';

// The fixed boot-and-workload script, typed on a serial console: the same for
// every emulator. Each phase ends with a marker the guest's shell computes,
// so the typed command's echo never satisfies it.

/** A guest's serial console as the benchmark drives it. */
export interface BenchConsole {
  write(text: string): void;
  /** Resolves once the console output after the previous wait matches `re`; returns that output. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
}

export interface Phase {
  name: string;
  command?: string;
  done: RegExp;
}

export const CMDLINE = 'console=ttyS0 tsc=reliable';
export const MEMORY_MIB = 256;
const FILE_BYTES = 4 << 20;

export const PHASES: Phase[] = [
  { name: 'boot to prompt', done: /\/ # / },
  // 4 MiB of real, compressible data that is the same in every guest: the busybox binary, repeated.
  { name: 'make a 4 MiB file', command: `cat /bin/busybox /bin/busybox /bin/busybox | head -c ${FILE_BYTES} > /tmp/f; echo made-$((40+2))`, done: /made-42/ },
  { name: 'md5sum + gzip 4 MiB', command: 'md5sum /tmp/f; gzip -c /tmp/f | wc -c; echo hashed-$((40+2))', done: /hashed-42/ },
  { name: 'shell loop x20000', command: 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo looped-$i', done: /looped-20000/ },
];

/** The phase whose output must be the same in every emulator. */
export const CHECKED = PHASES.find((p) => p.name.startsWith('md5sum'))!;

/** What CHECKED's output `out` (the console's text after the phase before it ended) says: the md5sum and the gzip size, '?' for what is not in it. */
export function workloadCheck(out: string): string {
  return (/[0-9a-f]{32}/.exec(out)?.[0] ?? '?') + ' ' + (/^\s*(\d+)\s*$/m.exec(out)?.[1] ?? '?');
}

export interface PhaseTimes {
  /** Wall milliseconds per phase, in PHASES order. */
  ms: number[];
  /** What the workload printed that must agree between emulators (md5sum, gzip size). */
  check: string;
}

/**
 * Runs the phases on a console that is booting from `startedAt`
 * (performance.now()); `after` is called at the end of each phase (to sample
 * an emulator's own counters per phase).
 */
export async function runPhases(con: BenchConsole, startedAt: number, timeoutMs: number, after?: (phase: Phase) => void): Promise<PhaseTimes> {
  const ms: number[] = [];
  let check = '';
  let from = startedAt;
  for (const p of PHASES) {
    if (p.command) con.write(p.command + '\n');
    const out = await con.waitFor(p.done, timeoutMs);
    const now = performance.now();
    ms.push(now - from);
    from = now;
    after?.(p);
    if (p === CHECKED) check = workloadCheck(out);
  }
  return { ms, check };
}

/** A BenchConsole over a byte stream: `feed` gets the emulator's output. */
export class StreamConsole implements BenchConsole {
  private text = '';
  private waiter?: { re: RegExp; resolve: (s: string) => void };

  constructor(readonly write: (text: string) => void) {}

  feed(bytes: Uint8Array | number[]): void {
    this.text += String.fromCharCode(...bytes);
    this.check();
  }

  waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${re} not seen within ${timeoutMs / 1000} s; last output: ${JSON.stringify(this.text.slice(-300))}`)), timeoutMs);
      this.waiter = { re, resolve: (s) => (clearTimeout(timer), resolve(s)) };
      this.check();
    });
  }

  private check(): void {
    const m = this.waiter?.re.exec(this.text);
    if (!m || !this.waiter) return;
    const end = m.index + m[0].length;
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(this.text.slice(0, end));
    this.text = this.text.slice(end);
  }
}

/**
 * qemu-system-i386 (TCG, MEMORY_MIB) booting `kernel` with the default
 * initrd and CMDLINE, its first serial port on a StreamConsole, no display or
 * monitor, exiting at a reboot; `extra` adds options (a machine type,
 * devices, a second serial port). `exited` rejects should QEMU end (saying
 * before what).
 */
export function spawnQemu(kernel: string, extra: string[], before: string): { q: ChildProcess; con: StreamConsole; exited: Promise<never> } {
  const args = ['-accel', 'tcg', '-m', String(MEMORY_MIB), '-kernel', kernel, '-initrd', DEFAULT_INITRD, '-append', CMDLINE];
  args.push('-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', ...extra);
  const q = spawn('qemu-system-i386', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<never>((_, reject) => q.on('exit', (code) => reject(new Error(`qemu-system-i386 exited (${code}) before ${before}`))));
  exited.catch(() => {});
  const con = new StreamConsole((t) => q.stdin!.write(t));
  q.stdout!.on('data', (b: Buffer) => con.feed(b));
  return { q, con, exited };
}
