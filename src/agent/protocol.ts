// The host side of the glassbox guest agent protocol
// (guest-images/agent/PROTOCOL.md is the specification): the frame codec and
// a client. The Machine (src/api) talks to the agent through it on COM2; the
// guest-images tests use it against the real agent, natively and inside QEMU.
// Dependency-free, so it runs in Node and in a browser worker alike.

import { bytesField, loadFields, ownFields, recordField, StateError, type StateRecord, type Stateful } from '../state/records.ts';
import { concatBytes } from '../bytes.ts';

export const MAGIC = Uint8Array.of(0xf7, 0x47, 0x42, 0x41);
export const HEADER_SIZE = 14;
export const TRAILER_SIZE = 4;
export const MAX_PAYLOAD = 65536;
export const PROTOCOL_VERSION = 1;
/** Id the client uses for HELLO pings (0 is the agent's start-up announcement). */
export const PING_ID = 0xffffffff;

export const FrameType = {
  HELLO: 0x01,
  EXEC: 0x10,
  SIGNAL: 0x11,
  STDIN: 0x12,
  RESIZE: 0x13,
  HELLO_REPLY: 0x80,
  STDOUT: 0x81,
  STDERR: 0x82,
  EXIT: 0x83,
  STDIN_ACK: 0x84,
  ERROR: 0x8f,
} as const;

/** EXEC flag bits. */
export const ExecFlag = {
  /** More stdin follows in STDIN frames; an empty one ends it. */
  STREAM_STDIN: 1,
  /** A pty in the guest is the command's controlling terminal (implies STREAM_STDIN). */
  PTY: 2,
  /** The command hands the agent a pty master through $GLASSBOX_CONSOLE_SOCKET (needs PTY). */
  CONSOLE_SOCKET: 4,
} as const;

/** HELLO_REPLY feature bits: what this agent understands beyond protocol version 1's first form. */
export const Feature = { STREAM_STDIN: 1, PTY: 2 } as const;

/** Streamed stdin the host may have sent and not yet seen acknowledged, per command. */
export const STDIN_WINDOW = 65536;

export const ErrorCode = {
  BAD_CRC: 1,
  BAD_LENGTH: 2,
  UNKNOWN_TYPE: 3,
  MALFORMED: 4,
  DUPLICATE_ID: 5,
  BUSY: 6,
  SPAWN_FAILED: 7,
  UNKNOWN_ID: 8,
  /** A STDIN or RESIZE frame that cannot be applied; unlike the others, it does not end the request. */
  STREAM_REFUSED: 9,
} as const;

export interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib's crc32). */
export function crc32(data: Uint8Array, crc = 0): number {
  crc = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

export function encodeFrame(type: number, id: number, payload: Uint8Array = new Uint8Array(0), flags = 0): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_SIZE + payload.length + TRAILER_SIZE);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = type;
  out[5] = flags;
  dv.setUint32(6, id >>> 0, true);
  dv.setUint32(10, payload.length, true);
  out.set(payload, HEADER_SIZE);
  dv.setUint32(HEADER_SIZE + payload.length, crc32(out.subarray(4, HEADER_SIZE + payload.length)), true);
  return out;
}

/** A terminal's size in character cells. */
export interface WindowSize {
  rows: number;
  cols: number;
}

export interface ExecRequest {
  stdin?: Uint8Array | string;
  timeoutMs?: number;
  /** ExecFlag bits. */
  flags?: number;
  /** The pty's initial size; required with ExecFlag.PTY. */
  size?: WindowSize;
}

function sizeBytes(size: WindowSize): Uint8Array {
  const p = new Uint8Array(4);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, size.rows, true);
  dv.setUint16(2, size.cols, true);
  return p;
}

export function encodeExec(id: number, command: string, opts: ExecRequest = {}): Uint8Array {
  const cmd = new TextEncoder().encode(command);
  const stdin = typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : (opts.stdin ?? new Uint8Array(0));
  const flags = opts.flags ?? 0;
  const size = flags & ExecFlag.PTY ? sizeBytes(opts.size ?? { rows: 24, cols: 80 }) : new Uint8Array(0);
  const p = new Uint8Array(12 + cmd.length + size.length + stdin.length);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, opts.timeoutMs ?? 0, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, cmd.length, true);
  p.set(cmd, 12);
  p.set(size, 12 + cmd.length);
  p.set(stdin, 12 + cmd.length + size.length);
  return encodeFrame(FrameType.EXEC, id, p);
}

export function encodeResize(id: number, size: WindowSize): Uint8Array {
  return encodeFrame(FrameType.RESIZE, id, sizeBytes(size));
}

export function encodeSignal(id: number, signal: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, signal, true);
  return encodeFrame(FrameType.SIGNAL, id, p);
}

export interface Hello {
  version: number;
  features: number;
  maxPayload: number;
  maxJobs: number;
  name: string;
}
export function decodeHello(p: Uint8Array): Hello {
  const dv = new DataView(p.buffer, p.byteOffset, p.length);
  return {
    version: dv.getUint16(0, true),
    features: dv.getUint16(2, true),
    maxPayload: dv.getUint32(4, true),
    maxJobs: dv.getUint32(8, true),
    name: new TextDecoder().decode(p.subarray(12)),
  };
}

export interface Exit {
  exitCode: number;
  signal: number;
  timedOut: boolean;
  coreDumped: boolean;
  elapsedMs: number;
}
export function decodeExit(p: Uint8Array): Exit {
  const dv = new DataView(p.buffer, p.byteOffset, p.length);
  const flags = dv.getUint32(8, true);
  return { exitCode: dv.getInt32(0, true), signal: dv.getUint32(4, true), timedOut: (flags & 1) !== 0, coreDumped: (flags & 2) !== 0, elapsedMs: dv.getUint32(12, true) };
}

export interface AgentError {
  code: number;
  message: string;
}
export function decodeError(p: Uint8Array): AgentError {
  return { code: p[0] | (p[1] << 8), message: new TextDecoder().decode(p.subarray(4)) };
}

/** Incremental decoder: push bytes as they arrive, get whole frames back. Resynchronises on bad frames. */
export class FrameDecoder {
  buf = new Uint8Array(0);
  /** Frames dropped for a bad CRC or length (for diagnostics). */
  badFrames = 0;
  /** Bytes skipped outside frames (e.g. stray console output). */
  skippedBytes = 0;

  push(chunk: Uint8Array): Frame[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf, 0);
    merged.set(chunk, this.buf.length);
    const frames: Frame[] = [];
    let pos = 0;
    const dv = new DataView(merged.buffer);
    for (;;) {
      while (pos < merged.length) {
        const n = Math.min(4, merged.length - pos);
        let ok = true;
        for (let i = 0; i < n; i++) if (merged[pos + i] !== MAGIC[i]) ok = false;
        if (ok) break;
        pos++;
        this.skippedBytes++;
      }
      if (merged.length - pos < HEADER_SIZE) break;
      const len = dv.getUint32(pos + 10, true);
      if (len > MAX_PAYLOAD) {
        this.badFrames++;
        pos++;
        continue;
      }
      if (merged.length - pos < HEADER_SIZE + len + TRAILER_SIZE) break;
      const want = dv.getUint32(pos + HEADER_SIZE + len, true);
      if (crc32(merged.subarray(pos + 4, pos + HEADER_SIZE + len)) !== want) {
        this.badFrames++;
        pos++;
        continue;
      }
      frames.push({ type: merged[pos + 4], flags: merged[pos + 5], id: dv.getUint32(pos + 6, true), payload: merged.slice(pos + HEADER_SIZE, pos + HEADER_SIZE + len) });
      pos += HEADER_SIZE + len + TRAILER_SIZE;
    }
    this.buf = merged.slice(pos);
    return frames;
  }
}

export interface ExecResult {
  exitCode: number;
  signal: number;
  timedOut: boolean;
  elapsedMs: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** How a command ended: `exitCode` follows the shell's convention (128 + signal when killed). */
export type ExecEnd = Omit<ExecResult, 'stdout' | 'stderr'>;

/** What the client tells the owner of one running command. */
export interface ExecListener {
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
  /** The agent passed this many more streamed stdin bytes to the command. */
  ack(bytes: number): void;
  exit(end: ExecEnd): void;
  fail(error: Error): void;
}

/**
 * A minimal client: give it a byte sink, feed it the bytes coming from the
 * agent, and call exec() (whole output at the end) or start() (output as it
 * comes, for a session with streamed stdin or a pty; see session.ts).
 * It keeps no clock, as its line may run on guest time or the host's: the
 * owner of the line puts a deadline on every wait (Machine does, in guest
 * time) and calls fail() when the line is gone.
 */
export class AgentClient implements Stateful {
  readonly stateVersion = 1;
  private decoder = new FrameDecoder();
  private nextId = 1;
  private pending = new Map<number, ExecListener>();
  private helloWaiters: { resolve: (h: Hello) => void; reject: (e: Error) => void }[] = [];
  hello?: Hello;
  errors: AgentError[] = [];

  constructor(readonly write: (bytes: Uint8Array) => void) {}

  /**
   * The session: the agent's greeting, the next request id, and a frame half
   * received. A request in flight has a caller waiting on this host, which no
   * record can carry: saving then is refused.
   */
  saveState(): StateRecord {
    if (this.pending.size) throw new StateError(`agent: request ${[...this.pending.keys()].join(', ')} is in flight; save between requests`);
    const d = this.decoder;
    return {
      hello: this.hello ? { ...this.hello } : null,
      nextId: this.nextId,
      partialFrame: d.buf.slice(),
      badFrames: d.badFrames,
      skippedBytes: d.skippedBytes,
    };
  }

  loadState(r: StateRecord): void {
    if (r.hello === null) this.hello = undefined;
    else {
      const h = recordField(r, 'hello');
      const hello: Hello = { version: 0, features: 0, maxPayload: 0, maxJobs: 0, name: '' };
      loadFields(hello, h, ['version', 'features', 'maxPayload', 'maxJobs', 'name']);
      this.hello = hello;
    }
    loadFields(ownFields(this), r, ['nextId']);
    this.decoder.buf = bytesField(r, 'partialFrame').slice();
    loadFields(this.decoder, r, ['badFrames', 'skippedBytes']);
  }

  feed(chunk: Uint8Array): void {
    for (const f of this.decoder.push(chunk)) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    const p = this.pending.get(f.id);
    switch (f.type) {
      case FrameType.HELLO_REPLY: {
        const h = decodeHello(f.payload);
        if (h.version !== PROTOCOL_VERSION) {
          this.fail(new Error(`the guest agent speaks protocol version ${h.version}; this host speaks ${PROTOCOL_VERSION}`));
          break;
        }
        this.hello = h;
        if (f.id === 0) {
          // unsolicited: the agent (re)started, so nothing pending will finish
          for (const [id, p] of this.pending) p.fail(new Error(`agent restarted; request ${id} lost`));
          this.pending.clear();
        }
        for (const w of this.helloWaiters.splice(0)) w.resolve(h);
        break;
      }
      case FrameType.STDOUT:
        p?.stdout(f.payload);
        break;
      case FrameType.STDERR:
        p?.stderr(f.payload);
        break;
      case FrameType.STDIN_ACK:
        p?.ack(new DataView(f.payload.buffer, f.payload.byteOffset, 4).getUint32(0, true));
        break;
      case FrameType.EXIT: {
        if (!p) break;
        this.pending.delete(f.id);
        const e = decodeExit(f.payload);
        p.exit({ exitCode: e.signal ? 128 + e.signal : e.exitCode, signal: e.signal, timedOut: e.timedOut, elapsedMs: e.elapsedMs });
        break;
      }
      case FrameType.ERROR: {
        const e = decodeError(f.payload);
        this.errors.push(e);
        if (p && e.code !== ErrorCode.STREAM_REFUSED) {
          this.pending.delete(f.id);
          p.fail(new Error(`agent error ${e.code}: ${e.message}`));
        }
        break;
      }
    }
  }

  /**
   * ping: send a HELLO and resolve on the reply. Without ping: resolve on the
   * agent's start-up HELLO_REPLY (at once if one was seen already). Send
   * nothing before the agent is ready: it discards input from before its start.
   */
  ready(ping = true): Promise<Hello> {
    if (!ping && this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve, reject) => {
      this.helloWaiters.push({ resolve, reject });
      if (ping) this.write(encodeFrame(FrameType.HELLO, PING_ID));
    });
  }

  /** Starts a command whose frames go to `listener`; returns its request id. */
  start(command: string, opts: ExecRequest, listener: ExecListener): number {
    if (this.nextId >= PING_ID) this.nextId = 1;
    const id = this.nextId++;
    this.pending.set(id, listener);
    this.write(encodeExec(id, command, opts));
    return id;
  }

  exec(command: string, opts: { stdin?: Uint8Array | string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const out: Uint8Array[] = [];
      const err: Uint8Array[] = [];
      this.start(command, opts, {
        stdout: (b) => out.push(b),
        stderr: (b) => err.push(b),
        ack: () => {},
        exit: (end) => resolve({ ...end, stdout: concatBytes(out), stderr: concatBytes(err) }),
        fail: reject,
      });
    });
  }

  /**
   * The guest rebooted: requests in flight are lost, and the agent is not
   * ready again until it says HELLO from the new boot.
   */
  rebooted(error: Error): void {
    for (const p of this.pending.values()) p.fail(error);
    this.pending.clear();
    this.hello = undefined;
  }

  /** Fails every request still waiting (the line or the guest went away). */
  fail(error: Error): void {
    for (const p of this.pending.values()) p.fail(error);
    this.pending.clear();
    for (const w of this.helloWaiters.splice(0)) w.reject(error);
  }

  signal(id: number, sig: number): void {
    this.write(encodeSignal(id, sig));
  }
}
