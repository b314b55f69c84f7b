// The tab's lasting disk in a real browser (Debian's chromium, headless): a
// file written under /data in the tab's guest is there again after the page
// reloads, on the OPFS disk (what Chromium's worker offers) and on the
// IndexedDB one (the fallback, asked for with ?disk=indexeddb: it stores
// writes behind the guest, so the reload waits until the page says all are
// stored, which is what it promises). The browser's
// profile is new for each, so the first load makes the filesystem and the
// reload finds it.

import { afterEach, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowserPage, type BrowserPage } from '../support/browser-page.ts';

let opened: BrowserPage | undefined;

afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

const terminalText = (page: Page) => page.locator('.xterm-rows').innerText();

/** Waits for the disk to be mounted as `kind`; returns the page's line about it. */
async function diskMounted(page: Page, kind: string): Promise<string> {
  await page.waitForSelector(`body[data-disk="${kind}"]`, { timeout: 240_000 }).catch(async (e) => {
    throw new Error(`the tab's disk was not mounted as ${kind}: ${await page.locator('#disk-status').innerText()} ${(e as Error).message}`);
  });
  return page.locator('#disk-status').innerText();
}

async function survivesReload(path: string, kind: string): Promise<void> {
  opened = await openBrowserPage({ path });
  const page = opened.page;
  expect(await diskMounted(page, kind)).toMatch(/^\/data is a disk in .*, new:/);
  // Content only this run knows; sync sends the guest's FLUSH to the disk.
  const token = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  await page.click('#terminal');
  await page.keyboard.type(`echo kept-${token} > /data/note && sync && grep -c /dev/vda /proc/mounts && echo wrote-$((6*7))\n`);
  await expect.poll(() => terminalText(page), { timeout: 60_000 }).toMatch(/\n1\s*\nwrote-42/);
  // Stored by the browser: at once on OPFS; IndexedDB's blocks are written behind, and the page says when none is left
  // (a reading from after the write: the one there now is forgotten first).
  await page.evaluate(() => delete document.body.dataset.diskUnstored);
  await page.waitForSelector('body[data-disk-unstored="0"]', { timeout: 30_000 });

  await page.reload();
  // The filesystem is found, not made again.
  expect(await diskMounted(page, kind)).toMatch(/^\/data is a disk in [^,]*: its files are there again/);
  await page.click('#terminal');
  await page.keyboard.type('cat /data/note\n');
  await expect.poll(() => terminalText(page), { timeout: 60_000 }).toContain(`kept-${token}`);
}

test("a file written on the tab's OPFS disk is there after a reload", () => survivesReload('', 'opfs'), 600_000);

test("a file written on the tab's IndexedDB disk is there after a reload", () => survivesReload('?disk=indexeddb', 'indexeddb'), 600_000);
