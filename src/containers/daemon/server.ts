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
import { SOCKET_NAME, type EngineReply, type EngineRequest } from './protocol.ts';

const bytes = (b64: string | undefined) => (b64 ? new Uint8Array(Buffer.from(b64, 'base64')) : undefined);

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
        const { stdinBase64, ...options } = req.options;
        return engine.run(req.image, { ...options, stdin: bytes(stdinBase64) });
      }
      case 'ps': return engine.ps(req.all);
      case 'exec': return engine.exec(req.container, req.cmd, { stdin: bytes(req.stdinBase64) });
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

  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((sock: Socket) => {
    let buf = '';
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: EngineRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as EngineRequest;
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'request is not valid JSON' }) + '\n');
        return;
      }
      queue = queue.then(async () => {
        let reply: EngineReply;
        try {
          const progress = (line: string) => sock.write(JSON.stringify({ progress: line }) + '\n');
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
