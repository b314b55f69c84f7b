// glassbox kernel run | check-config: a kernel test harness in the manner of
// virtme-ng's `vng --exec`: boot the user's kernel with glassbox's userland,
// run one command, exit with its status, or with a code and a report saying
// the kernel crashed, hung, or cannot run the userland.

import { type Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { checkMemoryMiB } from '../api/index.ts';
import { DEFAULT_KERNEL, DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import { projectPath } from '../paths.ts';
import { checkConfig, missingFromConsole } from '../testing/kernel-config.ts';
import { kernelMachineOptions, runKernel, type CrashReport, type KernelRunOptions, type KernelRunResult } from '../testing/kernel-run.ts';
import { runKernelPool } from '../testing/pool.ts';
import { parseKtap, summarize, toJUnit, type KtapReport } from '../testing/ktap.ts';
import { SystemMap } from '../testing/system-map.ts';
import { snapshotCacheDir } from '../api/snapshot-cache.ts';
import { guestRunning } from './sized-process.ts';

/** Exit statuses of `kernel run` besides the command's own (documented in the README). */
export const EXIT_KTAP_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_NO_USERLAND = 3;
export const EXIT_TIMEOUT = 124;
export const EXIT_CRASH = 125;

interface RunOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  memory: number;
  timeout: number;
  ktap?: boolean;
  junit?: string;
  trace?: boolean;
  console?: boolean;
  systemMap?: string;
  jobs: number;
  each?: string;
  snapshotOnCrash?: string;
  bootCache: boolean;
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function crashText(r: CrashReport, map?: SystemMap): string {
  const where = r.crash.function ?? (r.oops.registers.EIP !== undefined ? map?.symbolize(r.oops.registers.EIP) : undefined);
  const lines = [`glassbox: the kernel crashed: ${r.crash.kind}${where ? ` in ${where}` : ''}`, `  ${r.crash.headline}`];
  if (r.oops.instruction) lines.push(`  faulting instruction: ${r.oops.instruction.text}   (${r.oops.instruction.bytes})`);
  const regs = Object.entries(r.oops.registers).map(([k, v]) => `${k}=${hex(v)}`);
  if (regs.length) lines.push(`  registers (from the oops): ${regs.join(' ')}`);
  const cpu = r.cpu;
  const at = map?.symbolize(cpu.eip);
  lines.push(`  CPU now (inspector): EIP=${hex(cpu.eip)}${at ? ` (${at})` : ''} CPL=${cpu.cpl} ${cpu.code[0] ? cpu.code[0].text : ''}`);
  if (r.trace.length) {
    lines.push('  last trace records:');
    for (const t of r.trace) lines.push(`    ${t.kind.padEnd(9)} eip=${hex(t.eip)} a=${hex(t.a)}${t.irq ? ` ${t.irq}` : ''}`);
  }
  lines.push('  the kernel said:', ...r.crash.message.split('\n').map((l) => `  | ${l}`));
  return lines.join('\n') + '\n';
}

function ktapOf(result: KernelRunResult): KtapReport {
  const fromConsole = parseKtap(result.console);
  const fromCommand = result.outcome.how === 'exited' ? parseKtap(result.outcome.stdout) : { tests: [], problems: [] };
  return { tests: [...fromConsole.tests, ...fromCommand.tests], problems: [...fromConsole.problems, ...fromCommand.problems] };
}

/** What a run came to: its exit status, what the command printed, and glassbox's account of anything else. */
function explain(result: KernelRunResult, o: RunOptions, map?: SystemMap): { status: number; stdout: string; stderr: string; why?: string } {
  const out = result.outcome;
  switch (out.how) {
    case 'exited':
      return { status: out.exitCode, stdout: out.stdout, stderr: out.stderr };
    case 'crashed': {
      const missing = missingFromConsole(result.console);
      const hint = missing.length
        ? `  if this kernel should have run glassbox's userland, check it has ${missing.map((m) => `CONFIG_${m}`).join(', ')} (glassbox kernel check-config .config)\n`
        : '';
      const where = out.report.crash.function ? ` in ${out.report.crash.function}` : '';
      return { status: EXIT_CRASH, stdout: '', stderr: crashText(out.report, map) + hint, why: `kernel ${out.report.crash.kind}${where}` };
    }
    case 'reset':
      return {
        status: EXIT_CRASH,
        stdout: '',
        stderr: 'glassbox: the machine reset (a triple fault, or the kernel rebooted: panic=N reboots after a panic)\n',
        why: 'machine reset',
      };
    case 'timeout':
      return {
        status: EXIT_TIMEOUT,
        stdout: '',
        why: `timeout during ${out.during}`,
        stderr: `glassbox: no result within ${o.timeout} s of guest time (${out.during === 'boot' ? 'the guest agent never came up' : 'the command was still running'}); the console's last lines:\n${result.console.split('\n').slice(-10).join('\n')}\n`,
      };
    case 'no-userland':
      return {
        status: EXIT_NO_USERLAND,
        stdout: '',
        why: 'no userland',
        stderr: `glassbox: this kernel cannot run glassbox's userland: ${out.detail}${out.missing.length ? `\n  it looks like it lacks ${out.missing.map((m) => `CONFIG_${m}`).join(', ')} (check a .config with: glassbox kernel check-config .config)` : ''}\n`,
      };
  }
}

function systemMapFor(o: RunOptions): SystemMap | undefined {
  const file = o.systemMap ?? (o.kernel === undefined ? projectPath('guest-images', 'dist', 'System.map') : undefined);
  return file && existsSync(file) ? new SystemMap(readFileSync(file, 'utf8')) : undefined;
}

function runOptions(o: RunOptions, command: string | undefined): KernelRunOptions {
  return {
    kernel: o.kernel ?? DEFAULT_KERNEL,
    initrd: o.initrd,
    append: o.append,
    memoryMiB: o.memory,
    timeoutMs: o.timeout * 1000,
    command,
    trace: o.trace,
    onConsole: o.console ? (b) => process.stderr.write(b) : undefined,
    snapshotOnFailure: o.snapshotOnCrash !== undefined,
    bootCache: o.bootCache ? snapshotCacheDir() : undefined,
  };
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** The glassbox boot command that resumes the snapshot --snapshot-on-crash saved (it must name the same kernel, initrd and command line). */
function resumeCommand(o: RunOptions): string {
  const { cmdline } = kernelMachineOptions(runOptions(o, undefined));
  const words = ['glassbox', 'boot', '--snapshot', o.snapshotOnCrash!, '--clock', 'virtual'];
  if (o.kernel) words.push('--kernel', o.kernel);
  if (o.initrd) words.push('--initrd', o.initrd);
  if (o.memory !== DEFAULT_MEMORY_MIB) words.push('--memory', String(o.memory));
  words.push('--append', cmdline!);
  return words.map(shellWord).join(' ');
}

async function run(command: string[], o: RunOptions): Promise<number> {
  if (o.each && o.snapshotOnCrash) throw new InvalidArgumentError('--snapshot-on-crash saves one run; it does not go with --each');
  if (o.each) return runEach(o.each, o);
  if (!command.length && !o.ktap) throw new InvalidArgumentError('give a command after --, or --ktap to read the tests the kernel runs at boot');
  const result = await runKernel(runOptions(o, command.length ? command.join(' ') : undefined));
  const e = explain(result, o, systemMapFor(o));
  process.stdout.write(e.stdout);
  process.stderr.write(e.stderr);
  if (result.snapshot instanceof Uint8Array) {
    writeFileSync(o.snapshotOnCrash!, result.snapshot);
    process.stderr.write(`glassbox: the machine as it was then is saved in ${o.snapshotOnCrash}; look inside with:\n  ${resumeCommand(o)}\n`);
  } else if (result.snapshot) {
    process.stderr.write(`glassbox: no snapshot was saved: ${result.snapshot.error}\n`);
  }
  let status = e.status;
  if (o.ktap || o.junit) {
    const report = ktapOf(result);
    const s = summarize(report);
    process.stderr.write(`ktap: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.todo ? `, ${s.todo} todo` : ''}\n`);
    for (const f of s.failures) process.stderr.write(`  not ok: ${f}\n`);
    if (o.junit) writeFileSync(o.junit, toJUnit(report, 'glassbox kernel run'));
    if (status === 0 && (s.failed > 0 || s.passed + s.skipped + s.todo === 0)) status = EXIT_KTAP_FAILED;
  }
  return status;
}

/**
 * Each command in `file` (one a line; blank lines and # comments skipped) on
 * a fresh boot of the kernel, `--jobs` at a time, reported as TAP: `ok` for
 * status 0, `not ok` with the status or the kernel's failure otherwise.
 */
async function runEach(file: string, o: RunOptions): Promise<number> {
  const commands = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!commands.length) throw new InvalidArgumentError(`${file} lists no commands`);
  const map = systemMapFor(o);
  const lines: string[] = [];
  process.stdout.write(`TAP version 13\n1..${commands.length}\n`);
  let failed = 0;
  let printed = 0;
  await runKernelPool(
    commands.map((c) => ({ ...runOptions(o, c), onConsole: undefined })),
    o.jobs,
    (i, r) => {
      const title = `${i + 1} - ${commands[i]}`;
      if (r instanceof Error) {
        failed++;
        lines[i] = `not ok ${title} # ${r.message}\n`;
      } else {
        const e = explain(r, o, map);
        if (e.status !== 0) failed++;
        const guest = `${(r.guestMs / 1000).toFixed(1)} s guest`;
        lines[i] =
          e.status === 0
            ? `ok ${title} # ${guest}\n`
            : `not ok ${title} # ${e.why ?? `status ${e.status}`}, ${guest}\n${(e.stdout + e.stderr)
                .split('\n')
                .filter(Boolean)
                .map((l) => `#   ${l}\n`)
                .join('')}`;
      }
      // TAP wants results in order: print each as soon as all before it are known.
      while (lines[printed] !== undefined) process.stdout.write(lines[printed++]);
    },
  );
  process.stderr.write(`${commands.length - failed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

function checkConfigCommand(file: string): number {
  const problems = checkConfig(readFileSync(file, 'utf8'));
  if (!problems.length) {
    process.stdout.write(`${file}: has everything glassbox's userland needs\n`);
    return 0;
  }
  for (const p of problems) {
    process.stdout.write(
      `CONFIG_${p.need.option}${p.need.or ? ` (or ${p.need.or.map((o) => `CONFIG_${o}`).join(', ')})` : ''}: ${p.state === 'module' ? 'a module (the initramfs loads none): build it in' : 'not set'}; needed for ${p.need.for}: ${p.need.why}\n`,
    );
  }
  return problems.some((p) => p.need.for === 'boot') ? 1 : 0;
}

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number of seconds`);
  return n;
};

export function registerKernelCommands(program: Command, reporting: <A extends unknown[]>(f: (...a: A) => Promise<number>) => (...a: A) => Promise<void>): void {
  const kernel = program.command('kernel').description("test a kernel: boot it with glassbox's userland and run a command or its test suites");
  kernel
    .command('run')
    .description(
      "boot a kernel with glassbox's userland, run CMD through the guest agent, exit with its status (124: timeout, 125: kernel crash, 3: the kernel cannot run the userland)",
    )
    .argument('[command...]', 'the command line, after --')
    .option('--kernel <file>', `bzImage to test (default ${DEFAULT_KERNEL})`)
    .option('--initrd <file>', "initramfs (default: glassbox's, with its guest agent)")
    .option('--append <args>', "kernel arguments after glassbox's console ones")
    .option('--memory <MiB>', 'guest RAM in MiB', (v) => checkMemoryMiB(Number(v)), DEFAULT_MEMORY_MIB)
    .option('--timeout <seconds>', 'guest time for boot and command together', positive('--timeout'), 120)
    .option('--ktap', 'read KTAP/TAP results from the console and the command; any failing test fails the run')
    .option('--junit <file>', 'write the KTAP results as JUnit XML')
    .option('--trace', 'record system calls, exceptions and interrupts, and show the last of them in a crash report')
    .option('--console', 'copy the kernel console to stderr as it comes')
    .option('--no-boot-cache', "boot every time, instead of starting a command from this kernel's booted snapshot kept in $GLASSBOX_HOME/snapshots (made by the first run)")
    .option('--snapshot-on-crash <file>', 'when the kernel crashes or the deadline passes, save the machine to FILE (glassbox boot --snapshot FILE resumes it)')
    .option('--each <file>', 'run each command listed in FILE (one a line) on a fresh boot, and report them as TAP')
    .option(
      '--jobs <n>',
      'with --each: how many machines run at once (one per core by default)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--jobs must be a whole number from 1 up');
        return n;
      },
      cpus().length,
    )
    .option('--system-map <file>', "System.map for naming addresses in a crash report (default: the project kernel's, with the project kernel)")
    .action(reporting(guestRunning(run)));
  kernel
    .command('check-config')
    .description("list what a kernel .config lacks for glassbox's userland; exits 1 when it cannot boot it")
    .argument('<config>', 'the .config file')
    .action(reporting(async (file: string) => checkConfigCommand(file)));
}
