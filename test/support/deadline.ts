// A test waits for something to arrive only with a deadline, and when it
// passes says what did not arrive and from where, instead of sitting idle
// until vitest's timeout names only the hook or test.

/** `work`, or an Error `${what} did not arrive within N s` once `ms` of wall time pass first. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `everyMs` until it holds, or fails naming `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms = 60_000, everyMs = 100): Promise<void> {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, everyMs))) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
  }
}
