// The PC's run loop and the 8254 driven the way Linux drives them, on bare
// programs (test/machine/programs/*.asm, built with nasm): timer interrupts
// must come when the 8254 datasheet says, and a slice of an idle guest must
// last as long in guest time as a busy one. Expected times come from the
// datasheet (1.193182 MHz input; in mode 4 the count loads at the next clock
// and the output strobes N clocks later) and the virtual CPU's nominal 100 instructions per microsecond.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/load-node.ts';
import { enterFlatProtectedMode } from '../../src/boot/flat-protected-mode.ts';
import { NS_PER_INSTRUCTION, PcMachine } from '../../src/machine/machine.ts';
import { PIT_HZ } from '../../src/devices/i8254-pit.ts';

const PROGRAMS = fileURLToPath(new URL('./programs/', import.meta.url));
const COUNT = 1193;

function machine(program: string): PcMachine {
  const out = join(mkdtempSync(join(tmpdir(), 'glassbox-pc-timer-')), `${program}.bin`);
  execFileSync('nasm', ['-f', 'bin', '-I', PROGRAMS, '-o', out, join(PROGRAMS, `${program}.asm`)]);
  const bytes = 4 << 20;
  const m = new PcMachine((h) => createCore(bytes, h), bytes);
  m.core.ram.set(readFileSync(out), 0x1000);
  enterFlatProtectedMode(m.core, 0x800);
  m.core.eip = 0x1000;
  return m;
}

const u64 = (m: PcMachine, addr: number) => new DataView(m.core.ram.buffer, m.core.ram.byteOffset).getBigUint64(addr, true);

describe('PC timer interrupts', () => {
  it('delivers a one-shot IRQ 0 programmed while the CPU runs, N to N+1 PIT clocks after the count is written, not at the end of the slice', () => {
    const m = machine('pit-one-shot');
    // The count is written in the middle of a slice planned when no timer was armed.
    expect(m.run(10_000_000)).toBe('off');
    const waited = Number(u64(m, 0x3008) - u64(m, 0x3000)); // TSC ticks = instructions
    // The count is loaded at the first PIT clock after the write and the strobe comes N clocks
    // later: between N and N+1 clock periods after the write (plus the instructions around it).
    const period = 1e9 / PIT_HZ / NS_PER_INSTRUCTION;
    expect(waited).toBeGreaterThanOrEqual(Math.floor(COUNT * period));
    expect(waited).toBeLessThan((COUNT + 1) * period + 50);
  });

  it("ends a slice of a halted guest after the slice's length of guest time, with every tick delivered", () => {
    const m = machine('pit-idle-tick');
    const slice = 1_000_000; // 10 ms of guest time
    const periodNs = (COUNT * 1e9) / PIT_HZ;
    for (let i = 0; i < 5; i++) {
      const before = m.nowNs();
      expect(m.run(slice)).toBe('running');
      // The last halt of a slice may end up to one tick period past its end, never more.
      expect(m.nowNs() - before).toBeGreaterThanOrEqual(slice * NS_PER_INSTRUCTION - periodNs);
      expect(m.nowNs() - before).toBeLessThanOrEqual(slice * NS_PER_INSTRUCTION + periodNs);
    }
    const elapsedNs = m.nowNs();
    expect(m.haltedNs).toBeGreaterThan(0.9 * elapsedNs);
    const ticks = new DataView(m.core.ram.buffer, m.core.ram.byteOffset).getUint32(0x3000, true);
    // Every tick due is delivered; one that fell due as the last slice ended waits for the next run.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsedNs / periodNs) - 1);
    expect(ticks).toBeLessThanOrEqual(Math.floor(elapsedNs / periodNs));
  });
});
