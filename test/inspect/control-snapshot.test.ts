// The inspector's snapshot of a paused guest: what `glassbox inspect pause`
// asks the engine for on "snapshot FILE". The snapshot records the machine
// where the control session stopped it, a step between two snapshots shows
// in their diff where the CPU says it went, and the snapshot resumes to a
// guest that answers.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { STATE_BASE } from '../../src/core-abi.ts';
import { ControlSession, type ControlStop } from '../../src/inspect/control-session.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { diffSnapshots } from '../../src/snapshot/diff.ts';
import { decodeSnapshot } from '../../src/snapshot/format.ts';

describe("the inspector's snapshot", () => {
  it('records the paused machine, diffs a step, and resumes to a guest that answers', async () => {
    const machine = await bootDefaultGuest();
    const control = new ControlSession(machine);
    let bytes: Uint8Array[];
    let stops: { a: ControlStop; stepped: ControlStop; b: ControlStop };
    try {
      // Out of its idle loop first, so the step is an instruction and not a wait for the timer.
      await control.do({ cmd: 'step', count: 1 });
      const a = await control.do({ cmd: 'snapshot' });
      const stepped = await control.do({ cmd: 'step', count: 1 });
      const b = await control.do({ cmd: 'snapshot' });
      stops = { a, stepped, b };
      bytes = [a, b].map((s) => new Uint8Array(Buffer.from(s.snapshot!, 'base64')));
    } finally {
      control.close();
      machine.stop();
    }
    const [sa, sb] = await Promise.all(bytes.map((b) => decodeSnapshot(b, nodeCodec)));
    expect(sa!.header.instructions).toBe(String(stops.a.instructions));
    expect(sb!.header.instructions).toBe(String(stops.stepped.instructions));
    expect(stops.stepped.instructions - stops.a.instructions).toBe(1);

    const d = diffSnapshots(sa!, sb!, machine.pc.core.layoutText(), STATE_BASE);
    expect(stops.stepped.cpu.eip).not.toBe(stops.a.cpu.eip);
    expect(d.cpu).toContain('OFF_EIP');

    const resumed = await Machine.create({ snapshot: bytes[1]! });
    resumed.start();
    try {
      expect((await resumed.exec('echo from-the-inspector')).stdout).toBe('from-the-inspector\n');
    } finally {
      resumed.stop();
    }
  }, 300_000);
});
