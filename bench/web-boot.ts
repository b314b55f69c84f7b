// Boot-to-prompt time in Chromium: glassbox's page next to v86 booting the
// same kernel and initramfs (same command line and memory) in the same
// browser, each in a fresh page, from page start to the shell prompt on the
// serial console. Run: npm run bench:web [-- runs]

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../src/boot/guest-defaults.ts';
import { projectPath } from '../src/paths.ts';
import { buildWeb, serveStatic } from '../scripts/web.ts';

const SEABIOS = '/usr/share/seabios';
const runs = Number(process.argv[2] ?? 3);

async function timeTo(browser: Browser, url: string, selector: string): Promise<number> {
  const page = await browser.newPage();
  await page.goto(url);
  const el = await page.waitForSelector(selector, { timeout: 600_000, state: 'attached' });
  const ms = Number(await el.getAttribute('data-ms'));
  await page.close();
  return ms;
}

const dir = await buildWeb();
const v86Dir = join(dir, 'bench');
mkdirSync(v86Dir, { recursive: true });
copyFileSync(projectPath('bench/web-boot/v86.html'), join(v86Dir, 'v86.html'));
for (const f of ['libv86.mjs', 'v86.wasm']) copyFileSync(projectPath('node_modules/v86/build', f), join(v86Dir, f));
for (const f of ['bios.bin', 'vgabios-stdvga.bin']) copyFileSync(join(SEABIOS, f), join(v86Dir, f));

const server = await serveStatic(dir, 0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const v86Url = `${server.url}bench/v86.html?cmdline=${encodeURIComponent(DEFAULT_CMDLINE)}&memoryMiB=${DEFAULT_MEMORY_MIB}`;
  const g: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < runs; i++) {
    g.push(await timeTo(browser, server.url, '#boot-stages[data-done="true"]'));
    v.push(await timeTo(browser, v86Url, 'body[data-ms]'));
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`${browser.version()}, ${runs} runs each, page start to "/ # " on the serial console:`);
  console.log(`  glassbox ${g.map((x) => (x / 1000).toFixed(1)).join(' ')} s (best ${(best(g) / 1000).toFixed(1)} s)`);
  console.log(`  v86      ${v.map((x) => (x / 1000).toFixed(1)).join(' ')} s (best ${(best(v) / 1000).toFixed(1)} s)`);
  console.log(`  glassbox / v86 (best): ${(best(g) / best(v)).toFixed(2)}`);
} finally {
  await browser.close();
  server.close();
}
