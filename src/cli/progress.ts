// Pull and push progress as Docker draws it: one line per blob. On a
// terminal each line is redrawn in place with a bar and the bytes so far;
// otherwise a line is printed whenever a blob's status changes (not for
// every chunk), so logs stay readable.

import type { OnProgress, Progress } from '../containers/registry/progress.ts';
import { formatSize } from './table.ts';

const BAR = 50;

function line(p: Progress): string {
  if (p.current === undefined || !p.total) return `${p.id}: ${p.status}`;
  const filled = Math.min(BAR, Math.floor((p.current / p.total) * BAR));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(BAR - filled);
  return `${p.id}: ${p.status} [${bar}] ${formatSize(p.current)}/${formatSize(p.total)}`;
}

export function progressPrinter(out: NodeJS.WriteStream, quiet: boolean): OnProgress {
  if (quiet) return () => {};
  const ids: string[] = [];
  const last = new Map<string, string>();
  if (!out.isTTY) {
    return (p) => {
      if (last.get(p.id) === p.status) return;
      last.set(p.id, p.status);
      out.write(`${p.id}: ${p.status}\n`);
    };
  }
  return (p) => {
    const row = ids.indexOf(p.id);
    if (row < 0) {
      ids.push(p.id);
      out.write(line(p) + '\n');
      return;
    }
    const up = ids.length - row;
    // Up to the blob's line, rewrite it, and back down below the last one.
    out.write(`\x1b[${up}A\x1b[2K\r${line(p)}\x1b[${up}B\r`);
  };
}
