// The engine process: owns one booted guest and its ContainerEngine, and
// answers requests on $GLASSBOX_HOME/engine.sock, each as it comes, so a long
// run does not hold up ps or the inspector (the guest keeps running between
// and during them). It also serves the inspection views of its guest.

import { createServer, type Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootDefaultGuest } from '../engine/boot.ts';
import { ContainerEngine, type Attached } from '../engine/containers.ts';
import { ImageStore } from '../store/image-store.ts';
import { machineShell } from '../engine/guest-shell.ts';
import { DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';
import { build } from '../builder/builder.ts';
import { answerView, recordTrace, runInGuest, type InspectTarget } from '../../inspect/views.ts';
import { ControlSession, type ControlCommand } from '../../inspect/control-session.ts';
import { PID_NAME, SOCKET_NAME, type AttachInput, type EngineProgress, type EngineReply, type EngineRequest, type TraceMessage } from './protocol.ts';
import { relayAttached } from './attach.ts';
import { forEachLine } from './lines.ts';
import { buildId } from './build-id.ts';

/** Lines a client sends ahead of its conversation's start that are held before the socket is paused. */
const EARLY_LINES = 4;

export async function serveEngine(home: string): Promise<void> {
  const store = ImageStore.open(home);
  // The realtime clock: detached containers make progress between requests, and an idle guest does not spin.
  const machine = await bootDefaultGuest(DEFAULT_MEMORY_MIB, 'realtime');
  const shell = machineShell(machine);
  const engine = new ContainerEngine(shell, store);
  const target: InspectTarget = { machine, shell, engine };
  const started = new Date().toISOString();
  const socketPath = join(home, SOCKET_NAME);

  /** Answers a one-reply request; `send` carries messages before the reply, `closed` resolves when the client goes away. */
  const handle = async (req: Exclude<EngineRequest, { op: 'control' }>, send: (msg: EngineProgress | TraceMessage) => void, closed: Promise<void>): Promise<unknown> => {
    const progress = (line: string) => send({ progress: line });
    switch (req.op) {
      case 'run': return engine.run(req.image, req.options);
      case 'ps': return engine.ps(req.all);
      case 'exec': return engine.exec(req.container, req.cmd);
      case 'logs': return engine.logs(req.container);
      case 'stats': return engine.stats(req.container);
      case 'inspect': return engine.inspect(req.container);
      case 'stop': return engine.stop(req.container);
      case 'kill': return engine.kill(req.container, req.signal);
      case 'rm': return engine.rm(req.container, req.force);
      case 'build': return build(engine, store, join(home, 'build-cache.json'), { ...req, progress });
      case 'status': return { pid: process.pid, started, containers: (await engine.ps(true)).length, build: buildId() };
      case 'shutdown': return null;
      case 'view':
        if (req.run) await runInGuest(target.shell, req.run);
        return answerView(target, req.request);
      case 'trace':
        return recordTrace(target, req.request, (events, lost) => send({ events, lost }), closed);
    }
  };

  /** The process an attached request starts (attach.ts), or undefined for an ordinary request. */
  const startAttached = (req: EngineRequest): Promise<Attached> | undefined => {
    if (req.op === 'run' && req.attach) return engine.runAttached(req.image, req.options);
    if (req.op === 'exec' && req.attach) return engine.execAttached(req.container, req.cmd, req.tty);
    return undefined;
  };

  const shutdown = () => {
    server.close();
    machine.stop();
    rmSync(socketPath, { force: true });
    process.exit(0);
  };

  const server = createServer((sock: Socket) => {
    const send = (msg: unknown) => sock.writable && sock.write(JSON.stringify(msg) + '\n');
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    // The lines after the request belong to a conversation (a control
    // session's commands, an attached process's input); any that arrive
    // before it has started wait for it.
    let first = true;
    let further: ((msg: unknown) => void) | undefined;
    const early: unknown[] = [];
    const converse = (take: (msg: unknown) => void) => {
      further = take;
      for (const m of early.splice(0)) take(m);
    };
    forEachLine(sock, (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'request is not valid JSON' }) + '\n');
        return;
      }
      if (!first) {
        if (further) further(msg);
        else if (early.push(msg) > EARLY_LINES) sock.pause();
        return;
      }
      first = false;
      const req = msg as EngineRequest;

      if (req.op === 'control') {
        // The guest stays paused until the connection closes, however the client ends.
        let session: ControlSession | undefined;
        sock.on('close', () => session?.close());
        void reply(send, async () => {
          session = new ControlSession(machine);
          return session.do({ cmd: 'cpu' });
        }).then((ok) => {
          if (!ok) return void sock.end();
          // Commands run one after another, in the order sent.
          let commands: Promise<unknown> = Promise.resolve();
          converse((m) => (commands = commands.then(() => reply(send, () => session!.do(m as ControlCommand)))));
          sock.resume();
        });
        return;
      }

      const attached = startAttached(req);
      if (attached) {
        // The relay resumes a socket paused for early input as the guest takes it.
        void reply(send, async () => {
          const a = await attached;
          const relay = relayAttached(sock, a, send);
          converse((m) => relay.input(m as AttachInput));
          return { id: a.id, exitCode: await relay.exitCode };
        }).then(() => sock.end());
        return;
      }

      void reply(send, () => handle(req, send, closed)).then(() => {
        sock.end();
        if (req.op === 'shutdown') shutdown();
      });
    });
    sock.on('error', () => {});
  });
  rmSync(socketPath, { force: true });
  server.listen(socketPath);
  writeFileSync(join(home, PID_NAME), String(process.pid));
}

/** Sends the outcome of `work` as a reply line; true when it succeeded. */
async function reply(send: (msg: EngineReply) => void, work: () => Promise<unknown>): Promise<boolean> {
  try {
    send({ ok: true, result: (await work()) ?? null });
    return true;
  } catch (e) {
    send({ ok: false, error: (e as Error).message });
    return false;
  }
}
