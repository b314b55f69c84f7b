// The engine socket: one request per connection, one JSON line each way
// (a build sends progress lines before its reply, a trace its events; a
// control session is a conversation of lines; an attached session (attach.ts)
// goes on with input and output lines, its bytes base64-encoded). Requests
// are served concurrently.

import type { RunOptions } from '../containers/engine/bundle.ts';
import type { ExtractTarget } from '../containers/engine/file-scripts.ts';
import type { WindowSize } from '../api/types.ts';
import type { TraceRequest, ViewRequest } from '../inspect/views.ts';
import type { TraceEvent } from '../inspect/trace.ts';

export type RunRequestOptions = Omit<RunOptions, 'stdin'>;

export type EngineRequest =
  /** attach: a live session (attach.ts), on a terminal when options.tty is given. */
  | { op: 'run'; image: string; options: RunRequestOptions; attach?: boolean }
  | { op: 'ps'; all: boolean }
  /** user, workdir, detach: Docker's exec -u, -w, -d. */
  | { op: 'exec'; container: string; cmd: string[]; attach?: boolean; tty?: WindowSize; user?: string; workdir?: string; detach?: boolean; env?: string[] }
  | { op: 'stats' | 'inspect' | 'start' | 'pause' | 'unpause' | 'top' | 'diff'; container: string }
  /** times: each log line's guest time too (logs -t, --since, --until). */
  | { op: 'logs'; container: string; times?: boolean }
  | { op: 'rename'; container: string; name: string }
  /** cp out of a container: replies { kind, tar } with the tar in base64; follow: the path's last link too (cp -L). */
  | { op: 'cp-out'; container: string; path: string; follow: boolean }
  /** cp into a container: the tar is a file on the host (the engine's user's, as a build's context), its top entry named target.name. */
  | { op: 'cp-in'; container: string; archive: string; target: ExtractTarget }
  /** time: seconds before SIGKILL (stop -t), else the container's --stop-timeout. */
  | { op: 'stop' | 'restart'; container: string; time?: number }
  | { op: 'kill'; container: string; signal: string }
  /** port: a container's published ports; network-*: the engine's container networks. */
  | { op: 'port'; container: string }
  | { op: 'network-create' | 'network-rm'; name: string }
  | { op: 'network-ls' }
  /** Named volumes on the engine's disk (engine/volumes.ts); create without a name makes one of a random name. */
  | { op: 'volume-create'; name?: string }
  | { op: 'volume-inspect' | 'volume-rm'; name: string }
  | { op: 'volume-ls' }
  | { op: 'rm'; container: string; force: boolean }
  | { op: 'build'; tag: string; context: string; dockerfile: string }
  /** info: the engine's guest as `docker info` describes a host. */
  | { op: 'status' | 'shutdown' | 'info' }
  /** One inspection view of the engine's guest, after running `run` in it if given. */
  | { op: 'view'; request: ViewRequest; run?: string }
  /** Streams TraceMessages, then replies (follow: until the client closes the connection). */
  | { op: 'trace'; request: TraceRequest }
  /**
   * Pauses the guest and replies with where it stopped; then each further
   * line is a ControlCommand, answered with a reply line. The guest runs on
   * when the connection closes.
   */
  | { op: 'control' };

/** What an attached session's client sends after its request: stdin bytes (base64), the end of stdin, a window size. */
export type AttachInput = { stdin: string } | { eof: true } | { resize: WindowSize };

/** What the engine sends an attached client before the reply: the container's ID first, then output (base64). */
export type AttachOutput = { attached: string } | { stdout: string } | { stderr: string };

/** diskError: the last I/O error the guest met on the engine's disk while the request ran (a full host disk), for the CLI to say. */
export type EngineReply = ({ ok: true; result: unknown } | { ok: false; error: string }) & { diskError?: string };

/** Trace events, sent as they happen before a trace request's reply; `lost` counts those the ring overwrote unread. */
export interface TraceMessage {
  events: TraceEvent[];
  lost: number;
}

/** Sent before the reply by long requests (build), one line each. */
export interface EngineProgress {
  progress: string;
}

export const SOCKET_NAME = 'engine.sock';
export const LOG_NAME = 'engine.log';
export const PID_NAME = 'engine.pid';
/** Held by the engine serving a home (pid-lock.ts). */
export const LOCK_NAME = 'engine.lock';
