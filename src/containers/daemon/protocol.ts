// The engine socket: one request per connection, one JSON line each way
// (a build sends progress lines before its reply).
// Byte payloads (stdin) travel base64-encoded.

import type { RunOptions } from '../engine/bundle.ts';

export type RunRequestOptions = Omit<RunOptions, 'stdin'> & { stdinBase64?: string };

export type EngineRequest =
  | { op: 'run'; image: string; options: RunRequestOptions }
  | { op: 'ps'; all: boolean }
  | { op: 'exec'; container: string; cmd: string[]; stdinBase64?: string }
  | { op: 'logs' | 'stats' | 'inspect' | 'stop'; container: string }
  | { op: 'kill'; container: string; signal: string }
  | { op: 'rm'; container: string; force: boolean }
  | { op: 'build'; tag: string; context: string; dockerfile: string }
  | { op: 'status' | 'shutdown' };

export type EngineReply = { ok: true; result: unknown } | { ok: false; error: string };

/** Sent before the reply by long requests (build), one line each. */
export interface EngineProgress {
  progress: string;
}

export const SOCKET_NAME = 'engine.sock';
export const LOG_NAME = 'engine.log';
