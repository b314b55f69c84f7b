// A core made to resume a state (a restore, a fork) skips zeroing the
// translator's tables it never wrote: each fresh host page costs the host a
// fault (about 27 µs on the PVM host), and the 5 MiB of tables were a third
// of a fork's time. The oracle for "skipped" is the host kernel's count of
// this process's page faults; for "still zeroed when written", the tables'
// bytes after a translated run and a flush.

import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.ts';
import { coreModule, createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { startKernel } from '../jit/kernels.ts';
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
    const core = createCore(4 << 20);
    core.jit = 'first';
    startKernel(core, 0, 2000);
    core.run(200_000);
    const mem = new Uint8Array(core.ram.buffer);
    const used = (at: number, size: number) => mem.subarray(at, at + size).some((b) => b !== 0);
    expect(core.jitStats.compiled).toBeGreaterThan(0);
    expect(used(JIT_ENTRIES, JIT_ENTRIES_SIZE) && used(JIT_CODE_MAP, JIT_CODE_MAP_SIZE)).toBe(true);
    core.jit = 'on'; // a mode change drops every region and zeroes the tables
    expect([used(JIT_ENTRIES, JIT_ENTRIES_SIZE), used(JIT_HEAT, JIT_HEAT_SIZE), used(JIT_CODE_MAP, JIT_CODE_MAP_SIZE)]).toEqual([false, false, false]);
  });
});
