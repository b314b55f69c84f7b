// Time to the shell prompt in Chromium, from page start, each in a fresh
// page: glassbox's page resuming the booted guest from the snapshot it ships,
// the same page booting the kernel (?boot), and v86 booting the same kernel
// and initramfs (same command line and memory) in the same browser.
// Run: npm run bench:web [-- runs]

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
  const s: number[] = [];
  const g: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(await timeTo(browser, server.url, '#boot-stages[data-mode="snapshot"][data-done="true"]'));
    g.push(await timeTo(browser, `${server.url}?boot`, '#boot-stages[data-done="true"]'));
    v.push(await timeTo(browser, v86Url, 'body[data-ms]'));
  }
  const best = (xs: number[]) => Math.min(...xs);
  const row = (name: string, xs: number[]) => console.log(`  ${name.padEnd(26)} ${xs.map((x) => (x / 1000).toFixed(2)).join(' ')} s (best ${(best(xs) / 1000).toFixed(2)} s)`);
  console.log(`${browser.version()}, ${runs} runs each, page start to "/ # " on the serial console:`);
  row('glassbox, from snapshot', s);
  row('glassbox, booting', g);
  row('v86, booting', v);
  console.log(`  glassbox booting / v86 (best): ${(best(g) / best(v)).toFixed(2)}; from snapshot / booting: ${(best(s) / best(g)).toFixed(2)}`);
} finally {
  await browser.close();
  server.close();
}
