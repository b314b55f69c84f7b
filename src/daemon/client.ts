// Talks to the engine process, starting it on first use.

import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_NAME, SOCKET_NAME, type AttachInput, type AttachOutput, type EngineProgress, type EngineReply, type EngineRequest, type TraceMessage } from './protocol.ts';
import { forEachLine } from './lines.ts';
import { buildId } from './build-id.ts';
import type { ControlCommand, ControlStop } from '../inspect/control-session.ts';
import { compilePoolOption } from '../core/jit/compile-pool.ts';

export class EngineError extends Error {
  override name = 'EngineError';
}

/**
 * Requests the engine answers at once, whatever its containers do: a live
 * engine that does not answer one in this time is stuck, and is named so
 * instead of being waited on. The rest take as long as the work they start.
 */
const PROMPT_OPS: ReadonlySet<EngineRequest['op']> = new Set(['status', 'shutdown']);
const PROMPT_REPLY_MS = 60_000;

/** Sends one request; rejects with ENOENT/ECONNREFUSED when no engine listens. */
function request(home: string, req: EngineRequest, onMessage?: (msg: EngineProgress | TraceMessage) => void): Promise<EngineReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(join(home, SOCKET_NAME));
    let reply: EngineReply | undefined;
    if (PROMPT_OPS.has(req.op)) {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new EngineError(`the engine did not answer "${req.op}" within ${PROMPT_REPLY_MS / 1000} s: it is stuck (see ${join(home, LOG_NAME)})`));
      }, PROMPT_REPLY_MS);
      sock.on('close', () => clearTimeout(timer));
    }
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    forEachLine(sock, (line) => {
      const msg = JSON.parse(line) as EngineReply | EngineProgress | TraceMessage;
      if ('ok' in msg) reply = msg;
      else onMessage?.(msg);
    });
    sock.on('end', () => {
      if (reply) resolve(reply);
      else reject(new EngineError(`the engine closed the connection without a reply (see ${join(home, LOG_NAME)})`));
    });
    sock.on('error', reject);
  });
}

/** How often a command that started the engine looks whether it listens yet. */
const START_POLL_MS = 50;

const notListening = (e: unknown) => ['ENOENT', 'ECONNREFUSED'].includes((e as NodeJS.ErrnoException).code ?? '');

/** An engine process started by this command: whether it has failed (and how), and where its log began. */
interface SpawnedEngine {
  ended?: string;
  logFrom: number;
}

/** Starts `glassbox engine serve` in the background, logging to $GLASSBOX_HOME/engine.log. */
function spawnEngine(home: string): SpawnedEngine {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const log = openSync(join(home, LOG_NAME), 'a');
  const started: SpawnedEngine = { logFrom: fstatSync(log).size };
  const child = spawn(process.execPath, [...process.execArgv, compilePoolOption(), process.argv[1]!, 'engine', 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, GLASSBOX_HOME: home },
  });
  // Status 0 is an engine that found another already serving this home (several first-use commands at once): that one comes up.
  child.on('exit', (code, signal) => {
    if (signal || code !== 0) started.ended = signal ? `was killed by ${signal}` : `exited with status ${code}`;
  });
  child.unref();
  return started;
}

/** What an engine that ended before it listened wrote to its log (the last lines: the reason is at the end). */
function startFailure(home: string, started: SpawnedEngine): EngineError {
  const path = join(home, LOG_NAME);
  const lines = readFileSync(path).subarray(started.logFrom).toString().trimEnd().split('\n').slice(-5).join('\n');
  return new EngineError(`the engine ${started.ended} before it listened${lines ? `:\n${lines}` : ''}\n(see ${path})`);
}

/** The engine's answer to a request, starting the engine (and waiting for its guest to boot) if it is not running. */
export async function callEngine(
  home: string,
  req: EngineRequest,
  opts: { start?: boolean; onProgress?: (line: string) => void; onTrace?: (msg: TraceMessage) => void } = {},
): Promise<unknown> {
  if (req.op !== 'status' && req.op !== 'shutdown') await sameBuild(home, opts.start);
  const onMessage = (msg: EngineProgress | TraceMessage) => ('progress' in msg ? opts.onProgress?.(msg.progress) : opts.onTrace?.(msg));
  let reply: EngineReply;
  try {
    reply = await request(home, req, onMessage);
  } catch (e) {
    if (!notListening(e) || opts.start === false) throw e;
    const started = spawnEngine(home);
    const deadline = Date.now() + 180_000;
    for (;;) {
      // Often: the engine is up within a second or two of its start, and a look at a socket not there yet costs next to nothing.
      await new Promise((r) => setTimeout(r, START_POLL_MS));
      try {
        reply = await request(home, req, onMessage);
        break;
      } catch (err) {
        // An engine that ended cannot come up: say why now rather than at the deadline.
        if (notListening(err) && started.ended) throw startFailure(home, started);
        if (!notListening(err) || Date.now() > deadline) {
          throw new EngineError(`the engine did not start within 180 s (see ${join(home, LOG_NAME)})`);
        }
      }
    }
  }
  sayDiskError(reply);
  if (!reply.ok) throw new EngineError(reply.error);
  return reply.result;
}

/** Said whether or not the request failed: a container's write may fail with EIO and the container go on. */
function sayDiskError(reply: EngineReply): void {
  if (reply.diskError) process.stderr.write(`glassbox: the guest got I/O errors on the engine's disk during this command: ${reply.diskError}\n`);
}

const checked = new Set<string>();

/**
 * Makes sure the engine runs this build of glassbox (starting it if allowed
 * and needed). One started before an upgrade runs the old code, whose
 * protocol and views may differ: it is refused with what to do about it.
 */
async function sameBuild(home: string, start?: boolean): Promise<void> {
  if (checked.has(home)) return;
  const status = (await callEngine(home, { op: 'status' }, { start })) as { pid: number; build?: string };
  if (status.build !== buildId()) {
    throw new EngineError(
      `the running engine (pid ${status.pid}) is ${status.build ? `another build of glassbox (${status.build})` : 'an older glassbox'} than this command (${buildId()}): stop it with "glassbox engine stop" (its containers end with it), then run the command again`,
    );
  }
  checked.add(home);
}

/** Whether an engine listens on the socket (without asking it anything, so a busy engine answers at once); does not start one. */
export async function engineRunning(home: string): Promise<boolean> {
  try {
    await new Promise<void>((resolve, reject) => {
      const sock = connect(join(home, SOCKET_NAME));
      sock.once('connect', () => (sock.end(), resolve())).once('error', reject);
    });
    return true;
  } catch (e) {
    if (notListening(e)) return false;
    throw e;
  }
}

/**
 * A control session with a running engine: the guest is paused from the
 * first answer until close() (or until this process exits, which closes the
 * connection too).
 */
export class EngineControl {
  private readonly waiting: { resolve: (r: EngineReply) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly sock: Socket) {
    forEachLine(sock, (line) => this.waiting.shift()?.resolve(JSON.parse(line) as EngineReply));
    sock.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new EngineError('the engine closed the control session'));
    });
  }

  /** Opens a session (no engine is started for it) and returns it with where the guest paused. */
  static async open(home: string): Promise<{ control: EngineControl; stop: ControlStop }> {
    await sameBuild(home, false);
    const sock = connect(join(home, SOCKET_NAME));
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.on('error', () => {});
    const control = new EngineControl(sock);
    const stop = await control.send({ op: 'control' });
    return { control, stop };
  }

  private async send(msg: EngineRequest | ControlCommand): Promise<ControlStop> {
    const reply = new Promise<EngineReply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.sock.write(JSON.stringify(msg) + '\n');
    const r = await reply;
    if (!r.ok) throw new EngineError(r.error);
    return r.result as ControlStop;
  }

  do(cmd: ControlCommand): Promise<ControlStop> {
    return this.send(cmd);
  }

  close(): void {
    this.sock.end();
  }
}

export interface AttachedClient {
  /** Sends an input line; resolves when the socket can take more, which paces a fast producer. */
  send(msg: AttachInput): Promise<void>;
  /** The engine's reply once the process has ended: { id, exitCode }. */
  done: Promise<{ id: string; exitCode: number }>;
}

/** An attached session (daemon/attach.ts) for `req`, starting the engine first if it is not running. */
export async function attachEngine(home: string, req: EngineRequest, output: { stdout(b: Uint8Array): void; stderr(b: Uint8Array): void }): Promise<AttachedClient> {
  await sameBuild(home);
  const sock = connect(join(home, SOCKET_NAME));
  await once(sock, 'connect');
  sock.write(JSON.stringify(req) + '\n');
  let reply: EngineReply | undefined;
  const done = new Promise<{ id: string; exitCode: number }>((resolve, reject) => {
    forEachLine(sock, (line) => {
      const msg = JSON.parse(line) as EngineReply | AttachOutput;
      if ('ok' in msg) reply = msg;
      else if ('stdout' in msg) output.stdout(Buffer.from(msg.stdout, 'base64'));
      else if ('stderr' in msg) output.stderr(Buffer.from(msg.stderr, 'base64'));
    });
    sock.on('close', () => {
      if (!reply) return reject(new EngineError(`the engine closed the connection without a reply (see ${join(home, LOG_NAME)})`));
      sayDiskError(reply);
      if (reply.ok) resolve(reply.result as { id: string; exitCode: number });
      else reject(new EngineError(reply.error));
    });
    sock.on('error', reject);
  });
  return {
    send: async (msg) => {
      if (!sock.writable) return;
      if (!sock.write(JSON.stringify(msg) + '\n')) await Promise.race([once(sock, 'drain'), once(sock, 'close')]);
    },
    done,
  };
}
