// Docker's --restart while the engine runs: a container that ended is
// started again when its policy says so (always and unless-stopped: however
// it ended; on-failure: on a non-zero status, up to its most retries), after
// a delay that doubles from 100 ms with each restart in a row (at most a
// minute), and starts from 100 ms again once a run lasted 10 s. A container
// stopped or killed by the user stays stopped until it is started again.

import type { ContainerRecord, ContainerState } from './containers.ts';

/** What the watcher needs of the engine. */
export interface RestartTarget {
  records(): ContainerRecord[];
  state(c: ContainerRecord): Promise<ContainerState>;
  /** Starts the container again and counts the restart in its record. */
  restartByPolicy(c: ContainerRecord): Promise<void>;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run at least this long resets the delay. */
const STEADY_MS = 10_000;
/** How often the engine looks at the containers that have a policy. */
export const WATCH_INTERVAL_MS = 500;

/** Whether a container that ended with `exitCode` is to be started again, by its policy and the restarts it had. */
export function wantsRestart(c: ContainerRecord, exitCode: number | undefined): boolean {
  const policy = c.options.restart;
  if (!policy || policy.name === 'no' || c.manuallyStopped || c.lost) return false;
  if (policy.name !== 'on-failure') return true;
  if (exitCode === 0) return false;
  return !policy.maxRetries || (c.restartCount ?? 0) < policy.maxRetries;
}

export class RestartWatcher {
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  /** Per container: when it was last started by the watcher, and the delay before the next restart. */
  private readonly backoff = new Map<string, { startedAt: number; delayMs: number; endedAt?: number }>();

  constructor(
    private readonly engine: RestartTarget,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), WATCH_INTERVAL_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at every container with a policy; restarts those whose delay has passed. Overlapping ticks are skipped. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const c of this.engine.records()) {
        // exitCode undefined: whether any ending could still restart it
        if (!wantsRestart(c, undefined)) continue;
        const state = await this.engine.state(c).catch(() => undefined);
        if (state?.status !== 'exited' || !wantsRestart(c, state.exitCode)) continue;
        let b = this.backoff.get(c.id);
        if (!b) this.backoff.set(c.id, (b = { startedAt: 0, delayMs: FIRST_DELAY_MS }));
        const now = this.now();
        b.endedAt ??= now;
        if (now - b.endedAt < b.delayMs) continue;
        const steady = b.startedAt !== 0 && b.endedAt - b.startedAt >= STEADY_MS;
        await this.engine.restartByPolicy(c).catch(() => {});
        this.backoff.set(c.id, { startedAt: this.now(), delayMs: steady ? FIRST_DELAY_MS : Math.min(b.delayMs * 2, MAX_DELAY_MS) });
      }
    } finally {
      this.busy = false;
    }
  }
}
