// The KTAP reader on output written to the format's rules
// (Documentation/dev-tools/ktap.rst): KUnit's indented subtests with their
// expectation failures, kselftest's `# `-prefixed nesting, directives, a plan
// cut short, printk timestamps, and the JUnit XML a CI system reads.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKtap, passed, summarize, toJUnit } from '../../src/testing/ktap.ts';

// Two suites as a KUnit kernel prints them on its console during boot.
const KUNIT_CONSOLE = [
  '[    1.100000] KTAP version 1',
  '[    1.100001] 1..2',
  '[    1.100002]     KTAP version 1',
  '[    1.100003]     # Subtest: arith',
  '[    1.100004]     1..3',
  '[    1.100005]     ok 1 adds_small_numbers',
  '[    1.100006]     # wraps_at_limit: EXPECTATION FAILED at lib/arith_test.c:40',
  '[    1.100007]     Expected sum == 0, but',
  '[    1.100008]         sum == 1',
  '[    1.100009]     not ok 2 wraps_at_limit',
  '[    1.100010]     ok 3 divides # SKIP no divider on this machine',
  '[    1.100011] # arith: pass:1 fail:1 skip:1 total:3',
  '[    1.100012] not ok 1 arith',
  '[    1.100013]     KTAP version 1',
  '[    1.100014]     # Subtest: strings',
  '[    1.100015]     1..2',
  '[    1.100016]     ok 1 copies',
  '[    1.100017]     ok 2 compares',
  '[    1.100018] ok 2 strings',
].join('\n');

describe('KTAP', () => {
  it('reads KUnit suites from a console, with subtests, diagnostics and a skip', () => {
    const r = parseKtap(KUNIT_CONSOLE);
    expect(r.planned).toBe(2);
    expect(r.tests.map((t) => [t.name, t.status])).toEqual([
      ['arith', 'fail'],
      ['strings', 'pass'],
    ]);
    const [add, wrap, div] = r.tests[0].subtests;
    expect([add.status, wrap.status, div.status]).toEqual(['pass', 'fail', 'skip']);
    expect(div.reason).toBe('no divider on this machine');
    expect(wrap.diagnostics.join('\n')).toContain('EXPECTATION FAILED at lib/arith_test.c:40');
    expect(summarize(r)).toEqual({ passed: 3, failed: 1, skipped: 1, todo: 0, failures: ['arith.wraps_at_limit'] });
    expect(passed(r)).toBe(false);
  });

  it('reads kselftest nesting under "# " and TAP 13 directives', () => {
    const out = [
      'TAP version 13',
      '1..1',
      '# TAP version 13',
      '# 1..3',
      '# ok 1 open_close',
      '# not ok 2 bad_fd # TODO not written yet',
      '# ok 3 - reopen',
      'ok 1 selftests: fds: fd_test',
    ].join('\n');
    const r = parseKtap(out);
    expect(r.tests).toHaveLength(1);
    expect(r.tests[0].subtests.map((t) => [t.name, t.status])).toEqual([
      ['open_close', 'pass'],
      ['bad_fd', 'todo'],
      ['reopen', 'pass'],
    ]);
    expect(passed(r)).toBe(true);
  });

  it('counts a run cut short of its plan as a failure, and nothing at all as not passed', () => {
    const r = parseKtap('KTAP version 1\n1..3\nok 1 first\n[   9.0] Kernel panic - not syncing: Fatal exception');
    expect(r.problems).toEqual(['planned 3 tests, 1 reported']);
    expect(summarize(r).failed).toBe(1);
    expect(passed(parseKtap('no tests here\nok 1 without a version line is not KTAP'))).toBe(false);
  });

  it('writes JUnit XML that a JUnit reader accepts, with failures and skips in place', () => {
    const x = toJUnit(parseKtap(KUNIT_CONSOLE), 'kernel');
    expect(x).toContain('<testsuite name="arith" tests="3" failures="1" skipped="1">');
    expect(x).toContain('<testcase name="wraps_at_limit" classname="arith">');
    expect(x).toMatch(/<failure message="not ok">[^<]*EXPECTATION FAILED/);
    // The XML must be well-formed: Python's own XML parser (a real reader) counts the elements.
    const dir = mkdtempSync(join(tmpdir(), 'junit-'));
    writeFileSync(join(dir, 'r.xml'), x);
    const counts = execFileSync(
      'python3',
      [
        '-c',
        [
          'import sys, xml.etree.ElementTree as E',
          'r = E.parse(sys.argv[1]).getroot()',
          'print(len(r.findall("testsuite")), len(list(r.iter("testcase"))), len(list(r.iter("failure"))), len(list(r.iter("skipped"))))',
        ].join('\n'),
        join(dir, 'r.xml'),
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(counts).toBe('2 5 1 1');
  });
});
