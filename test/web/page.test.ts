// The page in a real browser (Debian's chromium, headless, through
// playwright-core): it resumes the booted default guest in its worker from
// the snapshot the build ships, the terminal
// runs what is typed, the counters move, the MMU panel walks an address, and
// the tour's engine containers show up in the containers panel: their own
// namespaces next to the guest's, and the OOM demo's kill at its memory limit.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { projectPath } from '../../src/paths.ts';
import { openBrowserPage, type BrowserPage } from '../support/browser-page.ts';

let opened: BrowserPage;
let page: Page;

beforeAll(async () => {
  opened = await openBrowserPage({ viewport: { width: 1600, height: 1000 } });
  page = opened.page;
});

afterAll(async () => {
  await opened?.close();
});

const terminalText = () => page.locator('.xterm-rows').innerText();

test('resumes the booted guest to a shell and runs what is typed in the terminal', async () => {
  await page.waitForSelector('#boot-stages[data-done="true"]', { timeout: 240_000 });
  // From the snapshot, not a boot it fell back to.
  expect(await page.locator('#boot-stages').getAttribute('data-mode')).toBe('snapshot');
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
  // Every process's page directory maps the kernel the same way: the walk under another address space lands on the same frame.
  await page.click('#mmu-spaces-button');
  const cr3 = Number(await page.locator('#mmu-spaces button[data-cr3]:not(:has-text("(now)"))').first().getAttribute('data-cr3'));
  await page.click(`#mmu-spaces button[data-cr3="${cr3}"]`);
  await expect.poll(() => page.locator('#mmu-walk .level').first().innerText(), { timeout: 10_000 }).toContain(`CR3 0x${cr3.toString(16).padStart(8, '0')}`);
  await page.waitForSelector('#mmu-walk .result[data-physical="1193046"]', { timeout: 10_000 });

  // The shell's own system calls appear in the trace once it is recording them.
  await page.check('#trace input[data-kind="syscall"]');
  await page.click('#terminal');
  await page.keyboard.type('echo traced\n');
  await expect.poll(() => page.locator('#trace-list').innerText(), { timeout: 20_000 }).toMatch(/syscall\s+\w+ \(\d+\) by (int 0x80|sysenter)/);
}, 200_000);

test('the tour runs engine containers: own namespaces in the containers panel, and an OOM kill at the memory limit', async () => {
  await page.click('[data-step="container"]');
  const box = page.locator('#containers [data-container="tour-box"]');
  await expect.poll(() => box.getAttribute('data-status'), { timeout: 90_000 }).toBe('running');
  for (const ns of ['pid', 'uts']) {
    const row = box.locator(`tr[data-ns="${ns}"]`);
    await row.waitFor({ timeout: 30_000 });
    const [inside, guest] = [Number(await row.locator('td.ctr').innerText()), Number(await row.locator('td.guest').innerText())];
    // Namespace inodes come from procfs's inode range (the initial namespaces' from just below 0xF0000000).
    expect(inside).toBeGreaterThan(0xe0000000);
    expect(guest).toBeGreaterThan(0xe0000000);
    expect(inside).not.toBe(guest);
  }
  // Its sleep is PID 1 in its own PID namespace and has another PID in the guest's.
  await expect.poll(() => box.locator('.ctr-values').innerText(), { timeout: 30_000 }).toMatch(/sleep \(PID 1 inside, (?!1\b)\d+ in the guest\)/);

  // Inside the container, its sleep is PID 1 and the hostname is its own.
  await page.click('[data-step="namespace"]');
  await expect
    .poll(() => page.locator('#tour-output').innerText(), { timeout: 60_000 })
    .toMatch(/inside tour-box: hostname tour-box, \d+ processes:[\s\S]*\n\s*1 \S+\s+\d*:?\d*\s*sleep 3600/);

  // The memory hog: usage climbs towards the 8 MiB limit, then the OOM killer ends it.
  await page.click('[data-step="oom"]');
  const hog = page.locator('#containers [data-container="tour-oom"]');
  await hog.waitFor({ timeout: 90_000 });
  await expect.poll(() => hog.locator('.ctr-limits').innerText(), { timeout: 30_000 }).toMatch(/memory\.max 8\.0 MiB/);
  let sampled = 0;
  await expect
    .poll(
      async () => {
        const mib = /memory ([\d.]+) MiB/.exec(await hog.locator('.ctr-values').innerText());
        sampled = Math.max(sampled, Number(mib?.[1] ?? 0));
        return hog.getAttribute('data-oom-kills');
      },
      { timeout: 150_000, interval: 250 },
    )
    .not.toBe('0');
  // The panel charted the climb, and the kernel's own record of the highest usage (memory.peak) is at the limit.
  expect(sampled).toBeGreaterThan(1);
  await expect.poll(async () => Number(/\(peak ([\d.]+) MiB\)/.exec(await hog.locator('.ctr-values').innerText())?.[1]), { timeout: 30_000 }).toBeGreaterThan(7);
  await expect.poll(() => hog.getAttribute('data-status'), { timeout: 30_000 }).toBe('exited');
  await expect(hog.locator('.ctr-head').innerText()).resolves.toMatch(/exited \(exit 137\) · OOM kills: [1-9]/);
  await page.screenshot({ path: projectPath('build', 'web-page.png'), fullPage: true });
}, 300_000);
