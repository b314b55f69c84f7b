// The inspection views as text for a terminal: one formatter per view, over
// the same JSON that --json prints.

import type { CpuView } from '../inspect/cpu.ts';
import type { FpuView } from '../inspect/fpu.ts';
import type { counterRates, CountersView } from '../inspect/counters.ts';
import type { MmuWalk, Mapping, AddressSpace } from '../inspect/mmu.ts';
import type { GuestProcess, CgroupNode } from '../inspect/kernel.ts';
import type { ContainerView } from '../inspect/containers.ts';
import { EXCEPTION_MNEMONICS } from '../inspect/names.ts';
import { describe, type TraceEvent } from '../inspect/trace.ts';
import type { ControlStop } from '../inspect/control-session.ts';
import { table } from './table.ts';
import type { NetView } from '../inspect/net.ts';
import type { VirtioDeviceView } from '../inspect/virtio.ts';

export const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function cpuText(c: CpuView): string {
  const regs = Object.entries(c.registers)
    .map(([n, v]) => `${n}=${hex(v)}`)
    .join(' ');
  return [
    `mode ${c.mode}${c.paging ? ', paging' : ''}, cpl ${c.cpl}${c.halted ? ', halted' : ''}`,
    regs,
    `eip=${hex(c.eip)} eflags=${hex(c.eflags.value)} [${c.eflags.set.join(' ')}] iopl=${c.eflags.iopl}`,
    `cr0=${hex(c.cr.cr0)} cr2=${hex(c.cr.cr2)} cr3=${hex(c.cr.cr3)} cr4=${hex(c.cr.cr4)}`,
    `gdtr=${hex(c.gdtr.base)}/${c.gdtr.limit} idtr=${hex(c.idtr.base)}/${c.idtr.limit} dr7=${hex(c.dr[7])}`,
    '',
    table([
      ['SEG', 'SELECTOR', 'BASE', 'LIMIT', 'ATTR', 'DPL'],
      ...c.segments.map((s) => [s.name, hex(s.selector).slice(6), hex(s.base), hex(s.limit), hex(s.attr).slice(4), String(s.dpl)]),
    ]),
    // before EIP: reconstructed by decoding forward from earlier bytes (src/inspect/cpu.ts)
    ...c.codeBefore.map((l) => `  ${hex(l.address)}  ${l.bytes.padEnd(16)} ${l.text}`),
    ...c.code.map((l, i) => `${i === 0 ? '>' : ' '} ${hex(l.address)}  ${l.bytes.padEnd(16)} ${l.text}`),
    '',
  ].join('\n');
}

export function fpuText(f: FpuView): string {
  const w = (v: number) => '0x' + v.toString(16).padStart(4, '0');
  const cc = ['c0', 'c1', 'c2', 'c3'].filter((k) => f.status[k as 'c0']).join(' ');
  return [
    `control ${w(f.control.value)}: masked [${f.control.masked.join(' ')}], precision ${f.control.precision}, rounding ${f.control.rounding}`,
    `status  ${w(f.status.value)}: top ${f.status.top}, raised [${f.status.raised.join(' ')}]${f.status.stackFault ? ', stack fault' : ''}` +
      `${f.status.errorSummary ? ', error summary' : ''}${cc ? `, ${cc}` : ''}`,
    `tag     ${w(f.tag.value)}`,
    `last instruction ${w(f.lastInstruction.cs)}:${hex(f.lastInstruction.ip)} opcode ${w(f.lastInstruction.opcode)}, last operand ${w(f.lastOperand.ds)}:${hex(f.lastOperand.offset)}`,
    '',
    table([['ST', 'R', 'TAG', 'VALUE', '80-BIT'], ...f.stack.map((r) => [`ST${r.st}`, `R${r.physical}`, r.tag, r.tag === 'empty' ? '' : r.text, r.extended])]),
  ].join('\n');
}

export function countersText(c: CountersView & { rates: ReturnType<typeof counterRates>; intervalGuestNs: number }): string {
  const rate = (k: string) => (c.rates[k] === undefined ? '' : `${c.rates[k].toFixed(0)}/s`);
  const byKey = (r: Record<number, number>, fmt: (k: number) => string) =>
    Object.entries(r)
      .map(([k, v]) => `${fmt(+k)}:${v}`)
      .join(' ');
  return (
    table([
      ['COUNTER', 'VALUE', `RATE (over the last ${(c.intervalGuestNs / 1e9).toFixed(3)} s of guest time)`],
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
    ]) +
    `\nexceptions by vector: ${byKey(c.exceptionsByVector, (v) => `${v}${EXCEPTION_MNEMONICS[v] ? ` ${EXCEPTION_MNEMONICS[v]}` : ''}`)}\n` +
    `interrupts by vector: ${byKey(c.interruptsByVector, (v) => `0x${v.toString(16)}${c.interruptNames[v] ? ` ${c.interruptNames[v]}` : ''}`)}\n\n` +
    table([['PORT', 'DEVICE AND REGISTER', 'ACCESSES'], ...Object.entries(c.portAccesses).map(([p, n]) => ['0x' + (+p).toString(16), c.portNames[+p] ?? '', String(n)])]) +
    '\n'
  );
}

export function mmuText(w: MmuWalk): string {
  const steps = table([
    ['LEVEL', 'INDEX', 'ENTRY AT', 'ENTRY', 'FLAGS'],
    ...w.steps.map((s) => [
      s.level,
      String(s.index),
      hex(s.entryAddress),
      s.entry,
      [s.present ? 'P' : '-', s.writable ? 'W' : 'R', s.user ? 'U' : 'S', s.large ? 'large' : ''].join(' ').trim(),
    ]),
  ]);
  const end = w.fault ? `#PF error code ${hex(w.fault.errorCode).slice(8)}: ${w.fault.reason}` : `physical ${hex(w.physical!)} (${w.pageSize / 1024} KiB page)`;
  return `${hex(w.linear)} under cr3 ${hex(w.cr3)} (${w.mode})\n${steps}${end}\n`;
}

export function spacesText(spaces: (AddressSpace & { userMappings: Mapping[] })[]): string {
  const kib = (s: (typeof spaces)[number]) => s.userMappings.reduce((a, x) => a + x.bytes, 0) / 1024;
  return table([['CR3', 'LOADS', 'CURRENT', 'USER MAPPED'], ...spaces.map((s) => [hex(s.cr3), String(s.loads), s.current ? '*' : '', `${kib(s)} KiB`])]);
}

export function psText(procs: GuestProcess[]): string {
  return table([
    ['PID', 'PPID', 'NAME', 'RSS KiB', 'PID NS', 'UTS NS', 'MNT NS', 'NET NS', 'CGROUP'],
    ...procs.map((p) => [
      String(p.pid),
      String(p.ppid),
      p.name,
      String(p.rssKiB),
      String(p.ns.pid ?? ''),
      String(p.ns.uts ?? ''),
      String(p.ns.mnt ?? ''),
      String(p.ns.net ?? ''),
      p.cgroup,
    ]),
  ]);
}

export function cgroupsText(nodes: CgroupNode[]): string {
  return table([
    ['CGROUP', 'PROCS', 'MEMORY', 'MEMORY.MAX', 'PIDS', 'PIDS.MAX', 'CPU.MAX'],
    ...nodes.map((n) => [n.path, String(n.procs), String(n.memoryCurrent ?? '-'), n.memoryMax ?? '-', String(n.pidsCurrent ?? '-'), n.pidsMax ?? '-', n.cpuMax ?? '-']),
  ]);
}

export function containersText(views: ContainerView[]): string {
  if (!views.length) return 'no containers\n';
  return views
    .map((v) => {
      const ns = Object.entries(v.namespaces).map(([k, n]) => [k, String(n.container ?? '-'), String(n.guest ?? '-')]);
      const procs = v.processes.map((p) => [String(p.pidInContainer), String(p.pidInGuest), p.name, String(p.rssKiB)]);
      return (
        `${v.name} (${v.id.slice(0, 12)}, ${v.image}): ${v.status}\n` +
        `cgroup ${v.cgroup?.path ?? '-'}: memory ${v.cgroup?.memoryCurrent ?? '-'} of ${v.cgroup?.memoryMax ?? '-'}, pids ${v.cgroup?.pidsCurrent ?? '-'} of ${v.cgroup?.pidsMax ?? '-'}\n` +
        table([['NAMESPACE', 'CONTAINER', 'GUEST'], ...ns]) +
        (procs.length ? table([['PID INSIDE', 'PID IN GUEST', 'NAME', 'RSS KiB'], ...procs]) : '')
      );
    })
    .join('\n');
}

export function traceText(events: TraceEvent[], lost: number): string {
  const gap = lost ? `(${lost} events were overwritten in the ring before they were read)\n` : '';
  return gap + events.map((e) => `${String(e.instructions).padStart(12)}  ${e.kind.padEnd(9)} eip=${hex(e.eip)} cr3=${hex(e.cr3)}  ${describe(e)}\n`).join('');
}

export function stopText(s: ControlStop): string {
  return `${s.reason} at ${hex(s.linearEip)} after ${s.instructions} instructions\n` + cpuText(s.cpu);
}

export function virtioText(devices: VirtioDeviceView[]): string {
  const us = (n: number) => n.toFixed(1);
  const rows = devices.flatMap((d) =>
    d.queues.map((q) => [
      d.name,
      d.kind,
      String(q.index),
      String(q.size),
      String(q.waiting),
      String(q.inFlight),
      String(q.completed),
      String(q.bytesFromGuest),
      String(q.bytesToGuest),
      us(q.meanServiceUs),
      us(q.maxServiceUs),
    ]),
  );
  const notes = devices.flatMap((d) => [
    ...(Object.keys(d.device).length
      ? [
          `${d.name}: ${Object.entries(d.device)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}`,
        ]
      : []),
    ...(d.lastError ? [`${d.name}: last reset asked for: ${d.lastError}`] : []),
  ]);
  if (!rows.length) return 'no virtio devices\n';
  return (
    table([['DEVICE', 'KIND', 'QUEUE', 'SIZE', 'WAITING', 'IN FLIGHT', 'DONE', 'BYTES FROM GUEST', 'BYTES TO GUEST', 'MEAN US', 'MAX US'], ...rows]) +
    notes.map((l) => `${l}\n`).join('')
  );
}

export function netText(v: Omit<NetView, 'pcap'> & { pcap?: string }): string {
  const c = v.card;
  const lines = [
    `card ${c.mac}: from the guest ${c.txFrames} frames ${c.txBytes} bytes (${c.txDropped} dropped), to the guest ${c.rxFrames} frames ${c.rxBytes} bytes (${c.rxDropped} dropped, ${c.waiting} waiting)`,
    `link: ${Object.entries(v.link)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  ];
  if (v.containers.length) {
    lines.push(
      table([
        ['CONTAINER', 'NETWORK', 'ADDRESS', 'TX PACKETS', 'TX BYTES', 'RX PACKETS', 'RX BYTES'],
        ...v.containers.map((x) => [x.name, x.network, x.ip, String(x.txPackets), String(x.txBytes), String(x.rxPackets), String(x.rxBytes)]),
      ]).trimEnd(),
    );
  }
  if (v.pcap) lines.push(`capture: ${v.captureFrames} frames written to ${v.pcap}${v.captureDropped ? ` (${v.captureDropped} past the size limit left out)` : ''}`);
  return lines.join('\n') + '\n';
}
