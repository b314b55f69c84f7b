// The host end of one guest TCP connection, as a byte stream both ways: what
// a TcpConnection relays the guest's bytes to and takes the host's bytes
// from. In Node it is a socket (node-outside.ts); a caller that opens a
// connection into the guest without a socket (the browser page's requests to
// a guest port) holds one end of a streamPair, the connection the other.

/** What a host stream tells its reader. */
export interface HostStreamEvents {
  data(bytes: Uint8Array): void;
  /** The host finished sending (a half-close: it may still take bytes). */
  end(): void;
  /** The host end is gone without finishing: the connection is reset. */
  abort(): void;
  /** What `write` had buffered was taken: room for more. */
  drain(): void;
}

export interface HostStream {
  /** Starts delivering events (once, before anything else). */
  listen(events: HostStreamEvents): void;
  write(bytes: Uint8Array): void;
  /** Finishes sending (a half-close). */
  end(): void;
  /** Aborts the stream both ways. */
  destroy(): void;
  /** Holds back `data` events until resume. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Bytes written that the other end has not taken yet. */
  readonly buffered: number;
  readonly destroyed: boolean;
}

/** One end of a streamPair: what it holds back for its reader while paused or not yet listening. */
class PairEnd implements HostStream {
  other!: PairEnd;
  paused = false;
  destroyed = false;
  private events: HostStreamEvents | null = null;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private endDelivered = false;
  private aborted = false;

  listen(events: HostStreamEvents): void {
    this.events = events;
    queueMicrotask(() => this.flush());
  }

  write(bytes: Uint8Array): void {
    if (this.destroyed || this.other.destroyed || bytes.length === 0) return;
    this.other.take(bytes.slice());
  }

  end(): void {
    if (this.destroyed) return;
    this.other.ended = true;
    this.other.flush();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue = [];
    this.queued = 0;
    this.other.aborted = true;
    this.other.flush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  get buffered(): number {
    return this.other.queued;
  }

  private take(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.flush();
  }

  private flush(): void {
    const ev = this.events;
    if (!ev || this.destroyed) return;
    if (this.aborted) {
      this.destroyed = true;
      return ev.abort();
    }
    const hadQueued = this.queued > 0;
    while (!this.paused && this.queue.length > 0) {
      const bytes = this.queue.shift()!;
      this.queued -= bytes.length;
      ev.data(bytes);
    }
    if (hadQueued && this.queued === 0) this.other.events?.drain();
    if (this.ended && !this.endDelivered && this.queue.length === 0) {
      this.endDelivered = true;
      ev.end();
    }
  }
}

/** Two host streams joined: what one writes, the other reads; ending, pausing and aborting carry across. */
export function streamPair(): [HostStream, HostStream] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
