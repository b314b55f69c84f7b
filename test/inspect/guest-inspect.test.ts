// The inspector against the real guest, each view checked against an
// oracle outside glassbox's own code: the system-call count of a program is
// established by the guest kernel itself, which stops a ptrace'd run of the
// same static binary at every system call (syscall-count.c, as strace counts
// them; it needs no 32-bit execution on the host, so this runs anywhere); the MMU
// walk is compared with the frame the guest kernel reports in
// /proc/PID/pagemap; namespace inodes come from the guest kernel; the trace
// of `echo hi` is ordered against the bytes as they arrive on the host.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { cachedDefaultGuest, snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { machineShell } from '../../src/containers/engine/guest-shell.ts';
import { readCounters } from '../../src/inspect/counters.ts';
import { addressSpaces, walkAddress } from '../../src/inspect/mmu.ts';
import { processTree } from '../../src/inspect/kernel.ts';
import { enableTrace, readTrace, traceCursor } from '../../src/inspect/trace.ts';
import { readCpu } from '../../src/inspect/cpu.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-probe-'));
/** A static i386 program without libc, built from `source` in this directory (gcc -m32 builds on any x86 host). */
function build(name: string, source: string, defines: string[] = []): Uint8Array {
  const out = join(dir, name);
  execFileSync('gcc', ['-m32', '-static', '-nostdlib', '-O1', '-fno-pie', '-no-pie', ...defines, '-o', out, join(import.meta.dirname, source)]);
  return new Uint8Array(readFileSync(out));
}
const probe = (name: string, defines: string[]) => build(name, 'probe.c', defines);

/** The booted guest, resumed from its cached snapshot (test/support/global-setup.ts): the views are what is tested, not the boot. */
async function boot() {
  const consoleBytes: { byte: number; instructions: number }[] = [];
  const machine = await cachedDefaultGuest(snapshotCacheDir(), { memoryMiB: DEFAULT_MEMORY_MIB }, 'virtual');
  // Console bytes reach the host at the end of the run slice that wrote them.
  machine.serial.on('data', (bytes) => {
    for (const byte of bytes) consoleBytes.push({ byte, instructions: Number(machine.instructions) });
  });
  const sh = async (command: string, stdin?: Uint8Array) => {
    const r = await machine.exec(command, { stdin });
    if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode} ${r.stderr}`);
    return r.stdout;
  };
  return { machine, m: machine.pc, sh, consoleBytes };
}

const syscalls = (c: ReturnType<typeof readCounters>) => c.syscalls.int80 + c.syscalls.sysenter;

describe('inspection of the real guest', () => {
  it('counts system calls, walks page tables as the kernel sees them, shows namespaces, and traces echo hi across layers', async () => {
    const { machine, m, sh, consoleBytes } = await boot();
    machine.start();
    await machine.agentReady();
    await sh('cat > /tmp/p0 && chmod +x /tmp/p0', probe('p0', ['-DCALLS=0']));
    await sh('cat > /tmp/p1000 && chmod +x /tmp/p1000', probe('p1000', ['-DCALLS=1000']));
    await sh('cat > /tmp/pp && chmod +x /tmp/pp', probe('pp', ['-DPAUSE']));
    await sh('cat > /tmp/syscall-count && chmod +x /tmp/syscall-count', build('syscall-count', 'syscall-count.c'));
    const kernelCount = async (file: string) => Number((await sh(`/tmp/syscall-count ${file}`)).trim());
    const extra = (await kernelCount('/tmp/p1000')) - (await kernelCount('/tmp/p0'));
    expect(extra).toBe(1000);

    // Syscalls: the same agent round trip around two builds of one program. The
    // counter is the whole machine's, so the agent and the shell waking up while
    // the longer program runs may add a few calls of their own; never fewer.
    const c0 = readCounters(m);
    await sh('/tmp/p0');
    const c1 = readCounters(m);
    await sh('/tmp/p1000');
    const c2 = readCounters(m);
    const counted = syscalls(c2) - syscalls(c1) - (syscalls(c1) - syscalls(c0));
    expect(counted).toBeGreaterThanOrEqual(extra);
    expect(counted).toBeLessThan(extra + 20);
    expect(c2.transitions.userToKernel).toBeGreaterThan(c1.transitions.userToKernel + 1000);
    expect(c2.pageFaults).toBeGreaterThan(0);
    expect(c2.portAccesses[0x2f8]).toBeGreaterThan(0); // the agent's COM2
    expect(c2.portNames[0x2f8]).toBe('COM2 THR/RBR');
    // Linux maps the PICs' IRQs from vector 0x30 on: the timer and the agent's UART interrupted
    expect(c2.interruptNames[0x30]).toBe('IRQ 0 (PIT)');
    expect(c2.interruptNames[0x33]).toBe('IRQ 3 (COM2)');
    expect(c2.interruptsByVector[0x33]).toBeGreaterThan(0);

    // MMU: the marker page of a paused process, walked under its CR3 from the host.
    const pid = Number((await sh('/tmp/pp </dev/null >/dev/null 2>&1 & echo $!')).trim());
    const symbols = execFileSync('nm', [join(dir, 'pp')], { encoding: 'utf8' });
    const marker = parseInt(/^([0-9a-f]+) \w marker$/m.exec(symbols)![1], 16);
    await sh(`while ! grep -q '^State:.S' /proc/${pid}/status; do sleep 0.1; done`);
    const entry = (await sh(`dd if=/proc/${pid}/pagemap bs=8 skip=${marker / 4096} count=1 2>/dev/null | od -An -tx1`)).trim().split(/\s+/);
    const pagemap = BigInt('0x' + entry.reverse().join(''));
    expect(pagemap >> 63n).toBe(1n); // present
    const pfn = Number(pagemap & ((1n << 55n) - 1n));
    const text = new TextEncoder().encode('glassbox-marker-page');
    const holding = addressSpaces(m.core)
      .map((s) => walkAddress(m.core, marker, { write: false, user: true }, s.cr3))
      .filter((w) => w.fault === null && w.physical !== null && text.every((b, i) => m.core.ram[w.physical! + i] === b));
    expect(holding.length).toBe(1);
    expect(holding[0].physical! >>> 12).toBe(pfn);
    expect(holding[0].steps.map((s) => s.level)).toEqual(['PD', 'PT']);
    // The kernel half is not the user's: the same walk as a user access to a kernel address faults with P|U.
    const kernelWalk = walkAddress(m.core, 0xc0000000, { write: false, user: true }, holding[0].cr3);
    expect(kernelWalk.fault?.errorCode).toBe(5);
    await sh(`kill ${pid}`);

    // Namespaces: two unshared "containers" and the guest itself.
    await sh('for h in c1 c2; do unshare --pid --uts --mount --fork sh -c "hostname $h; exec sleep 1000" </dev/null >/dev/null 2>&1 & done; sleep 1');
    const procs = await processTree(machineShell(machine));
    const init = procs.find((p) => p.pid === 1)!;
    const sleepers = procs.filter((p) => p.name === 'sleep');
    expect(sleepers.length).toBe(2);
    for (const k of ['pid', 'uts', 'mnt'] as const) {
      const inodes = new Set([init.ns[k], sleepers[0].ns[k], sleepers[1].ns[k]]);
      expect(init.ns[k]).toBeGreaterThan(0);
      expect(inodes.size).toBe(3);
    }
    expect(init.ns.net).toBe(sleepers[0].ns.net);
    await sh('kill ' + sleepers.map((p) => p.pid).join(' '));

    // Trace: echo hi on the console, syscall -> COM1 port writes -> bytes on the host.
    enableTrace(m, ['syscall', 'port']);
    const since = traceCursor(m);
    const hostFrom = consoleBytes.length;
    await sh('echo hi > /dev/ttyS0');
    enableTrace(m, []);
    const events = readTrace(m, since);
    const thr = (ch: string) => events.find((e) => e.kind === 'port' && e.a === 0x3f8 && e.c & 0x100 && e.b === ch.charCodeAt(0));
    const h = thr('h')!;
    const i = thr('i')!;
    const write = events.filter((e) => e.kind === 'syscall' && e.a === 4 && e.seq < h.seq).at(-1);
    expect(write).toBeDefined();
    expect(i.seq).toBeGreaterThan(h.seq);
    const host = consoleBytes.slice(hostFrom);
    const hostH = host.find((b) => b.byte === 0x68)!;
    const hostI = host.find((b) => b.byte === 0x69)!;
    expect(write!.instructions).toBeLessThanOrEqual(h.instructions);
    expect(hostH.instructions).toBeGreaterThanOrEqual(h.instructions);
    expect(host.indexOf(hostH)).toBeLessThan(host.indexOf(hostI));
    expect(hostI.instructions).toBeGreaterThanOrEqual(i.instructions);

    const cpu = readCpu(m.core);
    expect(cpu.mode).toBe('protected');
    expect(cpu.paging).toBe(true);
    expect(cpu.code.length).toBeGreaterThan(0);
    machine.stop();
  }, 900_000);
});
