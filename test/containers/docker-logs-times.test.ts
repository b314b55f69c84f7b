// `logs -t`, `--since`, `--until` as a Docker user types them, against one
// engine with a fresh $GLASSBOX_HOME: the lines of a container that writes
// `a`, sleeps 2 s of guest time, then writes `b` (each on stdout and on
// stderr) carry the guest times they were written at, select by them, keep
// their streams apart, and outlive the engine. What is expected is what
// Docker's reference says: -t puts an RFC 3339 time with nine fraction
// digits and a space before each line, --since/--until keep the lines
// written in the window (both ends included), a value that is neither a
// time nor a duration is refused by the client with its message and status 1.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userShell } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-logtimes-home-'));

/** One line of a user's shell, `glassbox` being the bundled CLI. */
const sh = userShell(home);

/** RFC 3339 in UTC with exactly nine fraction digits (Docker's RFC3339NanoFixed), then a space and the line. */
const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{9})Z (.*)$/;

/** The lines of `logs -t` output as [time in ns, text]; a line that is not stamped fails. */
function stamped(out: string): [bigint, string][] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = STAMPED.exec(l);
      if (!m) throw new Error(`not an RFC3339NanoFixed-stamped line: ${JSON.stringify(l)}`);
      return [BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt(m[2]!), m[3]!];
    });
}

/** Unix seconds with nine digits, as --since takes them. */
const unix = (ns: bigint) => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

describe('logs -t, --since, --until', () => {
  afterAll(() => {
    sh('glassbox engine stop', 60_000);
  });

  let stdoutTimes: [bigint, string][] = [];

  it('-t stamps each line with its guest time, in order, each stream on its own; logs alone stays byte for byte', () => {
    const begun = Date.now();
    expect(sh('glassbox run -d --name ab busybox sh -c "echo a; echo ea >&2; sleep 2; echo b; printf eb >&2"').status).toBe(0);
    expect(sh('glassbox wait ab').out).toBe('0\n');
    const plain = sh('glassbox logs ab');
    expect(plain.out).toBe('a\nb\n');
    expect(plain.err).toBe('ea\neb');
    const t = sh('glassbox logs -t ab');
    expect(t.status).toBe(0);
    stdoutTimes = stamped(t.out);
    expect(stdoutTimes.map(([, l]) => l)).toEqual(['a', 'b']);
    const errTimes = stamped(t.err);
    expect(errTimes.map(([, l]) => l)).toEqual(['ea', 'eb']);
    // The 2 s sleep lies between the lines (guest time: 10 ms stamp steps).
    const gap = stdoutTimes[1]![0] - stdoutTimes[0]![0];
    expect(gap).toBeGreaterThanOrEqual(1_950_000_000n);
    expect(gap).toBeLessThan(30_000_000_000n);
    expect(errTimes[0]![0]).toBeGreaterThanOrEqual(stdoutTimes[0]![0]);
    // The engine sets the guest's clock to the host's (to the second): the stamps are of this run.
    const aMs = Number(stdoutTimes[0]![0] / 1_000_000n);
    expect(aMs).toBeGreaterThan(begun - 2_000);
    expect(aMs).toBeLessThan(Date.now() + 2_000);
    expect(sh('glassbox logs --timestamps --tail 1 ab').out).toMatch(/^\S+ b\n$/);
  }, 900_000);

  it('--since and --until select by the time each line was written', () => {
    const [[ta], [tb]] = stdoutTimes as [[bigint, string], [bigint, string]];
    const mid = ta + (tb - ta) / 2n;
    const since = sh(`glassbox logs --since ${unix(mid)} ab`);
    expect(since.out).toBe('b\n');
    expect(since.err).toBe('eb');
    const until = sh(`glassbox logs --until ${unix(mid)} ab`);
    expect(until.out).toBe('a\n');
    expect(until.err).toBe('ea\n');
    // Both ends included; RFC 3339 with a zone names the same instants.
    const iso = (ns: bigint) => `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
    expect(sh(`glassbox logs --since ${iso(tb)} --until ${iso(tb)} ab`).out).toBe('b\n');
    expect(sh(`glassbox logs --since ${iso(tb + 1n)} ab`).out).toBe('');
    // Relative to now: an hour back holds everything, a time in the future nothing.
    expect(sh('glassbox logs --since 1h ab').out).toBe('a\nb\n');
    expect(sh('glassbox logs --since -1h30m ab').out).toBe('');
  }, 600_000);

  it("refuses a value that is neither a time nor a duration as Docker's client does", () => {
    const bad = sh('glassbox logs --since foo ab');
    expect(bad.err).toBe('invalid value for "since": failed to parse value as time or duration: "foo"\n');
    expect(bad.status).toBe(1);
    expect(sh('glassbox logs --until 7d ab').err).toBe('invalid value for "until": failed to parse value as time or duration: "7d"\n');
  }, 120_000);

  it('-f -t follows a live container, each line stamped as it comes', () => {
    sh('glassbox run -d --name live busybox sh -c "sleep 1; echo x; sleep 2; echo y"');
    const f = sh('glassbox logs -f -t live');
    expect(f.status).toBe(0);
    const lines = stamped(f.out);
    expect(lines.map(([, l]) => l)).toEqual(['x', 'y']);
    expect(lines[1]![0] - lines[0]![0]).toBeGreaterThanOrEqual(1_950_000_000n);
  }, 600_000);

  it('the times outlive the engine (they are on its disk with the logs)', () => {
    expect(sh('glassbox engine stop', 120_000).status).toBe(0);
    const after = sh('glassbox logs -t ab', 600_000);
    expect(after.status).toBe(0);
    expect(stamped(after.err).map(([, l]) => l)).toEqual(['ea', 'eb']);
    expect(stamped(after.out)).toEqual(stdoutTimes);
  }, 900_000);
});
