// glassbox inspect VIEW: one view of the inspection layer, of the running
// engine's guest or of a guest booted for the command (inspect-target.ts),
// as text or as JSON with --json; the trace, streamed with --follow; and
// execution control (pause, step, break) that never outlives the command.
// glassbox inspect NAME, for a word that is not a view, is a container's
// details, as `glassbox container inspect NAME`.

import { type Command, InvalidArgumentError } from 'commander';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import type { NetView } from '../inspect/net.ts';
import { DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import { parseKinds, TRACE_KINDS, type TraceEvent, type TraceKind } from '../inspect/trace.ts';
import { VIEW_NAMES, type ViewRequest } from '../inspect/views.ts';
import { glassboxHome } from '../home.ts';
import { printFormatted } from './go-template.ts';
import { inspectView, type Inspected } from './docker-views.ts';
import { engineRunning } from '../daemon/client.ts';
import type { ControlCommand, ControlStop } from '../inspect/control-session.ts';
import { openInspectee, type Control, type Inspectee, type TargetOptions } from './inspect-target.ts';
import * as text from './inspect-text.ts';

interface Options extends TargetOptions {
  json?: boolean;
  run?: string;
}

function address(v: string): number {
  const n = Number(v);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || n > 0xffffffff) throw new InvalidArgumentError('give a 32-bit address, decimal or 0x-prefixed hex');
  return n;
}

function positive(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`give ${what}, a number above 0`);
    return n;
  };
}

/** Runs `body` against the inspected machine, printing a plain error with status 2 when it fails. */
async function withTarget(o: Options, body: (t: Inspectee) => Promise<void>): Promise<void> {
  let t: Inspectee | undefined;
  try {
    t = await openInspectee(o);
    await body(t);
  } catch (e) {
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 2;
  } finally {
    t?.close();
  }
}

function print(o: Options, data: unknown, asText: (d: never) => string): void {
  process.stdout.write(o.json ? JSON.stringify(data, null, 2) + '\n' : asText(data as never));
}

/** Prints where a control command left the CPU; a run to a breakpoint that timed out is status 1. */
function printStop(o: Options, s: ControlStop): void {
  print(o, s, text.stopText);
  if (s.reason === 'timeout') process.exitCode = 1;
}

/** The snapshot command as typed: where its file goes (the engine sends the bytes, this process writes them). */
interface SnapshotTo {
  cmd: 'snapshot';
  file: string;
}

function controlCommand(line: string): ControlCommand | SnapshotTo | 'resume' {
  const [word, arg, arg2] = line.trim().split(/\s+/);
  switch (word) {
    case 'snapshot':
      if (!arg) throw new InvalidArgumentError('snapshot needs the FILE to write');
      return { cmd: 'snapshot', file: arg };
    case 'cpu':
      return { cmd: 'cpu' };
    case 'step':
      return { cmd: 'step', count: arg ? positive('a count of instructions')(arg) : 1 };
    case 'break':
      return { cmd: 'break', address: address(arg ?? ''), timeoutMs: (arg2 ? positive('seconds')(arg2) : 30) * 1000 };
    case 'resume':
    case 'continue':
    case 'quit':
      return 'resume';
    default:
      throw new InvalidArgumentError(`unknown command "${line.trim()}": use step [N], break ADDR [SECONDS], cpu, snapshot FILE, or resume`);
  }
}

/** Writes the paused guest's snapshot to `file` (glassbox snapshot diff compares two). */
async function writeSnapshot(control: Control, file: string): Promise<void> {
  const s = await control.do({ cmd: 'snapshot' });
  const bytes = Buffer.from(s.snapshot!, 'base64');
  writeFileSync(file, bytes);
  process.stderr.write(`glassbox: wrote ${file}: ${(bytes.length / 1048576).toFixed(1)} MiB, the guest at ${s.instructions} instructions\n`);
}

/** The guest paused while commands are read from stdin; it runs on at "resume", end of input, or exit. */
async function pauseSession(t: Inspectee, o: Options): Promise<void> {
  const { control, stop } = await t.control();
  try {
    print(o, stop, text.stopText);
    const tty = process.stdin.isTTY === true;
    const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, prompt: '(paused) ' });
    if (tty) rl.prompt();
    for await (const line of rl) {
      if (!line.trim()) continue;
      let cmd: ControlCommand | SnapshotTo | 'resume';
      try {
        cmd = controlCommand(line);
      } catch (e) {
        process.stderr.write(`glassbox: ${(e as Error).message}\n`);
        if (tty) rl.prompt();
        continue;
      }
      if (cmd === 'resume') break;
      if ('file' in cmd) await writeSnapshot(control, cmd.file).catch((e: Error) => process.stderr.write(`glassbox: ${e.message}\n`));
      else printStop(o, await control.do(cmd));
      if (tty) rl.prompt();
    }
    rl.close();
  } finally {
    control.close();
  }
}

async function once(t: Inspectee, o: Options, cmd: ControlCommand): Promise<void> {
  const { control } = await t.control();
  try {
    printStop(o, await control.do(cmd));
  } finally {
    control.close();
  }
}

export function registerInspectCommands(program: Command): void {
  const inspect = program
    .command('inspect')
    .description("inspect the running engine's guest (or a guest booted for the command): a view, the trace, execution control, or a container by NAME");
  const command = (name: string, description: string) =>
    inspect
      .command(name)
      .description(description)
      .option('--json', 'print JSON instead of text')
      .option('--fresh', 'boot a guest for this command even if an engine runs')
      .option('--engine', "inspect only the engine's guest: fail if no engine runs")
      .option('--memory <MiB>', 'guest RAM in MiB, for a guest booted for this command', (v) => Number(v), DEFAULT_MEMORY_MIB);
  const view = (name: string, description: string, asText: (d: never) => string, request: (o: never) => ViewRequest) =>
    command(name, description)
      .option('--run <command>', 'run this command in the guest (through the agent) before reading the view')
      .action((o: Options) => withTarget(o, async (t) => print(o, await t.view(request(o as never), o.run), asText)));

  view('cpu', 'registers, flags, mode, segment caches, control registers, disassembly at EIP', text.cpuText, () => ({ view: 'cpu' }));
  view('fpu', 'x87 control, status and tag words, the register stack ST0-ST7, last instruction and operand', text.fpuText, () => ({ view: 'fpu' }));
  view('counters', 'event counters since power-on, with rates between two samples', text.countersText, (o: { interval: number }) => ({
    view: 'counters',
    intervalMs: o.interval,
  })).option('--interval <ms>', 'wall time between the two samples the rates come from', positive('milliseconds'), 1000);
  view('spaces', 'address spaces (CR3 values) loaded recently, with use counts and their user mappings', text.spacesText, () => ({ view: 'spaces' }));
  view('ps', 'guest processes with namespace inodes, cgroup and resident memory (through the agent)', text.psText, () => ({ view: 'ps' }));
  view('cgroups', "the guest's cgroup v2 tree with limits and usage (through the agent)", text.cgroupsText, () => ({ view: 'cgroups' }));
  view('containers', "the engine's containers with their namespaces, cgroups and processes", text.containersText, () => ({ view: 'containers' }));
  view('virtio', "the virtio devices' queues: requests waiting and in flight, bytes each way, service time", text.virtioText, () => ({ view: 'virtio' }));
  command('net', "the network card's and each container's packet counters; --pcap FILE captures the card's frames for a while")
    .option('--pcap <file>', 'write the frames both ways as a pcap file (Wireshark, tshark)')
    .option('--seconds <n>', 'with --pcap: capture this long', positive('seconds'), 5)
    .option('--run <command>', 'run this command in the guest (through the agent) before reading the view')
    .action((o: Options & { pcap?: string; seconds: number }) =>
      withTarget(o, async (t) => {
        const v = (await t.view({ view: 'net', pcapSeconds: o.pcap ? o.seconds : undefined }, o.run)) as NetView;
        if (o.pcap && v.pcap) writeFileSync(o.pcap, Buffer.from(v.pcap, 'base64'));
        print(o, { ...v, pcap: o.pcap }, text.netText);
      }),
    );
  command('mmu', 'walk a linear address through the page tables (as a user read unless told otherwise)')
    .argument('<address>', 'linear address', address)
    .option('--cr3 <value>', 'address space to walk (default: the current CR3)', address)
    .option('--write', 'walk as a write access')
    .option('--supervisor', 'walk as a kernel-mode access')
    .option('--run <command>', 'run this command in the guest (through the agent) before the walk')
    .action((addr: number, o: Options & { cr3?: number; write?: boolean; supervisor?: boolean }) =>
      withTarget(o, async (t) => print(o, await t.view({ view: 'mmu', address: addr, cr3: o.cr3, write: o.write, supervisor: o.supervisor }, o.run), text.mmuText)),
    );

  command('trace', 'system calls, exceptions, IRQs, port I/O, CR3 loads and mode switches as they happen')
    .option('--kind <kinds>', `comma-separated kinds: ${TRACE_KINDS.join(', ')}`, parseKinds, [...TRACE_KINDS])
    .option('--run <command>', 'record while this guest command runs')
    .option('--seconds <n>', 'without --run: record this long', positive('seconds'), 1)
    .option('--follow', 'print events as they happen until Ctrl-C')
    .action((o: Options & { kind: TraceKind[]; seconds: number; follow?: boolean }) =>
      withTarget(o, async (t) => {
        const events: TraceEvent[] = [];
        let lost = 0;
        const listener = o.follow
          ? (e: TraceEvent[], n: number) => process.stdout.write(o.json ? e.map((x) => JSON.stringify(x) + '\n').join('') : text.traceText(e, n))
          : (e: TraceEvent[], n: number) => ((lost += n), events.push(...e));
        // Following ends with Ctrl-C, which ends this process: the engine sees the connection close.
        await t.trace({ kinds: o.kind, run: o.run, seconds: o.seconds, follow: o.follow === true }, listener);
        if (!o.follow) process.stdout.write(o.json ? JSON.stringify({ events, lost }, null, 2) + '\n' : text.traceText(events, lost));
      }),
    );

  command('pause', 'pause the guest and read commands from stdin (step [N], break ADDR [SECONDS], cpu, snapshot FILE, resume); it runs on when this command ends').action(
    (o: Options) => withTarget(o, (t) => pauseSession(t, o)),
  );
  command('step', 'execute N instructions with the guest paused, show where the CPU is, and let it run on')
    .argument('[count]', 'instructions', positive('a count of instructions'), 1)
    .action((count: number, o: Options) => withTarget(o, (t) => once(t, o, { cmd: 'step', count })));
  command('break', 'run the guest to a linear-address breakpoint, show the CPU there, and let it run on (status 1 if not reached in time)')
    .argument('<address>', 'linear address', address)
    .option('--timeout <seconds>', 'wall time to wait for the breakpoint', positive('seconds'), 30)
    .action((addr: number, o: Options & { timeout: number }) => withTarget(o, (t) => once(t, o, { cmd: 'break', address: addr, timeoutMs: o.timeout * 1000 })));

  inspect
    .command('container', { isDefault: true, hidden: true })
    .argument('[name]', 'a container of the engine, by name or ID prefix')
    .option('-f, --format <template>', "Docker's inspect fields through a Go template, e.g. {{.State.Status}} (as glassbox container inspect -f)")
    .action(async (name: string | undefined, o: { format?: string }) => {
      if (name === undefined) return inspect.help();
      if (!(await engineRunning(glassboxHome()))) {
        process.stderr.write(
          `glassbox: "${name}" is not a view (${[...VIEW_NAMES, 'trace', 'pause', 'step', 'break'].join(', ')}), and no engine is running in ${glassboxHome()} to have a container of that name\n`,
        );
        process.exitCode = 2;
        return;
      }
      await withTarget({ engine: true, memory: DEFAULT_MEMORY_MIB }, async (t) => {
        const c = await t.container(name);
        if (o.format) printFormatted(o.format, {}, [inspectView(c as Inspected)]);
        else process.stdout.write(JSON.stringify(c, null, 2) + '\n');
      });
    });
}
