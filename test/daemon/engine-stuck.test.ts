// An engine that is alive but stuck (its socket accepts, nothing answers) is
// named as stuck once a request it answers at once goes unanswered, instead
// of leaving the command waiting for ever. Here the engine's side is a socket
// that reads requests and never replies; the client's timer runs on fake time.

import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callEngine } from '../../src/daemon/client.ts';
import { LOG_NAME, SOCKET_NAME } from '../../src/daemon/protocol.ts';
import { forEachLine } from '../../src/daemon/lines.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('a stuck engine', () => {
  it('is named after a minute without an answer to status, before the request itself is sent', async () => {
    const home = mkdtempSync(join(tmpdir(), 'glassbox-stuck-'));
    const ops: string[] = [];
    const server = createServer((sock) => forEachLine(sock, (line) => ops.push((JSON.parse(line) as { op: string }).op)));
    await new Promise<void>((r) => server.listen(join(home, SOCKET_NAME), r));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const call = callEngine(home, { op: 'ps', all: true }, { start: false });
    const failed = expect(call).rejects.toThrow(`the engine did not answer "status" within 60 s: it is stuck (see ${join(home, LOG_NAME)})`);
    // setImmediate and Date stay real: the socket's I/O goes on while the client's timer waits.
    for (const end = Date.now() + 5_000; ops.length === 0; await new Promise((r) => setImmediate(r))) {
      if (Date.now() > end) throw new Error("the status request did not arrive at the engine's socket within 5 s");
    }
    vi.advanceTimersByTime(59_000);
    await new Promise((r) => setImmediate(r));
    expect(ops).toEqual(['status']);
    vi.advanceTimersByTime(1_000);
    await failed;
    expect(ops).toEqual(['status']);
    server.close();
  });
});
