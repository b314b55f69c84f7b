// KTAP (the kernel's TAP dialect: KUnit, kselftest) read from a console or
// a command's output, per Documentation/dev-tools/ktap.rst: a version line,
// a plan `1..N`, result lines `ok|not ok N [- ]name [# SKIP|TODO reason]`,
// and subtests nested one level deeper (KUnit indents them by four spaces;
// kselftest's runner prefixes its programs' output with `# `), each group
// closed by its parent's own result line.

import { untimed } from './kernel-log.ts';

export type KtapStatus = 'pass' | 'fail' | 'skip' | 'todo';

export interface KtapTest {
  name: string;
  number: number;
  status: KtapStatus;
  /** The reason after `# SKIP` or `# TODO`. */
  reason?: string;
  /** Lines the test printed before its result (KUnit's expectation failures, say). */
  diagnostics: string[];
  subtests: KtapTest[];
}

export interface KtapReport {
  tests: KtapTest[];
  /** The top level's plan, when it printed one. */
  planned?: number;
  /** Groups that ended short of their plan (a test run cut off by a crash, say): each counts as a failure. */
  problems: string[];
}

export interface KtapSummary {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  /** Failed leaf tests by path (`suite.case`), and the problems of the report. */
  failures: string[];
}

const RESULT = /^(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*?)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?$/i;
const PLAN = /^(\d+)\.\.(\d+)/;
const VERSION = /^K?TAP version \d+/;
const SUBTEST = /^#\s*Subtest:\s*(.+)$/;
/** What a line nested under kselftest's `# ` prefix must look like to count as TAP rather than a comment. */
const NESTED_TAP = /^# (?=K?TAP version|\d+\.\.\d+|(?:not )?ok\s+\d|#\s*Subtest:|# | {4})/;

interface Group {
  tests: KtapTest[];
  planned?: number;
  name?: string;
}

/** How deep a line is nested, and the line at its own level. */
function level(line: string): { depth: number; text: string } {
  let depth = 0;
  let text = line;
  for (;;) {
    if (text.startsWith('    ')) text = text.slice(4);
    else if (text.startsWith('\t')) text = text.slice(1);
    else if (NESTED_TAP.test(text)) text = text.slice(2);
    else break;
    depth++;
  }
  return { depth, text: text.trimEnd() };
}

/** Reads every KTAP/TAP line in `output`; lines that are not TAP are kept as diagnostics of the next result. */
export function parseKtap(output: string): KtapReport {
  const groups: Group[] = [{ tests: [] }];
  const problems: string[] = [];
  let diagnostics: string[] = [];
  let seen = false;
  const group = (depth: number): Group => {
    while (groups.length <= depth) groups.push({ tests: [] });
    return groups[depth];
  };
  const closeBelow = (depth: number, name: string): KtapTest[] => {
    const child = groups[depth + 1];
    groups.length = Math.min(groups.length, depth + 1);
    if (!child) return [];
    if (child.planned !== undefined && child.tests.length < child.planned) {
      problems.push(`${name}: planned ${child.planned} tests, ${child.tests.length} reported`);
    }
    return child.tests;
  };
  for (const raw of output.split(/\r?\n/)) {
    const { depth, text } = level(untimed(raw));
    if (VERSION.test(text)) {
      seen = true;
      continue;
    }
    const plan = PLAN.exec(text);
    if (plan && seen) {
      group(depth).planned = Number(plan[2]) - Number(plan[1]) + 1;
      continue;
    }
    const subtest = SUBTEST.exec(text);
    if (subtest && seen) {
      group(depth).name = subtest[1].trim();
      continue;
    }
    const r = RESULT.exec(text);
    if (r && seen) {
      const directive = r[4]?.toUpperCase();
      const name = r[3].trim() || group(depth + 1).name || `test ${r[2]}`;
      const status: KtapStatus = directive === 'SKIP' ? 'skip' : directive === 'TODO' ? 'todo' : r[1].toLowerCase() === 'ok' ? 'pass' : 'fail';
      const test: KtapTest = { name, number: Number(r[2]), status, diagnostics, subtests: closeBelow(depth, name) };
      if (directive && r[5]) test.reason = r[5].trim();
      diagnostics = [];
      group(depth).tests.push(test);
      continue;
    }
    if (seen && text) diagnostics.push(text.replace(/^#\s?/, ''));
  }
  const top = groups[0];
  if (top.planned !== undefined && top.tests.length < top.planned) {
    problems.push(`planned ${top.planned} tests, ${top.tests.length} reported`);
  }
  return { tests: top.tests, problems, ...(top.planned !== undefined ? { planned: top.planned } : {}) };
}

/** Counts the leaf tests (a test with subtests counts as its subtests). */
export function summarize(report: KtapReport): KtapSummary {
  const s: KtapSummary = { passed: 0, failed: 0, skipped: 0, todo: 0, failures: [...report.problems] };
  const visit = (t: KtapTest, path: string) => {
    if (t.subtests.length) {
      for (const sub of t.subtests) visit(sub, `${path}${t.name}.`);
      // A parent that failed with every subtest passing failed on its own account (its init, say).
      if (t.status === 'fail' && !t.subtests.some((sub) => sub.status === 'fail')) {
        s.failed++;
        s.failures.push(path + t.name);
      }
      return;
    }
    if (t.status === 'pass') s.passed++;
    else if (t.status === 'skip') s.skipped++;
    else if (t.status === 'todo') s.todo++;
    else {
      s.failed++;
      s.failures.push(path + t.name);
    }
  };
  for (const t of report.tests) visit(t, '');
  s.failed += report.problems.length;
  return s;
}

/** Whether the run passed: something was reported, and nothing failed. */
export function passed(report: KtapReport): boolean {
  const s = summarize(report);
  return s.failed === 0 && s.passed + s.skipped + s.todo > 0;
}

const xml = (s: string): string =>
  s
    .replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    // XML 1.0 has no way to write most control characters: drop them.
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

/** JUnit XML for CI systems: one testsuite per top-level test that has subtests, the others in one suite named `name`. */
export function toJUnit(report: KtapReport, name = 'ktap'): string {
  const suites: { name: string; cases: { path: string; test: KtapTest }[] }[] = [];
  const loose: { path: string; test: KtapTest }[] = [];
  const leaves = (t: KtapTest, path: string, into: { path: string; test: KtapTest }[]) => {
    if (!t.subtests.length) into.push({ path, test: t });
    for (const sub of t.subtests) leaves(sub, path ? `${path}.${sub.name}` : sub.name, into);
  };
  for (const t of report.tests) {
    if (t.subtests.length) {
      const cases: { path: string; test: KtapTest }[] = [];
      for (const sub of t.subtests) leaves(sub, sub.name, cases);
      suites.push({ name: t.name, cases });
    } else loose.push({ path: t.name, test: t });
  }
  if (loose.length || !suites.length) suites.unshift({ name, cases: loose });
  const s = summarize(report);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(name)}" tests="${s.passed + s.failed + s.skipped + s.todo}" failures="${s.failed}" skipped="${s.skipped + s.todo}">`,
  ];
  for (const suite of suites) {
    const failures = suite.cases.filter((c) => c.test.status === 'fail').length;
    const skipped = suite.cases.filter((c) => c.test.status === 'skip' || c.test.status === 'todo').length;
    out.push(`  <testsuite name="${xml(suite.name)}" tests="${suite.cases.length}" failures="${failures}" skipped="${skipped}">`);
    for (const { path, test } of suite.cases) {
      const open = `    <testcase name="${xml(path)}" classname="${xml(suite.name)}"`;
      const detail = xml(test.diagnostics.join('\n'));
      if (test.status === 'fail') out.push(`${open}>`, `      <failure message="not ok">${detail}</failure>`, '    </testcase>');
      else if (test.status === 'skip' || test.status === 'todo') out.push(`${open}>`, `      <skipped message="${xml(test.reason ?? test.status)}"/>`, '    </testcase>');
      else out.push(`${open}/>`);
    }
    out.push('  </testsuite>');
  }
  for (const p of report.problems) {
    out.push(`  <testsuite name="${xml(name)}: incomplete" tests="1" failures="1" skipped="0">`);
    out.push(`    <testcase name="${xml(p)}" classname="${xml(name)}">`, `      <failure message="incomplete">${xml(p)}</failure>`, '    </testcase>', '  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
