// JSON lines on a socket: the engine protocol's framing, for both ends.

import type { Socket } from 'node:net';

/** Calls `onLine` with each complete line arriving on `sock`, without its newline. */
export function forEachLine(sock: Socket, onLine: (line: string) => void): void {
  let buf = '';
  sock.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}
