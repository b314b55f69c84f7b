// The client end of `run -i/-t` and `exec -i/-t`: this process's stdin and
// stdout relayed to a container process through the engine. With -it the
// terminal is put in raw mode, so every key (Ctrl-C too) goes to the
// container's terminal and its line discipline decides what it means; the
// terminal is restored however the session ends.

import { attachEngine } from '../daemon/client.ts';
import type { EngineRequest } from '../daemon/protocol.ts';
import { glassboxHome } from '../home.ts';
import type { WindowSize } from '../api/types.ts';

export interface AttachFlags {
  interactive?: boolean;
  tty?: boolean;
}

/** This terminal's size, or the customary 24x80 when stdout is not a terminal. */
export function windowSize(): WindowSize {
  return process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : { rows: 24, cols: 80 };
}

/** Refuses -it without a terminal to read keys from, as docker does. */
export function checkTerminal(o: AttachFlags): void {
  if (o.interactive && o.tty && !process.stdin.isTTY) throw new Error('the input device is not a TTY; use -i without -t to pipe input');
}

/** Runs an attached request (req.attach set) to its end; returns the container process's exit status. */
export async function attach(req: EngineRequest, o: AttachFlags): Promise<number> {
  const session = await attachEngine(glassboxHome(), req, {
    stdout: (b) => process.stdout.write(b),
    stderr: (b) => process.stderr.write(b),
  });
  const raw = o.interactive === true && o.tty === true && process.stdin.isTTY === true;
  const restore = () => raw && process.stdin.setRawMode(false);
  const onResize = () => void session.send({ resize: windowSize() });
  if (raw) process.stdin.setRawMode(true);
  process.on('exit', restore);
  if (o.tty && process.stdout.isTTY) process.stdout.on('resize', onResize);
  if (o.interactive) {
    process.stdin.on('data', (chunk: Buffer) => {
      process.stdin.pause();
      void session.send({ stdin: chunk.toString('base64') }).then(() => process.stdin.resume());
    });
    process.stdin.on('end', () => void session.send({ eof: true }));
  }
  try {
    return (await session.done).exitCode;
  } finally {
    restore();
    process.off('exit', restore);
    process.stdout.off('resize', onResize);
    process.stdin.pause();
  }
}
