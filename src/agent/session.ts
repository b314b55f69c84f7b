// One command with its output as it comes and its stdin streamed: the host
// half of the agent's stdin flow control (PROTOCOL.md, "Streamed stdin").
// At most STDIN_WINDOW bytes are on their way at once; the rest waits here
// until the agent acknowledges what the command took, so a fast producer
// neither floods the serial line nor the agent's memory.

import { ExecFlag, FrameType, STDIN_WINDOW, encodeFrame, encodeResize, type AgentClient, type ExecEnd, type WindowSize } from './protocol.ts';

/** STDIN frames stay small so a keystroke never queues behind a long frame of bulk input for long. */
const STDIN_FRAME = 16384;

export interface SessionOptions {
  /** Guest time before the agent kills the command; 0 or absent: none. */
  timeoutMs?: number;
  /** Give the command a pty of this size as its controlling terminal. */
  tty?: WindowSize;
  /** With tty: the command hands over the pty master it wants relayed through $GLASSBOX_CONSOLE_SOCKET (crun's --console-socket). */
  consoleSocket?: boolean;
}

export interface SessionOutput {
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
}

export class AgentSession {
  readonly exit: Promise<ExecEnd>;
  private readonly id: number;
  private queue: { bytes: Uint8Array; sent: () => void }[] = [];
  private inFlight = 0;
  private ending = false;
  private eofSent = false;
  private finished = false;

  constructor(
    private readonly client: AgentClient,
    command: string,
    opts: SessionOptions,
    output: SessionOutput,
  ) {
    let resolve!: (end: ExecEnd) => void;
    let reject!: (e: Error) => void;
    this.exit = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    const flags = ExecFlag.STREAM_STDIN | (opts.tty ? ExecFlag.PTY : 0) | (opts.tty && opts.consoleSocket ? ExecFlag.CONSOLE_SOCKET : 0);
    this.id = client.start(
      command,
      { flags, size: opts.tty, timeoutMs: opts.timeoutMs ?? 0 },
      {
        stdout: output.stdout,
        stderr: output.stderr,
        ack: (n) => {
          this.inFlight -= n;
          this.pump();
        },
        exit: (end) => {
          this.finish();
          resolve(end);
        },
        fail: (e) => {
          this.finish();
          reject(e);
        },
      },
    );
  }

  /** Queues bytes for the command's stdin; resolves once they are on the line (or the command has ended). */
  write(data: Uint8Array): Promise<void> {
    if (this.finished || this.ending || data.length === 0) return Promise.resolve();
    return new Promise((sent) => {
      this.queue.push({ bytes: data, sent });
      this.pump();
    });
  }

  /** End of input: after what is queued, the command reads EOF (on a pty nothing changes; type ^D for that). */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** A new window size for the pty; the command's foreground process group gets SIGWINCH. */
  resize(size: WindowSize): void {
    if (!this.finished) this.client.write(encodeResize(this.id, size));
  }

  signal(sig: number): void {
    if (!this.finished) this.client.signal(this.id, sig);
  }

  private pump(): void {
    while (!this.finished && this.queue.length && this.inFlight < STDIN_WINDOW) {
      const head = this.queue[0]!;
      const n = Math.min(head.bytes.length, STDIN_WINDOW - this.inFlight, STDIN_FRAME);
      this.client.write(encodeFrame(FrameType.STDIN, this.id, head.bytes.subarray(0, n)));
      this.inFlight += n;
      head.bytes = head.bytes.subarray(n);
      if (head.bytes.length === 0) {
        this.queue.shift();
        head.sent();
      }
    }
    if (this.ending && !this.eofSent && !this.finished && this.queue.length === 0) {
      this.eofSent = true;
      this.client.write(encodeFrame(FrameType.STDIN, this.id));
    }
  }

  private finish(): void {
    this.finished = true;
    for (const q of this.queue.splice(0)) q.sent();
  }
}
