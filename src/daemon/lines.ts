// JSON lines on a socket: the engine protocol's framing, for both ends.
// A line is gathered from its chunks once it is complete (each chunk is
// searched once, so a long line costs linear time), and one longer than
// `maxBytes` is given up on instead of being held without bound.

import type { Socket } from 'node:net';

export interface LineOptions {
  /** The longest line taken; a longer one calls onTooLong and ends the reading. */
  maxBytes?: number;
  onTooLong?: () => void;
}

/** Calls `onLine` with each complete line arriving on `sock`, without its newline. */
export function forEachLine(sock: Socket, onLine: (line: string) => void, opts: LineOptions = {}): void {
  const max = opts.maxBytes ?? Infinity;
  let parts: Buffer[] = [];
  let held = 0;
  const onData = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (held + nl - start > max) return tooLong();
      parts.push(chunk.subarray(start, nl));
      const line = Buffer.concat(parts).toString('utf8');
      parts = [];
      held = 0;
      start = nl + 1;
      onLine(line);
    }
    if (start < chunk.length) {
      held += chunk.length - start;
      if (held > max) return tooLong();
      parts.push(chunk.subarray(start));
    }
  };
  const tooLong = () => {
    sock.off('data', onData);
    parts = [];
    opts.onTooLong?.();
  };
  sock.on('data', onData);
}
