// The engine process: owns one booted guest and its ContainerEngine, and
// answers requests on $GLASSBOX_HOME/engine.sock. Requests run one at a time
// (the guest keeps running between and during them).

import { createServer, type Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootDefaultGuest } from '../engine/boot.ts';
import { ContainerEngine } from '../engine/containers.ts';
import { ImageStore } from '../store/image-store.ts';
import { machineShell } from '../engine/guest-shell.ts';
import { DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';
import { build } from '../builder/builder.ts';
import type { Attached } from '../engine/containers.ts';
import { SOCKET_NAME, type AttachInput, type EngineReply, type EngineRequest } from './protocol.ts';
import { relayAttached, type AttachRelay } from './attach.ts';
import { forEachLine } from './lines.ts';

export async function serveEngine(home: string): Promise<void> {
  const store = ImageStore.open(home);
  // The realtime clock: detached containers make progress between requests, and an idle guest does not spin.
  const machine = await bootDefaultGuest(DEFAULT_MEMORY_MIB, 'realtime');
  const engine = new ContainerEngine(machineShell(machine), store);
  const started = new Date().toISOString();
  const socketPath = join(home, SOCKET_NAME);

  const handle = async (req: EngineRequest, progress: (line: string) => void): Promise<unknown> => {
    switch (req.op) {
      case 'run': {
        return engine.run(req.image, req.options);
      }
      case 'ps': return engine.ps(req.all);
      case 'exec': return engine.exec(req.container, req.cmd);
      case 'logs': return engine.logs(req.container);
      case 'stats': return engine.stats(req.container);
      case 'inspect': return engine.inspect(req.container);
      case 'stop': return engine.stop(req.container);
      case 'kill': return engine.kill(req.container, req.signal);
      case 'rm': return engine.rm(req.container, req.force);
      case 'build': return build(engine, store, join(home, 'build-cache.json'), { ...req, progress });
      case 'status': return { pid: process.pid, started, containers: (await engine.ps(true)).length };
      case 'shutdown': return null;
    }
  };

  /** The process an attached request starts (attach.ts), or undefined for an ordinary request. */
  const startAttached = (req: EngineRequest): Promise<Attached> | undefined => {
    if (req.op === 'run' && req.attach) {
      return engine.runAttached(req.image, req.options);
    }
    if (req.op === 'exec' && req.attach) return engine.execAttached(req.container, req.cmd, req.tty);
    return undefined;
  };

  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((sock: Socket) => {
    const send = (msg: unknown) => sock.writable && sock.write(JSON.stringify(msg) + '\n');
    let first = true;
    let relay: AttachRelay | undefined;
    // Input a client sends before its session has started waits for it.
    const early: AttachInput[] = [];
    forEachLine(sock, (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'request is not valid JSON' }) + '\n');
        return;
      }
      if (!first) {
        if (relay) relay.input(msg as AttachInput);
        else if (early.push(msg as AttachInput) > 4) sock.pause(); // the relay resumes it as it catches up
        return;
      }
      first = false;
      const req = msg as EngineRequest;
      queue = queue.then(async () => {
        let reply: EngineReply;
        try {
          const attached = startAttached(req);
          if (attached) {
            // Only the start holds the queue: the session goes on alongside later requests.
            const a = await attached;
            relay = relayAttached(sock, a, send);
            for (const m of early.splice(0)) relay.input(m);
            void relay.exitCode.then(
              (exitCode) => sock.end(JSON.stringify({ ok: true, result: { id: a.id, exitCode } }) + '\n'),
              (e: Error) => sock.end(JSON.stringify({ ok: false, error: e.message }) + '\n'),
            );
            return;
          }
          const progress = (line: string) => send({ progress: line });
          reply = { ok: true, result: (await handle(req, progress)) ?? null };
        } catch (e) {
          reply = { ok: false, error: (e as Error).message };
        }
        sock.end(JSON.stringify(reply) + '\n');
        if (req.op === 'shutdown') {
          server.close();
          machine.stop();
          rmSync(socketPath, { force: true });
          process.exit(0);
        }
      });
    });
    sock.on('error', () => {});
  });
  rmSync(socketPath, { force: true });
  server.listen(socketPath);
  writeFileSync(join(home, 'engine.pid'), String(process.pid));
}
