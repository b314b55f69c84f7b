// The engine process: owns one booted guest and its ContainerEngine, and
// answers requests on $GLASSBOX_HOME/engine.sock, each as it comes, so a long
// run does not hold up ps or the inspector (the guest keeps running between
// and during them). It also serves the inspection views of its guest.

import { createServer, type Socket } from 'node:net';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tryLock } from '../containers/pid-lock.ts';
import { join } from 'node:path';
import type { Attached } from '../containers/engine/containers.ts';
import { RestartWatcher } from '../containers/engine/restart-policy.ts';
import { ImageStore } from '../containers/store/image-store.ts';
import { guestInfo, infoScript } from '../containers/engine/guest-scripts.ts';
import { DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import { build } from '../containers/builder/builder.ts';
import { answerView, recordTrace, runInGuest, type InspectTarget } from '../inspect/views.ts';
import { ControlSession } from '../inspect/control-session.ts';
import { LOCK_NAME, PID_NAME, SOCKET_NAME, type EngineProgress, type EngineReply, type EngineRequest, type TraceMessage } from './protocol.ts';
import { parseAttachInput, parseControlCommand, parseRequest } from './requests.ts';
import { relayAttached } from './attach.ts';
import { forEachLine } from './lines.ts';
import { buildId } from './build-id.ts';
import { unmountEngineDisk } from '../containers/engine/disk.ts';
import { startEngine } from './start-engine.ts';
import { watchGuest } from './guest-watch.ts';

/** Lines a client sends ahead of its conversation's start that are held before the socket is paused. */
const EARLY_LINES = 4;
/** The longest line a client may send: a build's Dockerfile, or an attached session's stdin chunk, fit well within it. */
const MAX_LINE = 4 << 20;
// From a guest's death to the engine's exit: its last replies go out meanwhile.
const DYING_MS = 300;

export async function serveEngine(home: string): Promise<void> {
  // Whatever umask the first command ran under, the engine's files (socket, journal, cache, store) are its user's alone.
  process.umask(0o077);
  checkHome(home);
  // One engine per home: a second one (several first-use commands at once) leaves it to the first.
  const lock = tryLock(join(home, LOCK_NAME));
  if (!('release' in lock)) {
    process.stderr.write(`glassbox: engine ${lock.owner} already serves ${home}; this one (${process.pid}) exits\n`);
    return;
  }
  process.on('exit', lock.release);
  // The log is best-effort: on a full disk a failed log write would be an uncaught error, logged again, failing again, for good.
  process.stderr.on('error', () => {});
  // A bug met by one request must not end every container with the process: it is logged and that request fails.
  process.on('uncaughtException', (e) => process.stderr.write(`glassbox engine: uncaught ${e.stack ?? e}\n`));
  process.on('unhandledRejection', (e) => process.stderr.write(`glassbox engine: unhandled ${(e as Error)?.stack ?? e}\n`));
  const store = ImageStore.open(home);
  // The realtime clock: detached containers make progress between requests, and an idle guest does not spin.
  const { machine, shell, engine } = await startEngine(home, store, 'realtime', (line) => process.stderr.write(`glassbox engine: ${line}\n`));
  // Counted, so a request during which the guest met one can say so in its reply (reply below).
  const diskErrors = { errors: 0, last: '' };
  machine.on('diskError', (why) => {
    diskErrors.errors++;
    diskErrors.last = why;
  });
  // --restart policies are honoured while this engine runs.
  new RestartWatcher(engine).start();
  // A guest that died (guest-watch.ts) ends the engine: every request in
  // flight, and any that comes before the process is gone, is answered with
  // why; the next command starts a new engine, which takes the containers
  // back from the disk (those that were running, as killed).
  let guestDied!: (e: Error) => void;
  const dead = new Promise<never>((_, reject) => (guestDied = reject));
  dead.catch(() => {});
  watchGuest(machine, (why) => {
    const message = `the engine's guest died: ${why}. The engine has stopped; the next glassbox command starts a new one, which takes the containers back from its disk`;
    process.stderr.write(`glassbox engine: ${message}\n`);
    guestDied(new Error(message));
    server.close();
    rmSync(socketPath, { force: true });
    // Long enough for the replies above to be written, short enough that a command started now finds the lock free.
    setTimeout(() => process.exit(1), DYING_MS);
  });
  /** What a request's work gives, unless the guest dies first. */
  const whileAlive = <T>(work: Promise<T>): Promise<T> => Promise.race([work, dead]);
  const target: InspectTarget = { machine, shell, engine };
  const started = new Date().toISOString();
  const socketPath = join(home, SOCKET_NAME);

  /** Answers a one-reply request; `send` carries messages before the reply, `closed` resolves when the client goes away. */
  const handle = async (req: Exclude<EngineRequest, { op: 'control' }>, send: (msg: EngineProgress | TraceMessage) => void, closed: Promise<void>): Promise<unknown> => {
    const progress = (line: string) => send({ progress: line });
    switch (req.op) {
      case 'run':
        return engine.run(req.image, req.options);
      case 'ps':
        return engine.ps(req.all);
      case 'exec':
        return engine.exec(req.container, req.cmd, { user: req.user, workdir: req.workdir, detach: req.detach, env: req.env });
      case 'logs':
        return engine.logs(req.container, req.times);
      case 'stats':
        return engine.stats(req.container);
      case 'inspect':
        return engine.inspect(req.container);
      case 'stop':
        return engine.stop(req.container, req.time);
      case 'start':
        return engine.start(req.container);
      case 'restart':
        return engine.restart(req.container, req.time);
      case 'pause':
        return engine.pause(req.container, true);
      case 'unpause':
        return engine.pause(req.container, false);
      case 'top':
        return engine.top(req.container);
      case 'port':
        return engine.ports(req.container);
      case 'network-create':
        return engine.createNetwork(req.name);
      case 'network-rm':
        return engine.removeNetwork(req.name).then(() => null);
      case 'network-ls':
        return engine.listNetworks();
      case 'volume-create':
        return engine.createVolume(req.name);
      case 'volume-ls':
        return engine.volumes();
      case 'volume-inspect':
        return engine.volume(req.name);
      case 'volume-rm':
        return engine.removeVolume(req.name).then(() => null);
      case 'diff':
        return engine.changes(req.container);
      case 'rename':
        return engine.rename(req.container, req.name);
      case 'cp-out': {
        const { kind, tar } = await engine.archive(req.container, req.path, req.follow);
        return { kind, tar: Buffer.from(tar).toString('base64') };
      }
      case 'cp-in':
        return engine.extract(req.container, req.target, readCopyArchive(req.archive));
      case 'info':
        return {
          ...guestInfo((await shell.run(infoScript())).stdout),
          containers: (await engine.ps(true)).map((c) => c.state.status),
          build: buildId(),
          memoryMiB: DEFAULT_MEMORY_MIB,
        };
      case 'kill':
        return engine.kill(req.container, req.signal);
      case 'rm':
        return engine.rm(req.container, req.force);
      case 'build': {
        const cancel = new AbortController();
        void closed.then(() => cancel.abort());
        return build(engine, store, join(home, 'build-cache.json'), { ...req, progress, signal: cancel.signal });
      }
      // Every command asks this before its own request (client.ts sameBuild): the count is of the records, as ps -a's
      // would be, without ps's look at each container's state in the guest (a crun process apiece).
      case 'status':
        return { pid: process.pid, started, containers: engine.records().length, build: buildId() };
      // The disk is written out and unmounted before the guest ends (its containers end with it), once the removals of ended --rm containers are done.
      case 'shutdown':
        await engine.settled();
        return unmountEngineDisk(shell).then(() => null);
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
    if (req.op === 'exec' && req.attach) return engine.execAttached(req.container, req.cmd, req.tty, { user: req.user, workdir: req.workdir, env: req.env });
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
    /** Answers a line the engine cannot take with an error and ends this client's connection; what it sends after is ignored. */
    let refused = false;
    const refuse = (error: string) => {
      refused = true;
      send({ ok: false, error });
      sock.end();
    };
    forEachLine(
      sock,
      (line) => {
        if (refused) return;
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          return refuse('the line is not valid JSON');
        }
        if (!first) {
          if (further) further(msg);
          else if (early.push(msg) > EARLY_LINES) sock.pause();
          return;
        }
        first = false;
        let req: EngineRequest;
        try {
          req = parseRequest(msg);
        } catch (e) {
          return refuse((e as Error).message);
        }

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
            converse((m) => (commands = commands.then(() => reply(send, async () => session!.do(parseControlCommand(m))))));
            sock.resume();
          });
          return;
        }

        const attached = startAttached(req);
        if (attached) {
          // The relay resumes a socket paused for early input as the guest takes it.
          void reply(
            send,
            () =>
              whileAlive(
                (async () => {
                  const a = await attached;
                  const relay = relayAttached(sock, a, send);
                  converse((m) => {
                    try {
                      relay.input(parseAttachInput(m));
                    } catch (e) {
                      // The session ends (its stdin closes with the connection); the engine and other clients go on.
                      refuse((e as Error).message);
                    }
                  });
                  return { id: a.id, exitCode: await relay.exitCode };
                })(),
              ),
            diskErrors,
          ).then(() => sock.end());
          return;
        }

        void reply(send, () => whileAlive(handle(req, send, closed)), diskErrors).then(() => {
          sock.end();
          if (req.op === 'shutdown') shutdown();
        });
      },
      { maxBytes: MAX_LINE, onTooLong: () => refuse(`a line longer than ${MAX_LINE >> 20} MiB was sent; the engine takes requests and input lines up to that size`) },
    );
    sock.on('error', () => {});
  });
  rmSync(socketPath, { force: true });
  // Only this user may connect (the umask set above makes it so from the start): whoever drives the engine runs containers and builds from any directory it can read.
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  chmodSync(socketPath, 0o600);
  writeFileSync(join(home, PID_NAME), String(process.pid));
}

/**
 * Refuses a home another user owns or others may write: whoever can replace
 * its socket or its store can feed this engine's clients and containers.
 */
function checkHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const st = statSync(home);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${home} belongs to user ${st.uid}, not to this user (${uid}); the engine serves only a home of its own`);
  if (st.mode & 0o022) throw new Error(`${home} is writable by others (mode ${(st.mode & 0o777).toString(8)}); make it private with "chmod go-w ${home}"`);
}

/** The most a cp into a container takes: far beyond what the guest's writable tmpfs holds. */
const MAX_COPY = 256 << 20;

/** The tar a cp client left for the engine: a regular file only (a FIFO or device would block or flood the engine). */
function readCopyArchive(path: string): Buffer {
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`${path} is not a regular file: cp hands the engine its archive as one`);
  if (st.size > MAX_COPY) throw new Error(`the copy is ${st.size} bytes, more than the ${MAX_COPY >> 20} MiB glassbox copies into a container at once`);
  return readFileSync(path);
}

/** Sends the outcome of `work` as a reply line, with the last disk error if the guest met any meanwhile; true when it succeeded. */
async function reply(send: (msg: EngineReply) => void, work: () => Promise<unknown>, disk?: { errors: number; last: string }): Promise<boolean> {
  const before = disk?.errors ?? 0;
  const diskError = () => (disk && disk.errors > before ? { diskError: disk.last } : {});
  try {
    const result = (await work()) ?? null;
    send({ ok: true, result, ...diskError() });
    return true;
  } catch (e) {
    send({ ok: false, error: (e as Error).message, ...diskError() });
    return false;
  }
}
