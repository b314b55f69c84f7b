// Time to the shell prompt in Chromium, from page start, each in a fresh
// page: glassbox's page resuming the booted guest from the snapshot it ships,
// the same page booting the kernel (?boot), and v86 booting the same kernel
// and initramfs (same command line and memory) in the same browser. Then one
// workload phase of bench:boot's script (bench/boot/console-script.ts) typed
// on each one's console in the tab: the command typed (not timed), then the
// time from its Enter to the marker line the guest's shell computes
// appearing on the console the page shows (glassbox's terminal, with its
// translator compiling in the machine's worker; v86's serial text).
// Run: npm run bench:web [-- runs]

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../src/boot/guest-defaults.ts';
import { projectPath } from '../src/paths.ts';
import { buildWeb, serveStatic } from '../scripts/web.ts';
import { PHASES } from './boot/console-script.ts';

const SEABIOS = '/usr/share/seabios';
const runs = Number(process.argv[2] ?? 3);
const WORKLOAD = PHASES.find((p) => p.name.startsWith('shell loop'))!;
const DEADLINE_MS = 600_000;

/** How a page's console is typed on and read. */
interface Console {
  type(page: Page, text: string): Promise<void>;
  /** Where the page shows the console's text: glassbox's terminal rows (the marker is the newest line), or v86's page's window.serialText(). */
  shows: 'terminal' | 'serialText';
}

const glassboxConsole: Console = {
  async type(page, text) {
    await page.click('#terminal');
    await page.keyboard.type(text);
  },
  shows: 'terminal',
};

const v86Console: Console = {
  type: (page, text) => page.evaluate((t) => (window as unknown as { v86: { serial0_send(s: string): void } }).v86.serial0_send(t), text),
  shows: 'serialText',
};

/** The page's start by stage (glassbox's `data-timeline`: ms from page start), of the runs so far. */
const timelines: Record<string, Record<string, number>[]> = {};

/** Milliseconds from page start to the prompt (the page's own `data-ms`), then from the workload's Enter to its marker. */
async function timeTo(browser: Browser, url: string, selector: string, con: Console): Promise<[number, number]> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    const el = await page.waitForSelector(selector, { timeout: DEADLINE_MS, state: 'attached' });
    const prompt = Number(await el.getAttribute('data-ms'));
    if (con === glassboxConsole) {
      const t = await page.waitForSelector('#boot-stages[data-timeline]', { timeout: 30_000, state: 'attached' });
      (timelines[url] ??= []).push(JSON.parse((await t.getAttribute('data-timeline'))!) as Record<string, number>);
    }
    await con.type(page, WORKLOAD.command!);
    // The echo of the typed line is in before the clock starts.
    await page.waitForTimeout(1000);
    const t0 = await page.evaluate(() => performance.now());
    await con.type(page, '\n');
    const done = await page
      .waitForFunction(
        ([shows, re]) => {
          const text = shows === 'terminal' ? (document.querySelector('.xterm-rows') as HTMLElement).innerText : (window as unknown as { serialText(): string }).serialText();
          return new RegExp(re).test(text) && performance.now();
        },
        [con.shows, WORKLOAD.done.source] as const,
        { polling: 'raf', timeout: DEADLINE_MS },
      )
      .catch((e: Error) => {
        throw new Error(`${url}: ${WORKLOAD.done} did not appear on the console within ${DEADLINE_MS / 1000} s (${e.message})`);
      });
    return [prompt, ((await done.jsonValue()) as number) - t0];
  } finally {
    await page.close();
  }
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
  const rows = {
    'glassbox, from snapshot': [] as [number, number][],
    'glassbox, booting': [] as [number, number][],
    'v86, booting': [] as [number, number][],
  };
  for (let i = 0; i < runs; i++) {
    rows['glassbox, from snapshot'].push(await timeTo(browser, server.url, '#boot-stages[data-mode="snapshot"][data-done="true"]', glassboxConsole));
    rows['glassbox, booting'].push(await timeTo(browser, `${server.url}?boot`, '#boot-stages[data-done="true"]', glassboxConsole));
    rows['v86, booting'].push(await timeTo(browser, v86Url, 'body[data-ms]', v86Console));
  }
  const best = (xs: [number, number][], k: 0 | 1) => Math.min(...xs.map((x) => x[k]));
  const s = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    `${browser.version()}, ${runs} runs each; s from page start to "/ # " on the serial console, then ${WORKLOAD.name} (${JSON.stringify(WORKLOAD.command)}) from its Enter to ${WORKLOAD.done}:`,
  );
  for (const [name, xs] of Object.entries(rows)) {
    console.log(
      `  ${name.padEnd(24)} prompt ${xs.map((x) => s(x[0])).join(' ')} (best ${s(best(xs, 0))}); ${WORKLOAD.name} ${xs.map((x) => s(x[1])).join(' ')} (best ${s(best(xs, 1))})`,
    );
  }
  for (const [url, runs] of Object.entries(timelines)) {
    console.log(`  ${url === server.url ? 'from snapshot' : 'booting'}, ms from page start by stage:`);
    for (const t of runs)
      console.log(
        `    ${Object.entries(t)
          .map(([name, ms]) => `${name} ${ms}`)
          .join(', ')}`,
      );
  }
  const [g, v, snap] = [rows['glassbox, booting'], rows['v86, booting'], rows['glassbox, from snapshot']];
  console.log(
    `  glassbox / v86 (best): prompt booting ${(best(g, 0) / best(v, 0)).toFixed(2)}, ${WORKLOAD.name} ${(best(g, 1) / best(v, 1)).toFixed(2)} (after the snapshot's prompt ${(best(snap, 1) / best(v, 1)).toFixed(2)}); ` +
      `prompt from snapshot / booting: ${(best(snap, 0) / best(g, 0)).toFixed(2)}`,
  );
} finally {
  await browser.close();
  server.close();
}
