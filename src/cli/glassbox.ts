// glassbox boot: boots a guest and attaches this terminal to its serial
// console (COM1). On a terminal, keys go to the guest raw and Ctrl-A X quits
// (Ctrl-A Ctrl-A sends a Ctrl-A), as in QEMU; with stdin not a terminal, its
// bytes are typed into the console and glassbox exits when the guest powers
// off, with status 0.

import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { parseBzImage, KernelImageError, type BzImage } from '../boot/bzimage.ts';
import { DEFAULT_KERNEL, DEFAULT_INITRD, DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import { SerialLink } from '../machine/serial-link.ts';
import { isMultiboot } from '../boot/multiboot.ts';
import { runBareMetal } from '../machine/bare-metal.ts';
import { GuestSession } from '../machine/guest-session.ts';
import { registerImageCommands } from './images.ts';
import { registerContainerCommands } from './containers.ts';
import { registerBenchCommands } from './bench.ts';
import { registerInspectCommands } from './inspect.ts';

const CTRL_A = 0x01;
/** Instructions a Multiboot program may run before `glassbox boot` gives up on it. */
const MULTIBOOT_BUDGET = 10_000_000_000;

interface BootOptions {
  kernel: string;
  initrd?: string;
  append: string;
  memory: number;
  clock: 'virtual' | 'realtime';
}

function readFile(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new KernelImageError(`${what} ${path} does not exist`);
  return new Uint8Array(readFileSync(path));
}

/** The kernel and initrd a command names, read and checked. */
function guestFiles(opts: { kernel: string; initrd?: string }): { kernel: BzImage; initrd?: Uint8Array } {
  return {
    kernel: parseBzImage(readFile(opts.kernel, 'kernel'), opts.kernel),
    initrd: opts.initrd ? readFile(opts.initrd, 'initrd') : undefined,
  };
}

function memoryMiB(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 16 || n > 2048) throw new InvalidArgumentError('give the guest RAM in MiB, from 16 to 2048');
  return n;
}

function clockMode(v: string): 'virtual' | 'realtime' {
  if (v !== 'virtual' && v !== 'realtime') throw new InvalidArgumentError('use "virtual" or "realtime"');
  return v;
}

/** Runs a bare-metal Multiboot program: its debug console (port 0xE9) and COM1 go to stdout. */
function bootMultiboot(image: Uint8Array, opts: BootOptions): number {
  if (opts.initrd) throw new KernelImageError(`${opts.kernel} is a Multiboot kernel; glassbox loads no Multiboot modules, so --initrd cannot be used with it`);
  // The program runs synchronously: write each line as it completes.
  const line: number[] = [];
  let closed = false;
  const flush = () => {
    if (closed || line.length === 0) return;
    try {
      writeSync(1, Uint8Array.from(line.splice(0)));
    } catch {
      closed = true; // the reader went away (a pipe into head, say): keep running, stop writing
    }
  };
  const write = (b: number) => {
    line.push(b);
    if (b === 10) flush();
  };
  const end = runBareMetal(image, opts.kernel, { memoryMiB: opts.memory, budget: MULTIBOOT_BUDGET, debugcon: write, serial: write });
  flush();
  switch (end.how) {
    case 'exit':
      return end.status & 0xff; // as QEMU's isa-debug-exit: (value << 1) | 1
    case 'reset':
      process.stderr.write('glassbox: the CPU reset (a triple fault)\n');
      return 1;
    case 'halted':
      return 0;
    case 'budget':
      process.stderr.write(`glassbox: still running after ${MULTIBOOT_BUDGET} instructions; stopped\n`);
      return 3;
  }
}

async function boot(opts: BootOptions): Promise<number> {
  const image = readFile(opts.kernel, 'kernel');
  if (isMultiboot(image)) return bootMultiboot(image, opts);
  const out: number[] = [];
  const m = new GuestSession({
    ...guestFiles(opts),
    cmdline: opts.append,
    memoryMiB: opts.memory,
    console: (byte) => out.push(byte),
  }).machine;

  const input = new SerialLink(m.com[0]);
  const tty = process.stdin.isTTY === true;
  let quit = false;
  let escape = false;
  if (tty) {
    process.stdin.setRawMode(true);
    process.stderr.write('glassbox: booting; press Ctrl-A X to quit\r\n');
  }
  process.stdin.on('data', (chunk: Buffer) => {
    for (const b of chunk) {
      if (tty && escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) quit = true; // x
        else if (b === CTRL_A) input.send([CTRL_A]);
        continue;
      }
      if (tty && b === CTRL_A) escape = true;
      else input.send([b]);
    }
  });
  process.stdin.on('end', () => process.stdin.pause());

  const start = performance.now();
  const flush = () => {
    if (out.length) process.stdout.write(Buffer.from(out.splice(0)));
  };
  try {
    while (!quit) {
      input.pump();
      const power = m.run(2_000_000);
      flush();
      if (power === 'off') return 0;
      if (opts.clock === 'realtime') {
        // Keep guest time from running ahead of the wall clock.
        const ahead = m.nowNs() / 1e6 - (performance.now() - start);
        if (ahead > 1) await new Promise((r) => setTimeout(r, Math.min(ahead, 50)));
      }
      // Let terminal input arrive; wait a little when the guest has nothing to do.
      await new Promise((r) => setTimeout(r, power === 'halted' && !input.pending ? 5 : 0));
    }
    return 0;
  } finally {
    flush();
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}

interface ExecOptions {
  kernel: string;
  initrd?: string;
  append: string;
  memory: number;
  timeout: number;
}

/** Boots the guest in virtual-clock mode and runs one command through the agent on COM2. */
async function exec(command: string[], opts: ExecOptions): Promise<number> {
  const session = new GuestSession({
    ...guestFiles(opts),
    cmdline: opts.append,
    memoryMiB: opts.memory,
  });
  await session.drive(session.agent.ready(), 'waiting for the guest agent');
  const r = await session.drive(session.agent.exec(command.join(' '), { timeoutMs: opts.timeout * 1000 }), command.join(' '));
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.timedOut) process.stderr.write(`glassbox: the command timed out after ${opts.timeout} s of guest time\n`);
  return r.signal ? 128 + r.signal : r.exitCode;
}

const program = new Command('glassbox').description('a PC and container host emulated in software, that anyone can look inside');

program
  .command('boot')
  .description('boot a guest and attach this terminal to its serial console (Ctrl-A X quits)')
  .option('--kernel <file>', 'bzImage, or a Multiboot kernel run bare-metal with QEMU\'s debugcon and exit ports', DEFAULT_KERNEL)
  .option('--initrd <file>', 'initramfs to load (the default guest\'s when --kernel is not given)')
  .option('--append <cmdline>', 'kernel command line', DEFAULT_CMDLINE)
  .option('--memory <MiB>', 'guest RAM in MiB', memoryMiB, DEFAULT_MEMORY_MIB)
  .option('--clock <mode>', 'virtual (deterministic) or realtime (paced to the wall clock)', clockMode, 'realtime')
  .action(async (o: BootOptions) => {
    if (o.initrd === undefined && o.kernel === DEFAULT_KERNEL) o.initrd = DEFAULT_INITRD;
    try {
      process.exitCode = await boot(o);
    } catch (e) {
      if (e instanceof KernelImageError) {
        process.stderr.write(`glassbox: ${e.message}\n`);
        process.exitCode = 2;
      } else {
        throw e;
      }
    }
  });

program
  .command('exec')
  .description('boot a guest and run one command in it through the guest agent; exits with its status')
  .argument('<command...>', 'the command line, after --')
  .option('--kernel <file>', 'bzImage to boot', DEFAULT_KERNEL)
  .option('--initrd <file>', 'initramfs to load (the default guest\'s when --kernel is not given)')
  .option('--append <cmdline>', 'kernel command line', DEFAULT_CMDLINE)
  .option('--memory <MiB>', 'guest RAM in MiB', memoryMiB, DEFAULT_MEMORY_MIB)
  .option('--timeout <seconds>', 'guest time the command may take', (v) => Number(v), 60)
  .action(async (command: string[], o: ExecOptions) => {
    if (o.initrd === undefined && o.kernel === DEFAULT_KERNEL) o.initrd = DEFAULT_INITRD;
    try {
      process.exitCode = await exec(command, o);
    } catch (e) {
      // A bad image, or an agent that never answered: say so plainly.
      process.stderr.write(`glassbox: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  });

registerImageCommands(program);
registerContainerCommands(program);
registerBenchCommands(program);
registerInspectCommands(program);

await program.parseAsync(process.argv);
