// An attached container process over the engine socket. After the request
// line the engine sends { attached: ID }, then output lines as the process
// writes, then the reply { ok, result: { id, exitCode } }; meanwhile the
// client sends input lines (stdin, its end, window sizes). Input is applied
// in order and the socket is paused while the guest's stdin window is full,
// so a fast client is slowed down instead of buffered without bound.

import type { Socket } from 'node:net';
import type { Attached } from '../containers/engine/containers.ts';
import type { AttachInput, AttachOutput } from './protocol.ts';

/** Input lines applied but not yet taken by the guest before the socket is paused. */
const HIGH_WATER = 4;

export interface AttachRelay {
  /** Called with each input line after the request. */
  input(msg: AttachInput): void;
  /** The process's exit status, once it has ended and its output has been sent. */
  exitCode: Promise<number>;
}

export function relayAttached(sock: Socket, a: Attached, send: (msg: AttachOutput) => void): AttachRelay {
  const out = (stream: 'stdout' | 'stderr') => (b: Uint8Array) => send({ [stream]: Buffer.from(b).toString('base64') } as AttachOutput);
  a.session.on('stdout', out('stdout')).on('stderr', out('stderr'));
  send({ attached: a.id });
  let applied: Promise<void> = Promise.resolve();
  let pending = 0;
  // A client that goes away mid-session ends the container's stdin, as a closed pipe would.
  sock.on('close', () => a.session.end());
  return {
    input(msg) {
      pending++;
      if (pending > HIGH_WATER) sock.pause();
      applied = applied.then(async () => {
        if ('stdin' in msg) await a.session.write(Buffer.from(msg.stdin, 'base64'));
        else if ('resize' in msg) a.session.resize(msg.resize);
        else a.session.end();
        if (--pending <= HIGH_WATER) sock.resume();
      });
    },
    exitCode: a.exitCode,
  };
}
