// A page of the built web app in a real browser: Debian's chromium, headless,
// driven through playwright-core, served from a local static server on a
// free port. The Chromium tests (test/web/) each open one in beforeAll.

import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWeb, serveStatic } from '../../scripts/web.ts';

export interface BrowserPage {
  page: Page;
  /** The server's base URL, ending in '/'. */
  url: string;
  close(): Promise<void>;
}

/** Builds the web app, serves it and opens `path` under it (the app itself by default). */
export async function openBrowserPage(opts: { path?: string; viewport?: { width: number; height: number } } = {}): Promise<BrowserPage> {
  const server = await serveStatic(await buildWeb(), 0);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage(opts.viewport ? { viewport: opts.viewport } : {});
    await page.goto(`${server.url}${opts.path ?? ''}`);
    const opened = browser;
    return {
      page,
      url: server.url,
      async close() {
        await opened.close();
        server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}
