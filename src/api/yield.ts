// Letting the event loop (a worker's messages, Node's I/O) run between run slices.
// setTimeout(0) is clamped to 4 ms once nested, which would cost a run loop
// of ~20 ms slices a sixth of its speed; a message to ourselves is not.

const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
// The channel must not keep a Node process (or worker thread) alive by itself.
(channel.port1 as unknown as { unref?: () => void }).unref?.();

export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
