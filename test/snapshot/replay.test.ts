// Record and replay: a booted guest is snapshotted and its inputs recorded
// while it is driven the ways a user drives it (commands through the agent,
// with stdin, typing on the console, a host timeout running out while the
// guest idles, a guest timer); the machine restored from the snapshot and fed
// the recording prints the same console bytes and powers off in the same
// state, instruction for instruction. The original run is the oracle.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { glassboxHome } from '../../src/home.ts';
import { cachedDefaultGuest } from '../../src/api/snapshot-cache.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';
import { diffSnapshots } from '../../src/snapshot/diff.ts';
import { decodeSnapshot } from '../../src/snapshot/format.ts';
import { STATE_BASE } from '../../src/core-abi.ts';

function poweredOff(m: Machine): Promise<void> {
  return new Promise((resolve) => m.on('power', (s) => s === 'off' && resolve()));
}

describe('record and replay under the virtual clock', () => {
  it('replays a recorded run to the same console output and the same final state', async () => {
    const m = await cachedDefaultGuest(process.env.GLASSBOX_SNAPSHOT_CACHE ?? join(glassboxHome(), 'snapshots'), { memoryMiB: 256 }, 'virtual');
    const original: number[] = [];
    const replayed: number[] = [];
    const snapshot = await m.snapshot(); // not started: nothing runs between this and the recording's start
    m.startRecording();
    m.serial.on('data', (b) => original.push(...b));
    m.start();
    expect((await m.exec('tr a-z A-Z', { stdin: 'recorded input\n' })).stdout).toBe('RECORDED INPUT\n');
    expect((await m.exec('sleep 0.2; echo $((3*41))')).stdout).toBe('123\n');
    m.serial.write('echo typed-$((6*7))\n');
    await m.waitFor('typed-42');
    // Nothing comes: the host's timeout passes while the guest waits (a skip of guest time the log keeps).
    await expect(m.waitFor('never printed', { timeoutMs: 300 })).rejects.toThrow(/not seen on the console/);
    m.serial.write('poweroff -f\n');
    await poweredOff(m);
    const log = m.recordedInput();
    expect(log.filter((e) => e.kind === 'agent').length).toBeGreaterThan(0);
    expect(log.filter((e) => e.kind === 'console').length).toBeGreaterThan(0);

    const r = await Machine.create({ snapshot, replay: log });
    r.serial.on('data', (b) => replayed.push(...b));
    const off = poweredOff(r);
    r.start();
    await off;
    expect(r.replayError).toBeUndefined();
    expect(Buffer.from(replayed).toString('latin1')).toBe(Buffer.from(original).toString('latin1'));
    expect(r.instructions).toBe(m.instructions);
    // The guest is the same to the byte; only the host's agent session differs: the original's host
    // made requests (the replayed bytes carried them), so its next request id moved on.
    const [a, b] = await Promise.all([m.snapshot(), r.snapshot()].map(async (s) => decodeSnapshot(await s, nodeCodec)));
    expect(diffSnapshots(a!, b!, m.pc.core.layoutText(), STATE_BASE)).toEqual({ pages: [], cpu: [], parts: ['agent nextId'] });
  }, 600_000);

  it('refuses a replay without the snapshot it starts from', async () => {
    await expect(Machine.create({ replay: [] })).rejects.toThrow('replay: give the snapshot the recording started from as well');
  });
});
