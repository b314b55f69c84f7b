// logs --since/--until/-t on the host side, against what Docker documents and
// its client's own test cases (moby client/container_logs_test.go): the
// values it accepts and their meaning, its error wording, the fixed-width
// RFC 3339 time of `docker logs -t`.

import { describe, expect, it } from 'vitest';
import { dockerTime, goDuration, logLines, printable, rfc3339NanoFixed, stampedFrom, withLastStamp } from '../../src/cli/log-times.ts';

const now = new Date(Date.UTC(2026, 11, 6, 21, 0, 0));
const nowNs = BigInt(now.getTime()) * 1_000_000n;
const S = 1_000_000_000n;

describe("Docker's --since/--until values", () => {
  it('Go durations count back from now: 10m, 1h30m, 1.5s, 300ms', () => {
    expect(dockerTime('10m', 'since', now)).toBe(nowNs - 600n * S);
    expect(dockerTime('1h30m', 'since', now)).toBe(nowNs - 5400n * S);
    expect(dockerTime('1.5s', 'until', now)).toBe(nowNs - 1_500_000_000n);
    expect(goDuration('300ms')).toBe(300_000_000n);
    expect(goDuration('-2h')).toBe(-7200n * S);
    expect(goDuration('10d')).toBeUndefined();
  });

  it('Unix seconds with up to nine fraction digits, as given', () => {
    expect(dockerTime('1136073600.000000001', 'since', now)).toBe(1136073600n * S + 1n);
    expect(dockerTime('1136073600', 'since', now)).toBe(1136073600n * S);
    expect(dockerTime('0', 'since', now)).toBe(0n);
  });

  it("RFC 3339 with a zone, and the documented local layouts in the client's zone", () => {
    expect(dockerTime('2006-01-02T15:04:05Z', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2, 15, 4, 5)) * 1_000_000n);
    expect(dockerTime('2006-01-02T15:04:05.999999999+07:00', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2, 8, 4, 5)) * 1_000_000n + 999_999_999n);
    expect(dockerTime('2006-01-02Z', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2)) * 1_000_000n);
    const offsetNs = BigInt(now.getTimezoneOffset()) * 60n * S;
    expect(dockerTime('2006-01-02T15:04:05', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2, 15, 4, 5)) * 1_000_000n + offsetNs);
    expect(dockerTime('2006-01-02T15:04', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2, 15, 4)) * 1_000_000n + offsetNs);
    expect(dockerTime('2006-01-02', 'since', now)).toBe(BigInt(Date.UTC(2006, 0, 2)) * 1_000_000n + offsetNs);
  });

  it("refuses anything else in Docker's words", () => {
    expect(() => dockerTime('invalid value', 'since', now)).toThrow('invalid value for "since": failed to parse value as time or duration: "invalid value"');
    expect(() => dockerTime('13:50', 'until', now)).toThrow('invalid value for "until": failed to parse value as time or duration: "13:50"');
    expect(() => dockerTime('7d', 'since', now)).toThrow('failed to parse value as time or duration: "7d"');
    expect(() => dockerTime('2006-13-02', 'since', now)).toThrow(/^invalid value for "since": parsing time "2006-13-02"/);
  });
});

describe('log lines and their times', () => {
  it('-t prints nine fraction digits in UTC', () => {
    expect(rfc3339NanoFixed(1136073600n * S + 1n)).toBe('2006-01-01T00:00:00.000000001Z');
    expect(rfc3339NanoFixed(1796591665n * S + 476685000n)).toBe('2026-12-06T21:14:25.476685000Z');
  });

  it('pairs lines with stamps, holds back the unstamped, and selects by since/until inclusively', () => {
    const lines = logLines('a\nb\nc', '100.5\n102.25\n');
    expect(lines.map((l) => l.ns)).toEqual([100n * S + 500_000_000n, 102n * S + 250_000_000n, undefined]);
    expect(stampedFrom(lines, 0).map((l) => l.text)).toEqual(['a\n', 'b\n']);
    expect(withLastStamp(lines)[2]).toEqual({ text: 'c', ns: 102n * S + 250_000_000n });
    expect(printable(withLastStamp(lines), { since: 102n * S + 250_000_000n })).toBe('b\nc');
    expect(printable(lines, { until: 101n * S, timestamps: true })).toBe('1970-01-01T00:01:40.500000000Z a\n');
  });
});
