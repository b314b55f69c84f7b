// Letting the event loop (a worker's messages, Node's I/O) run between run slices.
// setTimeout(0) is clamped to 4 ms once nested, which would cost a run loop
// of ~20 ms slices a sixth of its speed. Node's setImmediate is not clamped
// and keeps the process alive while the run loop waits on it; a browser has
// no setImmediate, and there a message to ourselves is not clamped either.
// (A MessageChannel in Node had to be unref'd not to keep the process alive
// by itself, and then Node could exit with the message still undelivered,
// silently ending a process whose only work was the guest.)

const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

function byMessage(): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
}

export const yieldToEvents: () => Promise<void> = immediate ? () => new Promise((resolve) => void immediate(resolve)) : byMessage();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
