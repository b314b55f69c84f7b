// The tab's lasting disk in a real browser (Debian's chromium, headless): a
// file written under /data in the tab's guest is there again after the page
// reloads, on the OPFS disk (what Chromium's worker offers) and on the
// IndexedDB one (the fallback, asked for with ?disk=indexeddb: it stores
// writes behind the guest, so the reload waits until the page says all are
// stored, which is what it promises). The browser's
// profile is new for each, so the first load makes the filesystem and the
// reload finds it. A second tab of the site, while the first holds the
// disk, gets one in memory and says so; a write the browser refuses (a
// quota run out) is an I/O error in the guest and a note on the page.

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

test('a second tab of the site, whose disk the first holds, gets a disk in memory and says so', async () => {
  opened = await openBrowserPage({ path: 'missing' });
  await opened.page.close();
  // Two tabs of the same origin in one browser profile: the OPFS file is the first one's while it is open.
  const profile = await opened.page.context().browser()!.newContext();
  const [first, second] = [await profile.newPage(), await profile.newPage()];
  await first.goto(opened.url);
  expect(await diskMounted(first, 'opfs')).toMatch(/^\/data is a disk in this site's OPFS/);
  await second.goto(opened.url);
  expect(await diskMounted(second, 'memory')).toMatch(/^\/data is a disk in memory, new: the site's disk is open in another tab .*gone when it closes/);
  // It is a disk all the same: files are written and read back on it.
  await second.click('#terminal');
  await second.keyboard.type('echo in-memory-$((6*7)) > /data/f && cat /data/f\n');
  await expect.poll(() => terminalText(second), { timeout: 60_000 }).toMatch(/\nin-memory-42/);
}, 600_000);

test("a write the browser refuses (the site's storage quota used up) is an I/O error in the guest and a note on the page, and the tab goes on", async () => {
  // The quota runs out 16 MiB after the disk opens: past the new filesystem's making (a few MiB), within the 32 MiB written here.
  // (Chromium's DevTools quota override did not limit the OPFS file's writes: the refusal is injected, page-disk.ts's withQuotaLeft.)
  opened = await openBrowserPage({ path: `?disk-quota-left=${16 << 20}` });
  const page = opened.page;
  await diskMounted(page, 'opfs');
  await page.click('#terminal');
  await page.keyboard.type('dd if=/dev/zero of=/data/big bs=1M count=32 conv=fsync; echo dd-status=$?\n');
  await expect.poll(() => terminalText(page), { timeout: 180_000 }).toMatch(/dd-status=\d+/);
  const text = await terminalText(page);
  expect(text).toMatch(/dd-status=[1-9]/);
  expect(text).toMatch(/I\/O error/i);
  await page.waitForSelector('body[data-disk-failed]', { timeout: 30_000 });
  expect(await page.locator('#disk-status').innerText()).toMatch(/failed a write or read, which the guest saw as an I\/O error: .*quota/);
  // The guest goes on.
  await page.keyboard.type('echo still-$((6*7))\n');
  await expect.poll(() => terminalText(page), { timeout: 60_000 }).toMatch(/\nstill-42/);
}, 600_000);
