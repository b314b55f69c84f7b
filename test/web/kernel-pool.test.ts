// glassbox/testing/browser: kernel runs in a real browser (Debian's chromium,
// headless, through playwright-core), two Web Workers at once, each booting
// the default guest and running one command through its agent, as
// `glassbox kernel run --jobs` does with worker threads in Node. Each run
// ends as the guest made it end: an exit status with the command's output, a
// kernel crash (an initrd that is not one leaves it no root: it panics), a deadline.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowserPage, type BrowserPage } from '../support/browser-page.ts';

let opened: BrowserPage;
let page: Page;

beforeAll(async () => {
  // Any page of the server's origin will do (workers and modules are same-origin): a plain 404 boots nothing.
  opened = await openBrowserPage({ path: 'blank' });
  page = opened.page;
}, 300_000);

afterAll(async () => {
  await opened?.close();
});

test('four kernel runs on two Web Workers: exit statuses and output, a crash, a deadline', async () => {
  // A string, not a function: vitest rewrites import() in the test's own code, and this runs in the page.
  const outcomes = (await page.evaluate(`(async (base) => {
    const { runKernelPoolInBrowser } = await import(new URL('kernel-pool.mjs', base).href);
    const jobs = [
      { command: 'uname -r', timeoutMs: 120000 },
      { command: 'echo out; echo err >&2; exit 3', timeoutMs: 120000 },
      { command: 'true', initrd: new TextEncoder().encode('this is not a cpio archive\\n'.repeat(100)), timeoutMs: 120000 },
      { command: 'sleep 1000', timeoutMs: 20000 },
    ];
    const results = await runKernelPoolInBrowser(jobs, { base, parallel: 2 });
    return results.map((r) => r instanceof Error ? { error: r.message } : {
      ...r.outcome,
      report: r.outcome.report && { kind: r.outcome.report.crash.kind, message: r.outcome.report.crash.message.slice(0, 2000) },
      consoleHasBoot: /Linux version 6\\.1/.test(r.console),
    });
  })(${JSON.stringify(opened.url)})`)) as Record<string, unknown>[];
  expect(outcomes[0]).toMatchObject({ how: 'exited', exitCode: 0, consoleHasBoot: true });
  expect((outcomes[0] as { stdout: string }).stdout).toMatch(/^6\.1\.\d+/);
  expect(outcomes[1]).toMatchObject({ how: 'exited', exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  expect(outcomes[2]).toMatchObject({ how: 'crashed' });
  expect((outcomes[2] as { report: { message: string } }).report.message).toMatch(/Kernel panic - not syncing: VFS: Unable to mount root fs/);
  expect(outcomes[3]).toMatchObject({ how: 'timeout', during: 'command' });
}, 900_000);
