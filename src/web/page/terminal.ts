// The serial console in xterm.js: guest bytes in, keys out, fitted to its
// box. The serial line has no window size, so after a resize the guest's
// tty is told the new size through the agent (stty), as a real terminal
// server would.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

export interface ConsoleTerminal {
  term: Terminal;
  write(bytes: Uint8Array): void;
}

export function openTerminal(host: HTMLElement, send: (data: string) => void, resized: (cols: number, rows: number) => void): ConsoleTerminal {
  const term = new Terminal({
    convertEol: false,
    cursorBlink: true,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, monospace',
    fontSize: 13,
    theme: { background: '#0b1020', foreground: '#d8dee9', cursor: '#8fbcbb', selectionBackground: '#3b4a6b' },
    scrollback: 5000,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();
  term.onData(send);
  // Ctrl+Shift+C copies the selection (plain Ctrl+C belongs to the guest); paste is xterm's own.
  term.attachCustomKeyEventHandler((e) => {
    if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
      void navigator.clipboard?.writeText(term.getSelection());
      return false;
    }
    return true;
  });
  term.onResize(({ cols, rows }) => resized(cols, rows));
  new ResizeObserver(() => fit.fit()).observe(host);
  return { term, write: (bytes) => term.write(bytes) };
}
