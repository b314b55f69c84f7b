// Two snapshots compared: exactly the changes made between them are reported,
// by page, by the core's register names and by device field.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { decodeSnapshot } from '../../src/snapshot/format.ts';
import { diffSnapshots } from '../../src/snapshot/diff.ts';
import { STATE_BASE } from '../../src/core-abi.ts';

describe('diffSnapshots', () => {
  it('names the pages, registers and device fields changed between two snapshots, and nothing else', async () => {
    const m = await Machine.create();
    const a = await decodeSnapshot(await m.snapshot(), nodeCodec);
    m.pc.core.ram[0x123456] ^= 0x5a; // page 0x123
    m.pc.core.ram[0x0] = 1; // page 0, which was zeros
    m.pc.core.setReg(3, 0xdeadbeef); // EBX
    m.pc.bus.write(0x21, 1, 0x7f); // the master PIC's mask
    const b = await decodeSnapshot(await m.snapshot(), nodeCodec);
    const d = diffSnapshots(a, b, m.pc.core.layoutText(), STATE_BASE);
    expect(d.pages).toEqual([0, 0x123]);
    expect(d.cpu).toEqual(['OFF_REGS+12']);
    expect(d.parts).toEqual(['pic master.imr']);
    expect(diffSnapshots(a, a, m.pc.core.layoutText(), STATE_BASE)).toEqual({ pages: [], cpu: [], parts: [] });
  }, 60_000);
});
