// A core made to resume a state (a restore, a fork) skips zeroing the
// translator's tables it never wrote: each fresh host page costs the host a
// fault (about 27 µs on the PVM host), and the 5 MiB of tables were a third
// of a fork's time. The oracle for "skipped" is the host kernel's count of
// this process's page faults; for "still zeroed when written", the tables'
// bytes after a translated run and a flush.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.ts';
import { coreModule, createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { projectPath } from '../../src/paths.ts';
import { JIT_ENTRIES, JIT_ENTRIES_SIZE, JIT_HEAT, JIT_HEAT_SIZE, JIT_CODE_MAP, JIT_CODE_MAP_SIZE } from '../../src/core-abi.ts';

const RAM = 256 << 20;
const machine = () => new PcMachine((h) => Core.create(coreModule(), RAM, h, { jit: 'on' }), RAM);

describe('a core made to resume a state', () => {
  it('touches a few hundred fresh host pages, not the 5 MiB of translator tables (over 1300 pages)', () => {
    const records = machine().state.save();
    machine(); // the first instance warms what every instance shares
    const faults: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = process.resourceUsage().minorPageFault;
      machine().state.load(structuredClone(records));
      faults.push(process.resourceUsage().minorPageFault - before);
    }
    // Before the tables were skipped: about 1650 a machine on this host; after: about 120.
    expect(Math.min(...faults)).toBeLessThan(700);
  });

  it('still zeroes the tables once translated code has written them', () => {
    mkdirSync(projectPath('build', 'jit'), { recursive: true });
    const bin = projectPath('build', 'jit', 'kernels.bin');
    execFileSync('nasm', ['-f', 'bin', '-o', bin, projectPath('bench', 'kernels.asm')]);
    const code = new Uint8Array(readFileSync(bin));
    const core = createCore(4 << 20);
    core.jit = 'first';
    const CODE = 0x10000,
      STACK_TOP = 0x90000,
      RETURN_TO = 0xf000,
      BUFFER = 0x100000;
    core.ram.set(code, CODE);
    core.ram[RETURN_TO] = 0xf4;
    for (let s = 0; s < 6; s++) core.setSegment(s, { selector: s === 1 ? 8 : 0x10, base: 0, limit: 0xffffffff, attr: s === 1 ? 0xc09b : 0xc093 });
    core.setCr(0, 0x11);
    core.cpl = 0;
    core.flushTlb();
    const view = new DataView(core.ram.buffer, core.ram.byteOffset);
    view.setUint32(STACK_TOP - 12, RETURN_TO, true);
    view.setUint32(STACK_TOP - 8, 2000, true);
    view.setUint32(STACK_TOP - 4, BUFFER, true);
    core.setReg(4, STACK_TOP - 12);
    core.eip = CODE + new DataView(code.buffer, code.byteOffset).getUint32(0, true);
    core.eflags = 2;
    core.run(200_000);
    const mem = new Uint8Array(core.ram.buffer);
    const used = (at: number, size: number) => mem.subarray(at, at + size).some((b) => b !== 0);
    expect(core.jitStats.compiled).toBeGreaterThan(0);
    expect(used(JIT_ENTRIES, JIT_ENTRIES_SIZE) && used(JIT_CODE_MAP, JIT_CODE_MAP_SIZE)).toBe(true);
    core.jit = 'on'; // a mode change drops every region and zeroes the tables
    expect([used(JIT_ENTRIES, JIT_ENTRIES_SIZE), used(JIT_HEAT, JIT_HEAT_SIZE), used(JIT_CODE_MAP, JIT_CODE_MAP_SIZE)]).toEqual([false, false, false]);
  });
});
