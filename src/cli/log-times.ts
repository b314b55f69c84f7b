// The times of `glassbox logs -t --since --until`: Docker's client-side
// reading of a --since/--until value (a Go duration before now, an RFC 3339
// date or time, in the local zone without one, or Unix seconds[.nanos]), and
// each log line paired with the guest time it was written at
// (engine/guest-scripts.ts timesFile). Times are nanoseconds since the Unix
// epoch as bigints: a double cannot hold them to the nanosecond.

/** Nanoseconds in each of Go's duration units (time.ParseDuration). */
const DURATION_UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, μs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** A Go duration ("10m", "1h30m", "1.5s", "-2h") in nanoseconds, or undefined when it is not one. */
export function goDuration(value: string): bigint | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(value);
  if (!m) return value === '0' ? 0n : undefined;
  let total = 0n;
  for (const [, whole, frac = '', unit] of m[2]!.matchAll(/(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/g)) {
    const scale = DURATION_UNITS[unit!]!;
    total += BigInt(whole || '0') * scale + (BigInt(frac || '0') * scale) / 10n ** BigInt(frac.length);
  }
  return m[1] === '-' ? -total : total;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Digits of a fraction of a second as nanoseconds ("5" is 500000000). */
const fractionNs = (digits: string) => BigInt(digits.slice(0, 9).padEnd(9, '0'));

/**
 * A date and time as Docker's GetTimestamp parses them: the layout chosen by
 * the value's shape (a '.' has seconds and a fraction, a 'T' a time of
 * 0 to 2 colons, else a date), with a zone (Z or ±hh:mm) unless the value has
 * no Z, z or + and not three '-', in which case it is in the client's zone
 * as it is now. Undefined when the value does not fit its layout.
 */
function dateTime(value: string, now: Date): bigint | undefined {
  const local = !/[zZ+]/.test(value) && value.split('-').length - 1 !== 3;
  const zone = local ? '()' : '(Z|[+-]\\d{2}:\\d{2})';
  const date = '(\\d{4})-(\\d{2})-(\\d{2})';
  let time: string;
  if (value.includes('.')) time = 'T(\\d{1,2}):(\\d{2}):(\\d{2})\\.(\\d+)';
  else if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    if (!local && !/[zZ]/.test(value) && colons > 0) colons--;
    time = ['T(\\d{1,2})()()()', 'T(\\d{1,2}):(\\d{2})()()', 'T(\\d{1,2}):(\\d{2}):(\\d{2})()'][Math.min(colons, 2)]!;
  } else time = '()()()()';
  const m = new RegExp(`^${date}${time}${zone}$`).exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v || 0)) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const z = m[8]!;
  // Go's time.FixedZone(reference.Zone()): the client's offset now, whatever the date's.
  const offsetMin = z === '' ? -now.getTimezoneOffset() : z === 'Z' ? 0 : (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6)));
  return BigInt(utc - offsetMin * 60_000) * NS_PER_MS + fractionNs(m[7] ?? '');
}

/**
 * A --since or --until value as nanoseconds since the epoch, as Docker's
 * client reads it (api/types/time GetTimestamp), or an Error in Docker's
 * words: `invalid value for "since": failed to parse value as time or duration: "foo"`.
 */
export function dockerTime(value: string, flag: 'since' | 'until', now = new Date()): bigint {
  const d = goDuration(value);
  if (d !== undefined && value !== '0') return BigInt(now.getTime()) * NS_PER_MS - d;
  const t = dateTime(value, now);
  if (t !== undefined) return t;
  // A value with a '-' was meant as a date: Go's parse error (our words for it) rather than the Unix-time one.
  if (value.includes('-'))
    throw new Error(`invalid value for "${flag}": parsing time ${JSON.stringify(value)}: not a date and time Docker accepts (RFC 3339, 2006-01-02T15:04:05, 2006-01-02)`);
  const unix = /^\+?(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (!unix) throw new Error(`invalid value for "${flag}": failed to parse value as time or duration: ${JSON.stringify(value)}`);
  return BigInt(unix[1]!) * NS_PER_S + fractionNs(unix[2] ?? '');
}

/** Docker's logs -t time: RFC 3339 in UTC with all nine fraction digits (jsonmessage.RFC3339NanoFixed). */
export function rfc3339NanoFixed(ns: bigint): string {
  const sec = ns / NS_PER_S - (ns % NS_PER_S < 0n ? 1n : 0n);
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${(ns - sec * NS_PER_S).toString().padStart(9, '0')}Z`;
}

/** One line of a log (its newline kept, if it has one) and the guest time it was written at, if stamped yet. */
export interface LogLine {
  text: string;
  ns: bigint | undefined;
}

/**
 * A log split into lines, each paired with its line of the times file
 * (Unix seconds with a fraction): a line written after the times were read,
 * or whose stamp is still on its way, has none.
 */
export function logLines(log: string, times: string): LogLine[] {
  const stamps = times.split('\n').filter(Boolean);
  return (log ? log.split(/(?<=\n)/) : []).map((text, i) => {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(stamps[i] ?? '');
    return { text, ns: m ? BigInt(m[1]!) * NS_PER_S + fractionNs(m[2] ?? '') : undefined };
  });
}

/** The lines from `from` on that are stamped, up to the first that is not (it and those after wait for their stamps). */
export function stampedFrom(lines: LogLine[], from: number): LogLine[] {
  const end = lines.findIndex((l, i) => i >= from && l.ns === undefined);
  return lines.slice(from, end < 0 ? lines.length : end);
}

/**
 * The lines without a stamp given the one before (the stamps of a container
 * that ended with its engine may stop short of its last lines), so that a
 * finished log prints whole.
 */
export function withLastStamp(lines: LogLine[]): LogLine[] {
  let last = 0n;
  return lines.map((l) => ({ text: l.text, ns: (last = l.ns ?? last) }));
}

/** Docker's selection of logged lines: those from `since` up to `until`, both included; with their time in front with `timestamps`. */
export function printable(lines: LogLine[], o: { since?: bigint; until?: bigint; timestamps?: boolean }): string {
  return lines
    .filter((l) => l.ns !== undefined && (o.since === undefined || l.ns >= o.since) && (o.until === undefined || l.ns <= o.until))
    .map((l) => (o.timestamps ? `${rfc3339NanoFixed(l.ns!)} ${l.text}` : l.text))
    .join('');
}
