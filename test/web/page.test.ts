// The page in a real browser (Debian's chromium, headless, through
// playwright-core): it boots the default guest in its worker, the terminal
// runs what is typed, the counters move, the MMU panel walks an address, and
// the tour's container and OOM demo show up in their panels.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectPath } from '../../src/paths.ts';
import { buildWeb, serveStatic } from '../../scripts/web.ts';

let browser: Browser;
let page: Page;
let server: { url: string; close: () => void };

beforeAll(async () => {
  server = await serveStatic(await buildWeb(), 0);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

const terminalText = () => page.locator('.xterm-rows').innerText();

test('boots to a shell and runs what is typed in the terminal', async () => {
  await page.waitForSelector('#boot-stages[data-done="true"]', { timeout: 240_000 });
  await page.click('#terminal');
  await page.keyboard.type('uname -a\n');
  await expect.poll(terminalText, { timeout: 30_000 }).toMatch(/Linux \S+ 6\.1\.\S+ .*i686/);
}, 300_000);

test('counters move and the MMU panel walks an address', async () => {
  await page.waitForSelector('body[data-agent="ready"]', { timeout: 120_000 });
  const instructions = async () => Number((await page.locator('#counters .totals').innerText()).split(' ')[0].replace(/,/g, ''));
  const first = await instructions();
  await expect.poll(instructions, { timeout: 10_000 }).toBeGreaterThan(first);
  await expect.poll(() => page.locator('[data-counter="tlbMisses"]').innerText()).not.toBe('–');

  // Linux's direct map puts kernel virtual 0xC0000000 + x at physical x.
  await page.fill('#mmu-address', 'c0123456');
  await page.click('#mmu-walk-button');
  await page.waitForSelector('#mmu-walk .result[data-physical="1193046"]', { timeout: 10_000 });

  // The shell's own system calls appear in the trace once it is recording them.
  await page.check('#trace input[data-kind="syscall"]');
  await page.click('#terminal');
  await page.keyboard.type('echo traced\n');
  await expect.poll(() => page.locator('#trace-list').innerText(), { timeout: 20_000 }).toMatch(/syscall\s+system call \d+ by (int 0x80|sysenter)/);
}, 200_000);

test('the tour starts a container in its own namespaces and a cgroup that gets OOM-killed', async () => {
  await page.click('[data-step="container"]');
  await page.waitForSelector('#process-table tr.isolated[data-comm="sleep"]', { timeout: 60_000 });
  await page.click('[data-step="oom"]');
  await page.waitForSelector('[data-cgroup="tour-oom"]', { timeout: 60_000 });
  await expect.poll(() => page.locator('[data-cgroup="tour-oom"]').getAttribute('data-oom-kills'), { timeout: 120_000 }).not.toBe('0');
  await page.screenshot({ path: projectPath('build', 'web-page.png'), fullPage: true });
}, 200_000);
