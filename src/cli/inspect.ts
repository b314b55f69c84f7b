// glassbox inspect VIEW: boots the default guest (virtual clock), waits for
// its agent, optionally runs a command in it, and prints one view of the
// inspection layer as a table, or as JSON with --json.

import { Command, InvalidArgumentError } from 'commander';
import { Machine } from '../api/index.ts';
import { DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import type { GuestShell } from '../containers/engine/guest-shell.ts';
import { readCpu } from '../inspect/cpu.ts';
import { readCounters, counterRates } from '../inspect/counters.ts';
import { walkAddress, addressSpaces, listMappings } from '../inspect/mmu.ts';
import { processTree, cgroupTree } from '../inspect/kernel.ts';
import { enableTrace, readTrace, traceCursor, traceLost, parseKinds, describe, TRACE_KINDS, type TraceKind } from '../inspect/trace.ts';
import { table } from './table.ts';

interface InspectOptions {
  json?: boolean;
  run?: string;
  memory: number;
}

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function address(v: string): number {
  const n = Number(v);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || n > 0xffffffff) throw new InvalidArgumentError('give a 32-bit address, decimal or 0x-prefixed hex');
  return n;
}

/** The default guest booted with its agent up, then paused: views read it still; sh runs it while a command runs. */
async function bootGuest(o: InspectOptions) {
  const machine = await Machine.create({ memoryMiB: o.memory });
  machine.start();
  await machine.agentReady();
  machine.pause();
  const shell: GuestShell = {
    async run(command, opts) {
      machine.resume();
      try {
        return await machine.exec(command, opts);
      } finally {
        machine.pause();
      }
    },
  };
  const sh = async (command: string) => {
    const r = await shell.run(command);
    if (r.exitCode !== 0) throw new Error(`guest command "${command}" failed with status ${r.exitCode}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  return { machine, m: machine.pc, sh, shell };
}

type Guest = Awaited<ReturnType<typeof bootGuest>>;

/** Boots, runs --run if given, and prints what `view` returns (JSON, or its own text). */
function viewCommand(view: (g: Guest, o: InspectOptions) => Promise<{ data: unknown; text: string }>) {
  return async (o: InspectOptions) => {
    try {
      const g = await bootGuest(o);
      if (o.run) await g.sh(o.run);
      const { data, text } = await view(g, o);
      process.stdout.write(o.json ? JSON.stringify(data, null, 2) + '\n' : text);
    } catch (e) {
      process.stderr.write(`glassbox: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  };
}

function cpuText(c: ReturnType<typeof readCpu>): string {
  const regs = Object.entries(c.registers).map(([n, v]) => `${n}=${hex(v)}`).join(' ');
  return [
    `mode ${c.mode}${c.paging ? ', paging' : ''}, cpl ${c.cpl}${c.halted ? ', halted' : ''}`,
    regs,
    `eip=${hex(c.eip)} eflags=${hex(c.eflags.value)} [${c.eflags.set.join(' ')}] iopl=${c.eflags.iopl}`,
    `cr0=${hex(c.cr.cr0)} cr2=${hex(c.cr.cr2)} cr3=${hex(c.cr.cr3)} cr4=${hex(c.cr.cr4)}`,
    `gdtr=${hex(c.gdtr.base)}/${c.gdtr.limit} idtr=${hex(c.idtr.base)}/${c.idtr.limit} dr7=${hex(c.dr[7])}`,
    '',
    table([['SEG', 'SELECTOR', 'BASE', 'LIMIT', 'ATTR', 'DPL'], ...c.segments.map((s) => [s.name, hex(s.selector).slice(6), hex(s.base), hex(s.limit), hex(s.attr).slice(4), String(s.dpl)])]),
    ...c.code.map((l) => `${hex(l.address)}  ${l.bytes.padEnd(16)} ${l.text}`),
    '',
  ].join('\n');
}

function countersText(c: ReturnType<typeof readCounters>): string {
  const rates = counterRates(c);
  const rate = (k: string) => (rates[k] === undefined ? '' : `${rates[k].toFixed(0)}/s`);
  const byKey = (r: Record<number, number>, fmt: (k: number) => string) => Object.entries(r).map(([k, v]) => `${fmt(+k)}:${v}`).join(' ');
  return table([
    ['COUNTER', 'VALUE', 'RATE (guest time)'],
    ['guest time', `${(c.guestNs / 1e9).toFixed(3)} s`, ''],
    ['halted', `${(c.haltedNs / 1e9).toFixed(3)} s`, ''],
    ['instructions', String(c.instructions), rate('instructions')],
    ['system calls (int 0x80)', String(c.syscalls.int80), rate('syscalls')],
    ['system calls (sysenter)', String(c.syscalls.sysenter), ''],
    ['user -> kernel', String(c.transitions.userToKernel), rate('userToKernel')],
    ['kernel -> user', String(c.transitions.kernelToUser), ''],
    ['exceptions', String(c.exceptions), rate('exceptions')],
    ['page faults', String(c.pageFaults), rate('pageFaults')],
    ['CR3 loads', String(c.cr3Loads), rate('cr3Loads')],
    ['TLB hits / misses / flushes', `${c.tlb.hits} / ${c.tlb.misses} / ${c.tlb.flushes}`, rate('tlbMisses')],
    ['HLT executed', String(c.hltInstructions), ''],
  ]) + `\nexceptions by vector: ${byKey(c.exceptionsByVector, String)}\n`
    + `interrupts by vector: ${byKey(c.interruptsByVector, (v) => '0x' + v.toString(16))}\n`
    + `port accesses: ${byKey(c.portAccesses, (p) => '0x' + p.toString(16))}\n`;
}

function traceText(events: ReturnType<typeof readTrace>): string {
  return events.map((e) => `${String(e.instructions).padStart(12)}  ${e.kind.padEnd(9)} eip=${hex(e.eip)} cr3=${hex(e.cr3)}  ${describe(e)}\n`).join('');
}

async function followTrace(g: Guest, kinds: TraceKind[], json: boolean): Promise<never> {
  let cursor = traceCursor(g.m);
  for (;;) {
    g.machine.step(2_000_000);
    const events = readTrace(g.m, cursor, kinds);
    cursor = traceCursor(g.m);
    process.stdout.write(json ? events.map((e) => JSON.stringify(e) + '\n').join('') : traceText(events));
    await new Promise((r) => setImmediate(r));
  }
}

export function registerInspectCommands(program: Command): void {
  const inspect = program
    .command('inspect')
    .description('boot the default guest (virtual clock) and print one view of the inspection layer');
  const view = (name: string, description: string) =>
    inspect
      .command(name)
      .description(description)
      .option('--json', 'print JSON instead of a table')
      .option('--run <command>', 'run this command in the guest (through the agent) before reading the view')
      .option('--memory <MiB>', 'guest RAM in MiB', (v) => Number(v), DEFAULT_MEMORY_MIB);

  view('cpu', 'registers, flags, mode, segment caches, control registers, disassembly at EIP')
    .action(viewCommand(async ({ m }) => {
      const c = readCpu(m.core);
      return { data: c, text: cpuText(c) };
    }));
  view('counters', 'event counters since power-on, with rates per second of guest time')
    .action(viewCommand(async ({ m }) => {
      const c = readCounters(m);
      return { data: { ...c, rates: counterRates(c) }, text: countersText(c) };
    }));
  view('mmu', 'walk a linear address through the page tables (as a user read unless told otherwise)')
    .argument('<address>', 'linear address', address)
    .option('--cr3 <value>', 'address space to walk (default: the current CR3)', address)
    .option('--write', 'walk as a write access')
    .option('--supervisor', 'walk as a kernel-mode access')
    .action((addr: number, o: InspectOptions & { cr3?: number; write?: boolean; supervisor?: boolean }) =>
      viewCommand(async ({ m }) => {
        const w = walkAddress(m.core, addr, { write: o.write === true, user: o.supervisor !== true }, o.cr3);
        const steps = table([['LEVEL', 'INDEX', 'ENTRY AT', 'ENTRY', 'FLAGS'], ...w.steps.map((s) => [
          s.level, String(s.index), hex(s.entryAddress), s.entry,
          [s.present ? 'P' : '-', s.writable ? 'W' : 'R', s.user ? 'U' : 'S', s.large ? 'large' : ''].join(' ').trim(),
        ])]);
        const end = w.fault ? `#PF error code ${hex(w.fault.errorCode).slice(8)}: ${w.fault.reason}` : `physical ${hex(w.physical!)} (${w.pageSize / 1024} KiB page)`;
        return { data: w, text: `${hex(w.linear)} under cr3 ${hex(w.cr3)} (${w.mode})\n${steps}${end}\n` };
      })(o));
  view('spaces', 'address spaces (CR3 values) loaded recently, with use counts and their user mappings')
    .action(viewCommand(async ({ m }) => {
      const spaces = addressSpaces(m.core).map((s) => ({ ...s, userMappings: listMappings(m.core, s.cr3).filter((x) => x.user) }));
      const kib = (s: (typeof spaces)[number]) => s.userMappings.reduce((a, x) => a + x.bytes, 0) / 1024;
      const text = table([['CR3', 'LOADS', 'CURRENT', 'USER MAPPED'], ...spaces.map((s) => [hex(s.cr3), String(s.loads), s.current ? '*' : '', `${kib(s)} KiB`])]);
      return { data: spaces, text };
    }));
  view('ps', 'guest processes with namespace inodes, cgroup and resident memory (through the agent)')
    .action(viewCommand(async ({ shell }) => {
      const procs = await processTree(shell);
      const text = table([['PID', 'PPID', 'NAME', 'RSS KiB', 'PID NS', 'UTS NS', 'MNT NS', 'NET NS', 'CGROUP'], ...procs.map((p) => [
        String(p.pid), String(p.ppid), p.name, String(p.rssKiB), String(p.ns.pid ?? ''), String(p.ns.uts ?? ''), String(p.ns.mnt ?? ''), String(p.ns.net ?? ''), p.cgroup,
      ])]);
      return { data: procs, text };
    }));
  view('cgroups', 'the guest\'s cgroup v2 tree with limits and usage (through the agent)')
    .action(viewCommand(async ({ shell }) => {
      const nodes = await cgroupTree(shell);
      const text = table([['CGROUP', 'PROCS', 'MEMORY', 'MEMORY.MAX', 'PIDS', 'PIDS.MAX', 'CPU.MAX'], ...nodes.map((n) => [
        n.path, String(n.procs), String(n.memoryCurrent ?? '-'), n.memoryMax ?? '-', String(n.pidsCurrent ?? '-'), n.pidsMax ?? '-', n.cpuMax ?? '-',
      ])]);
      return { data: nodes, text };
    }));
  view('containers', 'containers with their namespaces, cgroups and processes')
    .action(viewCommand(async () => {
      throw new Error('inspect does not attach to the engine process yet, and a guest booted for this command has no containers; the view exists as a library call (src/inspect/containers.ts); use "inspect ps" for namespaces');
    }));
  view('trace', 'events recorded while --run runs (or while the guest idles), filtered by kind')
    .option('--kind <kinds>', `comma-separated kinds: ${TRACE_KINDS.join(', ')}`, parseKinds, [...TRACE_KINDS])
    .option('--follow', 'keep the guest running and print events as they happen (Ctrl-C stops)')
    .action(async (o: InspectOptions & { kind: TraceKind[]; follow?: boolean }) => {
      try {
        const g = await bootGuest(o);
        enableTrace(g.m, o.kind);
        const since = traceCursor(g.m);
        if (o.follow) await followTrace(g, o.kind, o.json === true);
        if (o.run) await g.sh(o.run);
        else g.machine.step(10_000_000);
        const events = readTrace(g.m, since, o.kind);
        const n = traceLost(g.m, since);
        const lost = n ? `(${n} older events were overwritten in the ring)\n` : '';
        process.stdout.write(o.json ? JSON.stringify(events, null, 2) + '\n' : lost + traceText(events));
      } catch (e) {
        process.stderr.write(`glassbox: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
