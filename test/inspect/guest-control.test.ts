// Run-to-breakpoint and single-step on the real guest. The breakpoint is the
// kernel's getpid handler, its address taken from the guest kernel's own
// System.map; a probe program whose getpid calls are counted by the guest
// kernel (see guest-inspect.test.ts) must stop there once per call.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { setBreakpoint, runToBreakpoint, step, linearEip } from '../../src/inspect/control.ts';
import { readCpu } from '../../src/inspect/cpu.ts';

const systemMap = readFileSync(join(import.meta.dirname, '../../guest-images/dist/System.map'), 'utf8');
const GETPID = parseInt(/^([0-9a-f]{8}) T __ia32_sys_getpid$/m.exec(systemMap)![1], 16);

describe('execution control on the real guest', () => {
  it('stops at a kernel breakpoint once per system call, single-steps one instruction, and resumes', async () => {
    const read = (p: string) => new Uint8Array(readFileSync(p));
    // The booted guest, resumed from its cached snapshot: booting is not what this tests.
    const machine = await bootDefaultGuest();
    const m = machine.pc;
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-probe-'));
    for (const calls of [0, 1000]) {
      execFileSync('gcc', ['-m32', '-static', '-nostdlib', '-O1', '-fno-pie', '-no-pie', `-DCALLS=${calls}`, '-o', join(dir, `p${calls}`), join(import.meta.dirname, 'probe.c')]);
      await machine.exec(`cat > /tmp/p${calls} && chmod +x /tmp/p${calls}`, { stdin: read(join(dir, `p${calls}`)) });
    }
    // From here the test drives the PC itself; the paused Machine still carries the agent's answers.
    machine.pause();

    let stepped = false;
    const hitsRunning = async (command: string) => {
      let settled = false;
      void machine.exec(command).then(() => (settled = true));
      setBreakpoint(m, GETPID);
      let hits = 0;
      // The paused Machine's own exec deadline counts only slices it runs itself, not these.
      const deadline = Date.now() + 300_000;
      while (!settled) {
        if (Date.now() > deadline) throw new Error(`the EXIT of ${command} from the guest agent did not arrive within 300 s of running to breakpoints (${hits} hits so far)`);
        if (runToBreakpoint(m, 2_000_000)) {
          hits++;
          expect(linearEip(m)).toBe(GETPID);
          expect(m.core.cpl).toBe(0);
          if (!stepped) {
            const first = readCpu(m.core, 1).code[0];
            const before = m.core.instructions;
            step(m);
            expect(m.core.instructions - before).toBe(1n);
            expect(linearEip(m)).not.toBe(GETPID);
            if (!/^(j|call|ret)/.test(first.text)) expect(linearEip(m)).toBe(first.address + first.bytes.length / 2);
            stepped = true;
          }
        }
        await new Promise((r) => setImmediate(r));
      }
      setBreakpoint(m, null);
      return hits;
    };
    const base = await hitsRunning('/tmp/p0');
    const more = await hitsRunning('/tmp/p1000');
    expect(stepped).toBe(true);
    expect(more - base).toBe(1000);
  }, 600_000);
});
