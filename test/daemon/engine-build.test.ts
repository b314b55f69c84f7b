// An engine started before an upgrade runs the old code. The client asks an
// engine's build before anything else and, when it differs, refuses with what
// to do, without sending the request. Here the engine's side is a socket
// that answers status as another build would (the protocol, not a guest, is
// under test).

import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callEngine } from '../../src/daemon/client.ts';
import { buildId } from '../../src/daemon/build-id.ts';
import { SOCKET_NAME } from '../../src/daemon/protocol.ts';
import { forEachLine } from '../../src/daemon/lines.ts';

/** A socket answering status as an engine of build `build` (none: one from before builds were reported). */
async function engineOfBuild(build: string | undefined) {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-build-'));
  const ops: string[] = [];
  const server = createServer((sock) =>
    forEachLine(sock, (line) => {
      const req = JSON.parse(line) as { op: string };
      ops.push(req.op);
      const result = req.op === 'status' ? { pid: 4242, started: 'then', containers: 0, ...(build ? { build } : {}) } : [];
      sock.end(JSON.stringify({ ok: true, result }) + '\n');
    }),
  );
  await new Promise<void>((r) => server.listen(join(home, SOCKET_NAME), r));
  return { home, ops, close: () => server.close() };
}

describe('the engine of another build', () => {
  it('is refused before any request reaches it, naming its build and what to do', async () => {
    const other = await engineOfBuild('0123456789ab');
    await expect(callEngine(other.home, { op: 'ps', all: true }, { start: false })).rejects.toThrow(
      `the running engine (pid 4242) is another build of glassbox (0123456789ab) than this command (${buildId()}): stop it with "glassbox engine stop" (its containers end with it), then run the command again`,
    );
    // status and shutdown still reach it, so that it can be stopped
    await callEngine(other.home, { op: 'shutdown' }, { start: false });
    expect(other.ops).toEqual(['status', 'shutdown']);
    other.close();

    const older = await engineOfBuild(undefined);
    await expect(callEngine(older.home, { op: 'ps', all: true }, { start: false })).rejects.toThrow(/is an older glassbox than this command/);
    older.close();
  });

  it('is served when it is the same build', async () => {
    const same = await engineOfBuild(buildId());
    expect(await callEngine(same.home, { op: 'ps', all: true }, { start: false })).toEqual([]);
    expect(same.ops).toEqual(['status', 'ps']);
    same.close();
  });
});
