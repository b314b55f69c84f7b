// Locks between glassbox processes on one host: a file created exclusively
// (O_EXCL) holding the owner's PID. A lock whose owner has died (kill -9) is
// taken over, so a crash never leaves a home locked for good. Node has no
// flock(2); O_EXCL creation is atomic on local filesystems, which is where a
// glassbox home lives.

import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/**
 * Whether a process with this PID runs (EPERM: it does, owned by someone
 * else). A zombie does not: a process killed with -9 stays one until its
 * parent reaps it, and an engine's parent is PID 1, which may take seconds;
 * an engine started meanwhile must take over the dead one's lock.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/** Whether /proc says `pid` is a zombie (state Z); false where there is no /proc. */
function zombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file with no PID yet is being written; one still empty after this long lost its writer. */
const UNWRITTEN_MS = 5_000;

function abandoned(path: string, owner: number | undefined): boolean {
  if (owner !== undefined) return !alive(owner);
  try {
    return Date.now() - statSync(path).mtimeMs > UNWRITTEN_MS;
  } catch {
    return false;
  }
}

/**
 * Takes the lock at `path` if it is free or its owner is dead; otherwise
 * returns the owner's PID (0 while the owner is still writing it).
 */
export function tryLock(path: string): { release: () => void } | { owner: number } {
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => ownerOf(path) === process.pid && rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerOf(path);
    if (!abandoned(path, owner)) return { owner: owner ?? 0 };
    // The owner died holding it: move the stale file aside (one taker wins the rename) and try again.
    const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = ownerOf(aside);
    // Another process took the lock between our read and our rename: give it back.
    if (moved !== owner && !abandoned(aside, moved)) renameSync(aside, path);
    else rmSync(aside, { force: true });
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding the lock at `path`, waiting up to `timeoutMs` for it.
 * The sections run under it are short (renames and small writes), so the
 * wait sleeps the thread in small steps.
 */
export function withLock<T>(path: string, what: string, fn: () => T, timeoutMs = 30_000): T {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    const got = tryLock(path);
    if ('release' in got) {
      try {
        return fn();
      } finally {
        got.release();
      }
    }
    if (Date.now() > deadline) throw new LockTimeoutError(`${what} stayed locked by process ${got.owner} for ${timeoutMs / 1000} s (${path})`);
    Atomics.wait(pause, 0, 0, wait);
  }
}
