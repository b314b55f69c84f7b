// glassbox boot: boots a guest and attaches this terminal to its serial
// console (COM1). On a terminal, keys go to the guest raw and Ctrl-A X quits
// (Ctrl-A Ctrl-A sends a Ctrl-A), as in QEMU; with stdin not a terminal, its
// bytes are typed into the console and glassbox exits when the guest powers
// off, with status 0.

import { Command, InvalidArgumentError } from 'commander';
import { writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_KERNEL, DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB, FREED_PAGES_ZEROED } from '../boot/default-guest.ts';
import { Machine, checkMemoryMiB, nodePlatform, type ClockMode, type InputEvent } from '../api/index.ts';
import { QUIET_LIMIT_MS } from '../api/machine.ts';
import { KernelImageError } from '../boot/bzimage.ts';
import { isMultiboot } from '../boot/multiboot.ts';
import { RomImageError } from '../boot/firmware-rom.ts';
import { firmwareBoot } from './firmware-boot.ts';
import { runBareMetal } from '../machine/bare-metal.ts';
import { createCore } from '../core/load-node.ts';
import { nodeCodec } from '../snapshot/codec-node.ts';
import { decodeSnapshot } from '../snapshot/format.ts';
import { diffSnapshots } from '../snapshot/diff.ts';
import { registerImageCommands } from './images.ts';
import { registerRegistryCommands } from './registry.ts';
import { registerContainerCommands } from './containers.ts';
import { registerBenchCommands } from './bench.ts';
import { registerInspectCommands } from './inspect.ts';
import { registerKernelCommands } from './kernel.ts';
import { registerSystemCommands } from './system.ts';
import { STATE_BASE } from '../core-abi.ts';
import { guestRunning } from './sized-process.ts';

const CTRL_A = 0x01;
/** Instructions a Multiboot program may run before `glassbox boot` gives up on it. */
const MULTIBOOT_BUDGET = 10_000_000_000;

interface GuestOptions {
  kernel?: string;
  initrd?: string;
  append: string;
  memory: number;
}

interface BootOptions extends GuestOptions {
  clock: ClockMode;
  bios?: string;
  rom?: string;
  disk?: string;
  snapshot?: string;
  record?: string;
}

interface ExecOptions extends GuestOptions {
  timeout: number;
}

function memoryMiB(v: string): number {
  try {
    return checkMemoryMiB(Number(v));
  } catch {
    throw new InvalidArgumentError('give the guest RAM in MiB, from 16 to 2048');
  }
}

/** Seconds of guest time; 0 means no limit, as Machine.exec's timeoutMs 0 does. */
function seconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('give a number of seconds, e.g. 60 (0: no limit)');
  return n;
}

function clockMode(v: string): ClockMode {
  if (v !== 'virtual' && v !== 'realtime') throw new InvalidArgumentError('use "virtual" or "realtime"');
  return v;
}

const createMachine = (o: GuestOptions, clock: ClockMode) => Machine.create({ kernel: o.kernel, initrd: o.initrd, cmdline: o.append, memoryMiB: o.memory, clock });

/** Runs a bare-metal Multiboot program: its debug console (port 0xE9) and COM1 go to stdout. */
function bootMultiboot(image: Uint8Array, opts: BootOptions & { kernel: string }): number {
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

async function boot(opts: BootOptions, cmd: Command): Promise<number> {
  if (opts.bios !== undefined || opts.rom !== undefined || opts.disk !== undefined) {
    const linuxOnly = ['kernel', 'initrd', 'snapshot', 'record'].filter((o) => opts[o as keyof BootOptions] !== undefined);
    if (linuxOnly.length) throw new RomImageError(`--${linuxOnly[0]} loads Linux directly; it cannot be used with --bios, --rom or --disk`);
    if (opts.bios === undefined && opts.rom === undefined) throw new RomImageError('--disk needs --bios FILE, a BIOS to boot it (e.g. /usr/share/seabios/bios.bin)');
    return firmwareBoot(opts);
  }
  const image = opts.kernel === undefined ? undefined : await nodePlatform.read(opts.kernel, 'kernel');
  if (image && isMultiboot(image)) return bootMultiboot(image, { ...opts, kernel: opts.kernel! });
  // A snapshot brings its own command line and RAM size: only what was given is checked against it.
  const given = (name: string) => cmd.getOptionValueSource(name) !== 'default';
  const m =
    opts.snapshot === undefined
      ? await createMachine(opts, opts.clock)
      : await Machine.create({
          snapshot: opts.snapshot,
          kernel: opts.kernel,
          initrd: opts.initrd,
          clock: opts.clock,
          cmdline: given('append') ? opts.append : undefined,
          memoryMiB: given('memory') ? opts.memory : undefined,
        });
  if (opts.record !== undefined) {
    if (opts.snapshot === undefined || opts.clock !== 'virtual') throw new Error('--record needs --snapshot (where the recording starts) and --clock virtual');
    m.startRecording();
  }
  const tty = process.stdin.isTTY === true;
  let escaping = false;
  const finished = new Promise<number>((resolve) => {
    m.on('power', (state) => state === 'off' && resolve(0));
    process.stdin.on('data', (chunk: Buffer) => {
      for (const b of chunk) {
        if (tty && escaping) {
          escaping = false;
          if (b === 0x78 || b === 0x58)
            resolve(0); // x
          else if (b === CTRL_A) m.serial.write(Uint8Array.of(CTRL_A));
          continue;
        }
        if (tty && b === CTRL_A) escaping = true;
        else m.serial.write(Uint8Array.of(b));
      }
    });
  });
  m.serial.on('data', (bytes) => process.stdout.write(bytes));
  process.stdin.on('end', () => process.stdin.pause());
  if (tty) {
    process.stdin.setRawMode(true);
    process.stderr.write(`glassbox: ${opts.snapshot === undefined ? 'booting' : `resuming from ${opts.snapshot}`}; press Ctrl-A X to quit\r\n`);
  }
  try {
    m.start();
    const status = await finished;
    if (opts.record !== undefined) await writeRecording(opts.record, opts.snapshot!, m);
    return status;
  } finally {
    m.stop();
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}

/** A recording on disk: the inputs, which snapshot they start from, and the state they end in (SHA-256s). */
interface RecordingFile {
  glassboxRecording: 1;
  snapshot: string;
  final: string;
  events: InputEvent[];
}

const sha256 = (bytes: Uint8Array) => nodeCodec.sha256(bytes);

async function writeRecording(file: string, snapshot: string, m: Machine): Promise<void> {
  const events = m.recordedInput();
  const rec: RecordingFile = { glassboxRecording: 1, snapshot: await sha256(await nodePlatform.read(snapshot, 'snapshot')), final: await sha256(await m.snapshot()), events };
  await writeFile(file, JSON.stringify(rec));
  process.stderr.write(`glassbox: recorded ${events.length - 1} inputs to ${file}; the final state's SHA-256 is ${rec.final}\n`);
}

/** Replays a recording from its snapshot, console to stdout; exits 0 if it ends in the recorded state. */
async function replay(snapshot: string, recording: string): Promise<number> {
  const bytes = await nodePlatform.read(snapshot, 'snapshot');
  let rec: RecordingFile;
  try {
    rec = JSON.parse(await readFile(recording, 'utf8')) as RecordingFile;
  } catch (e) {
    throw new Error(`recording ${recording}: ${(e as Error).message}`);
  }
  if (rec.glassboxRecording !== 1 || !Array.isArray(rec.events)) throw new Error(`recording ${recording}: not a glassbox recording`);
  if (rec.snapshot !== (await sha256(bytes))) throw new Error(`recording ${recording} starts from another snapshot than ${snapshot}`);
  const m = await Machine.create({ snapshot: bytes, replay: rec.events, clock: 'virtual' });
  m.serial.on('data', (b) => process.stdout.write(b));
  const over = new Promise<void>((resolve) => {
    m.on('replayed', resolve);
    m.on('power', (s) => s === 'off' && resolve());
  });
  m.start();
  try {
    await over;
    if (m.replayError) throw m.replayError;
    const final = await sha256(await m.snapshot());
    const same = final === rec.final;
    process.stderr.write(
      `glassbox: replayed ${rec.events.length - 1} inputs to instruction ${m.instructions}: ${same ? 'the recorded final state' : `a final state other than the recorded one (SHA-256 ${final}, recorded ${rec.final})`}\n`,
    );
    return same ? 0 : 1;
  } finally {
    m.stop();
  }
}

/** Boots the guest in virtual-clock mode and runs one command through the agent on COM2. */
async function exec(command: string[], opts: ExecOptions): Promise<number> {
  const m = await createMachine(opts, 'virtual');
  m.start();
  try {
    const r = await m.exec(command.join(' '), { timeoutMs: opts.timeout * 1000 });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (r.timedOut) process.stderr.write(`glassbox: the command timed out after ${opts.timeout} s of guest time\n`);
    return r.exitCode;
  } finally {
    m.stop();
  }
}

/** Boots a guest (virtual clock) to its shell and agent, and writes its snapshot to `file`. */
async function snapshotCreate(file: string, opts: GuestOptions): Promise<number> {
  // Freed pages zeroed by the guest's allocator are left out of the file: a much smaller snapshot.
  const m = await createMachine({ ...opts, append: `${opts.append} ${FREED_PAGES_ZEROED}` }, 'virtual');
  m.start();
  try {
    await m.agentReady();
    // The shell sitting at its prompt (BusyBox asks the terminal for the cursor position after it).
    await m.waitFor(/[#$] (\x1b\[6n)?$/, { timeoutMs: 60_000 });
    const bytes = await m.snapshot();
    await writeFile(file, bytes);
    process.stderr.write(`glassbox: wrote ${file}: ${(bytes.length / 1048576).toFixed(1)} MiB, the guest at ${m.instructions} instructions\n`);
    return 0;
  } finally {
    m.stop();
  }
}

/** Prints what differs between two snapshot files. */
async function snapshotDiff(a: string, b: string, opts: { json?: boolean }): Promise<number> {
  const read = async (file: string) =>
    decodeSnapshot(await nodePlatform.read(file, 'snapshot'), nodeCodec).catch((e: Error) => {
      throw new Error(`snapshot ${file}: ${e.message}`);
    });
  const core = createCore(4096);
  const d = diffSnapshots(await read(a), await read(b), core.layoutText(), STATE_BASE);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(d)}\n`);
    return 0;
  }
  const ranges: string[] = [];
  for (let i = 0; i < d.pages.length; ) {
    let j = i;
    while (j + 1 < d.pages.length && d.pages[j + 1] === d.pages[j]! + 1) j++;
    ranges.push(`0x${(d.pages[i]! * 4096).toString(16)}-0x${((d.pages[j]! + 1) * 4096).toString(16)}`);
    i = j + 1;
  }
  process.stdout.write(
    `RAM: ${d.pages.length} pages differ${ranges.length ? `: ${ranges.slice(0, 40).join(' ')}${ranges.length > 40 ? ` and ${ranges.length - 40} more ranges` : ''}` : ''}\n`,
  );
  process.stdout.write(`CPU: ${d.cpu.length ? d.cpu.join(' ') : 'the same'}\n`);
  process.stdout.write(`devices: ${d.parts.length ? d.parts.join(', ') : 'the same'}\n`);
  return 0;
}

/** Runs a command's action; a bad image, bad options or an agent that never answered end it with a plain message and status 2. */
const reporting =
  <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
  async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (e) {
      process.stderr.write(`glassbox: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  };

const program = new Command('glassbox').description('a PC and container host emulated in software, that anyone can look inside');

program
  .command('boot')
  .description('boot a guest and attach this terminal to its serial console (Ctrl-A X quits)')
  .option('--kernel <file>', `bzImage (default ${DEFAULT_KERNEL}), or a Multiboot kernel run bare-metal with QEMU's debugcon and exit ports`)

  .option('--initrd <file>', "initramfs to load (the default guest's when --kernel is not given)")
  .option('--append <cmdline>', 'kernel command line', DEFAULT_CMDLINE)
  .option('--memory <MiB>', 'guest RAM in MiB', memoryMiB, DEFAULT_MEMORY_MIB)
  .option('--clock <mode>', 'virtual (deterministic) or realtime (paced to the wall clock)', clockMode, 'realtime')
  .option('--snapshot <file>', 'resume from a snapshot (glassbox snapshot create) instead of booting')
  .option('--record <file>', 'with --snapshot and --clock virtual: record the input to FILE, for glassbox replay')
  .option('--bios <file>', 'start a BIOS image (e.g. /usr/share/seabios/bios.bin) at the reset vector instead of loading Linux; its debug log and POST codes go to stderr')
  .option('--disk <image>', 'with --bios: a raw disk image on the primary IDE channel, which the BIOS boots')
  .option('--rom <file>', 'run a test ROM from the reset vector, showing its POST codes (port 0x80); exits 0 when it halts with interrupts off')
  .action(reporting(guestRunning(boot)));

program
  .command('replay')
  .description('replay a recording (glassbox boot --snapshot S --record R) from its snapshot; exits 0 if it ends in the recorded state, 1 if not')
  .argument('<snapshot>', 'the snapshot the recording starts from')
  .argument('<recording>', 'the recording')
  .action(reporting(guestRunning(replay)));

const snapshotCommand = program.command('snapshot').description('snapshots of a whole machine');

snapshotCommand
  .command('diff')
  .description('what differs between two snapshots of one machine: RAM pages, CPU state, device fields')
  .argument('<a>', 'a snapshot file')
  .argument('<b>', 'another snapshot file')
  .option('--json', 'as JSON')
  .action(reporting(snapshotDiff));

snapshotCommand
  .command('create')
  .description('boot a guest to its shell and agent (virtual clock) and write its snapshot to FILE; glassbox boot --snapshot FILE resumes it')
  .argument('<file>', 'the snapshot file to write')
  .option('--kernel <file>', `bzImage to boot (default ${DEFAULT_KERNEL})`)
  .option('--initrd <file>', "initramfs to load (the default guest's when --kernel is not given)")
  .option('--append <cmdline>', `kernel command line (${FREED_PAGES_ZEROED} is added)`, DEFAULT_CMDLINE)
  .option('--memory <MiB>', 'guest RAM in MiB', memoryMiB, DEFAULT_MEMORY_MIB)
  .action(reporting(guestRunning(snapshotCreate)));

// `glassbox exec NAME` is the container command (as in docker); a fresh guest's one-shot command is `glassbox guest exec`.
program
  .command('guest')
  .description('the default guest without the engine')
  .command('exec')
  .description('boot a fresh guest and run one command in it through the guest agent; exits with its status')
  .argument('<command...>', 'the command line, after --')
  .option('--kernel <file>', `bzImage to boot (default ${DEFAULT_KERNEL})`)
  .option('--initrd <file>', "initramfs to load (the default guest's when --kernel is not given)")
  .option('--append <cmdline>', 'kernel command line', DEFAULT_CMDLINE)
  .option('--memory <MiB>', 'guest RAM in MiB', memoryMiB, DEFAULT_MEMORY_MIB)
  .option('--timeout <seconds>', `guest time the command may take (0: no limit, but a guest idle for ${QUIET_LIMIT_MS / 60_000} minutes of guest time is reported)`, seconds, 60)
  .action(reporting(guestRunning(exec)));

registerImageCommands(program);
registerRegistryCommands(program);
registerContainerCommands(program);
registerBenchCommands(program);
registerInspectCommands(program);
registerKernelCommands(program, reporting);
registerSystemCommands(program);

// The event loop running empty before the command is done means nothing can
// ever finish it: the command waited on the guest without a deadline, and the
// guest went idle, with no timer armed or only its timer ticking for
// QUIET_LIMIT_MS (the machine parks it then). Node would end with status 13
// and not a word.
let done = false;
process.on('beforeExit', () => {
  if (done) return;
  process.stderr.write(
    `glassbox: the guest went idle (for ${QUIET_LIMIT_MS / 60_000} minutes of guest time it did nothing but keep time: no I/O, nothing from the command) and nothing more is coming from the host, so the command can never finish (a guest program blocked for good; one meant to wait that long needs a --timeout)\n`,
  );
  process.exit(2);
});

await program.parseAsync(process.argv);
done = true;
