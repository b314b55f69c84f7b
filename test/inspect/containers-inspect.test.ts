// The containers view on the real guest: two containers made by the engine,
// their namespaces, cgroup and processes read back from the guest kernel;
// and one container's output followed through the trace across the layers,
// once through the agent (COM2) and once through the guest's console (COM1).

import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell } from '../../src/containers/engine/guest-shell.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { containersView } from '../../src/inspect/containers.ts';
import { traceFollower } from '../../src/inspect/trace-follow.ts';
import { describe as describeEvent, type TraceEvent } from '../../src/inspect/trace.ts';

describe('the containers view', () => {
  it("shows each container's own pid/uts/mnt namespaces, next to the guest's, with its cgroup limit and its PIDs inside and out; traces echo hi from a container to the host, through the agent on COM2 and through the console on COM1", async () => {
    const machine = await bootDefaultGuest();
    const shell = machineShell(machine);
    const engine = new ContainerEngine(shell, ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-'))));
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'a' });
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'b', memory: 16 << 20 });
    const views = await containersView(engine, shell);
    expect(views.map((v) => v.name).sort()).toEqual(['a', 'b']);
    const [a, b] = ['a', 'b'].map((n) => views.find((v) => v.name === n)!);
    for (const ns of ['pid', 'uts', 'mnt'] as const) {
      const inodes = [a.namespaces[ns]!.container, b.namespaces[ns]!.container, a.namespaces[ns]!.guest];
      expect(inodes.every((i) => typeof i === 'number' && i > 0)).toBe(true);
      expect(new Set(inodes).size).toBe(3);
      expect(b.namespaces[ns]!.guest).toBe(a.namespaces[ns]!.guest);
    }
    for (const v of [a, b]) {
      const sleep = v.processes.find((p) => p.name === 'sleep')!;
      expect(sleep.pidInContainer).toBe(1);
      expect(sleep.pidInGuest).toBeGreaterThan(1);
      expect(v.cgroup!.procs).toBeGreaterThanOrEqual(1);
    }
    expect(b.cgroup!.memoryMax).toBe(String(16 << 20));
    expect(a.cgroup!.memoryMax).toBe('max');

    // echo hi in container a, followed across the layers: the echo's write(1)
    // system call, then the agent's frame carrying "hi\n" written to COM2's
    // transmit register (the agent's channel; COM1 is the console), then the
    // bytes on the host.
    const events: TraceEvent[] = [];
    let lost = 0;
    const stop = traceFollower(machine).add(['syscall', 'port'], (e, l) => (events.push(...e), (lost += l)));
    const r = await engine.exec('a', ['echo', 'hi']);
    stop();
    expect(lost).toBe(0);
    expect(r.stdout).toBe('hi\n');
    const thr = events.filter((e) => e.kind === 'port' && e.a === 0x2f8 && e.c & 0x100);
    const at = thr.findIndex((e, i) => e.b === 0x68 && thr[i + 1]?.b === 0x69 && thr[i + 2]?.b === 0x0a);
    expect(at).toBeGreaterThanOrEqual(0);
    // The echo process: a write to fd 1 followed, in the same address space, by exit_group.
    const syscalls = events.filter((e) => e.kind === 'syscall');
    const echo = syscalls.find((w, i) => w.a === 4 && w.c === 1 && syscalls.slice(i + 1).find((e) => e.cr3 === w.cr3)?.a === 252);
    expect(echo).toBeDefined();
    expect(echo!.seq).toBeLessThan(thr[at].seq);
    expect(echo!.instructions).toBeLessThanOrEqual(thr[at].instructions);

    // The same echo run in container a from the guest's console shell: its
    // output takes the classic way out, through the tty driver to COM1's
    // transmit register (0x3f8), and reaches the host as console text.
    const consoleEvents: TraceEvent[] = [];
    const stopConsole = traceFollower(machine).add(['syscall', 'port'], (e, l) => (consoleEvents.push(...e), (lost += l)));
    machine.serial.write(`crun exec ${a.id} echo hi\n`);
    const seen = await machine.waitFor(/\r\nhi\r\n/);
    stopConsole();
    expect(lost).toBe(0);
    expect(seen).toContain(`crun exec ${a.id} echo hi`);
    const calls = consoleEvents.filter((e) => e.kind === 'syscall');
    const echoed = calls.find((w, i) => w.a === 4 && w.c === 1 && calls.slice(i + 1).find((e) => e.cr3 === w.cr3)?.a === 252);
    expect(echoed).toBeDefined();
    // The typed line is echoed to COM1 too (ending in "hi\r\n"), but before the container's write; its output comes after.
    const com1 = consoleEvents.filter((e) => e.kind === 'port' && e.a === 0x3f8 && e.c & 0x100 && e.seq > echoed!.seq);
    const out = com1.findIndex((_e, i) => [0x68, 0x69, 0x0d, 0x0a].every((byte, k) => com1[i + k]?.b === byte));
    expect(out).toBeGreaterThanOrEqual(0);
    // and in words, as `glassbox inspect trace` prints them
    // busybox enters the kernel through the vDSO, which uses SYSENTER since CPUID reports SEP.
    expect(describeEvent(echoed!)).toMatch(/^write \(4\) by sysenter, first argument 0x1$/);
    expect(describeEvent(com1[out]!)).toBe("out 0x3f8 COM1 THR/RBR <- 0x68 'h' (1 byte)");
  }, 600_000);
});
