// The guest agent runs at most 16 commands at once and refuses more ("too
// many running commands"). The host queues instead, in two lanes: commands
// that may run for long (a foreground container, an exec, an attached
// session) share LONG_SLOTS, and the short ones the engine answers ps, kill,
// stop or logs with keep the rest, so sixteen foreground runs never lock a
// user out of seeing or stopping them.

/** What the agent announces as its limit (PROTOCOL.md, HELLO). */
export const AGENT_JOBS = 16;
export const LONG_SLOTS = 12;

/** A counting semaphore: at most `size` holders, the rest wait in order. */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  /** Waits for a slot; the function returned gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.used >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.used++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      // The slot passes straight to the next waiter, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}
