// The engine socket: one request per connection, one JSON line each way
// (a build sends progress lines before its reply, a trace its events; a
// control session is a conversation of lines). Requests are served
// concurrently.
// Byte payloads (stdin) travel base64-encoded.

import type { RunOptions } from '../engine/bundle.ts';
import type { TraceRequest, ViewRequest } from '../../inspect/views.ts';
import type { TraceEvent } from '../../inspect/trace.ts';

export type RunRequestOptions = Omit<RunOptions, 'stdin'> & { stdinBase64?: string };

export type EngineRequest =
  | { op: 'run'; image: string; options: RunRequestOptions }
  | { op: 'ps'; all: boolean }
  | { op: 'exec'; container: string; cmd: string[]; stdinBase64?: string }
  | { op: 'logs' | 'stats' | 'inspect' | 'stop'; container: string }
  | { op: 'kill'; container: string; signal: string }
  | { op: 'rm'; container: string; force: boolean }
  | { op: 'build'; tag: string; context: string; dockerfile: string }
  | { op: 'status' | 'shutdown' }
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

export type EngineReply = { ok: true; result: unknown } | { ok: false; error: string };

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
