// bench:boot's boot and workload (bench/boot/console-script.ts) in Chromium,
// each run in fresh pages: v86 booting glassbox's default kernel and
// initramfs (same command line and memory), glassbox's page booting the same
// (?boot), and the page resuming the booted guest from the snapshot it ships.
// Boot to prompt is from page start to "/ # " on the console (each page's own
// data-ms). Then each phase of the workload is written on the console (the
// command, not timed; the echo is in before the clock starts), and timed in
// the page from its Enter to the marker line the guest's shell computes
// appearing on the console the page shows: glassbox's terminal, with the
// translator compiling in the machine's worker (its jitStats, read from the
// page after each phase, are printed), and v86's serial text. glassbox's
// page first finishes its start's own work in the guest (the agent, making
// and mounting the tab's disk, the first process list), which v86's page
// has none of.
// Run: npm run bench:web [-- runs]

import { copyFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../src/boot/guest-defaults.ts';
import { projectPath } from '../src/paths.ts';
import { buildWeb, serveStatic } from '../scripts/web.ts';
import type { JitStats } from '../src/core/jit/translator.ts';
import { CHECKED, PHASES, workloadCheck, type PhaseTimes } from './boot/console-script.ts';
import { printPhaseTable, totalMs } from './boot/phase-table.ts';
import { translatorSince } from './boot/jit-summary.ts';

const SEABIOS = '/usr/share/seabios';
const runs = Number(process.argv[2] ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`bench:web takes a number of runs (1 or more), not ${process.argv[2]}`);
/** The phases typed after the prompt. */
const WORKLOAD = PHASES.filter((p) => p.command);
const DEADLINE_MS = 600_000;

/** Whose page: glassbox's console is its terminal and its machine's proxy (window.glassbox), v86's its serial text and the emulator (window.v86). */
type Kind = 'glassbox' | 'v86';

interface PageWindow {
  glassbox: { write(s: string): Promise<void>; jitStats(): Promise<JitStats> };
  v86: { serial0_send(s: string): void };
  serialText(): string;
}

/** Writes `text` on the page's console, as the page's machine takes it (no terminal keys: v86's page has none); returns the page's clock as it starts to. */
const write = (page: Page, kind: Kind, text: string) =>
  page.evaluate(
    async ([kind, text]) => {
      const w = window as unknown as PageWindow;
      const t = performance.now();
      if (kind === 'glassbox') await w.glassbox.write(text);
      else w.v86.serial0_send(text);
      return t;
    },
    [kind, text] as const,
  );

/** The start of each page by stage (glassbox's `data-timeline`: ms from page start), of the runs so far. */
const timelines: Record<string, Record<string, number>[]> = {};

/** The phases' times (PHASES order) in a fresh page at `url`, its prompt there once `selector` is. */
async function timePhases(browser: Browser, url: string, selector: string, kind: Kind, label: string): Promise<PhaseTimes> {
  const page = await browser.newPage();
  const waitFor = (what: string, s: string, ms: number) =>
    page.waitForSelector(s, { timeout: ms, state: 'attached' }).catch((e: Error) => {
      throw new Error(`${label}: ${what} (${s}) did not come within ${ms / 1000} s (${e.message})`);
    });
  try {
    await page.goto(url);
    const ms = [Number(await (await waitFor('the prompt', selector, DEADLINE_MS)).getAttribute('data-ms'))];
    let stats: JitStats | undefined;
    if (kind === 'glassbox') {
      const t = await waitFor("the page's timeline", '#boot-stages[data-timeline]', 30_000);
      (timelines[label] ??= []).push(JSON.parse((await t.getAttribute('data-timeline'))!) as Record<string, number>);
      await waitFor("the end of the page's start (the agent, the disk mounted, the process list)", '#process-table tr', DEADLINE_MS);
      stats = await page.evaluate(() => (window as unknown as PageWindow).glassbox.jitStats());
    }
    let check = '?';
    for (const [i, p] of WORKLOAD.entries()) {
      await write(page, kind, p.command!);
      // The echo of the typed line is in before the clock starts.
      await page.waitForTimeout(1000);
      const t0 = await write(page, kind, '\n');
      const done = await page
        .waitForFunction(
          ([kind, re]) => {
            const text = kind === 'glassbox' ? (document.querySelector('.xterm-rows') as HTMLElement).innerText : (window as unknown as PageWindow).serialText();
            return new RegExp(re).test(text) && ([performance.now(), text] as const);
          },
          [kind, p.done.source] as const,
          { polling: 'raf', timeout: DEADLINE_MS },
        )
        .catch((e: Error) => {
          throw new Error(`${label}: ${p.done} did not appear on the console within ${DEADLINE_MS / 1000} s (${e.message})`);
        });
      const [t1, text] = (await done.jsonValue()) as [number, string];
      ms.push(t1 - t0);
      // What the phase printed: the console's text after the previous phase's marker.
      const previous = i > 0 ? [...text.matchAll(new RegExp(WORKLOAD[i - 1].done.source, 'g'))].pop() : undefined;
      if (p === CHECKED) check = workloadCheck(text.slice(previous ? previous.index + previous[0].length : 0));
      if (stats) {
        const now = await page.evaluate(() => (window as unknown as PageWindow).glassbox.jitStats());
        process.stderr.write(`bench:web:   ${p.name}: ${translatorSince(stats, now)}\n`);
        stats = now;
      }
    }
    return { ms, check };
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
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
try {
  const pages: [string, string, string, Kind][] = [
    ['v86, booting', `${server.url}bench/v86.html?cmdline=${encodeURIComponent(DEFAULT_CMDLINE)}&memoryMiB=${DEFAULT_MEMORY_MIB}`, 'body[data-ms]', 'v86'],
    ['glassbox, booting', `${server.url}?boot`, '#boot-stages[data-done="true"]', 'glassbox'],
    ['glassbox, from snapshot', server.url, '#boot-stages[data-mode="snapshot"][data-done="true"]', 'glassbox'],
  ];
  const loadBefore = load();
  const times = new Map<string, PhaseTimes[]>(pages.map(([label]) => [label, []]));
  for (let i = 0; i < runs; i++)
    for (const [label, url, selector, kind] of pages) {
      process.stderr.write(`bench:web: run ${i + 1} of ${runs}: ${label}...\n`);
      const r = await timePhases(browser, url, selector, kind, label);
      times.get(label)!.push(r);
      process.stderr.write(`bench:web: run ${i + 1} of ${runs}: ${label}: ${PHASES.map((p, k) => `${p.name} ${(r.ms[k] / 1000).toFixed(2)} s`).join(', ')}\n`);
    }
  // Each phase's best of the runs; a page whose runs printed different workload output shows them all, so the table's check fails.
  const best = (rs: PhaseTimes[]): PhaseTimes => ({ ms: PHASES.map((_, k) => Math.min(...rs.map((r) => r.ms[k]))), check: [...new Set(rs.map((r) => r.check))].join(' / ') });
  const results = [...times].map(([label, rs]) => [label, best(rs)] as [string, PhaseTimes]);
  const agree = printPhaseTable(`${browser.version()}, each phase's best of ${runs} runs; load average ${loadBefore} before, ${load()} after`, results);
  for (const [label, runs] of Object.entries(timelines)) {
    console.log(`${label}, ms from page start by stage:`);
    for (const t of runs)
      console.log(
        `  ${Object.entries(t)
          .map(([name, ms]) => `${name} ${ms}`)
          .join(', ')}`,
      );
  }
  const row = (label: string) => results.find(([l]) => l === label)![1];
  const [snap, boot] = [row('glassbox, from snapshot'), row('glassbox, booting')];
  console.log(
    `prompt from snapshot / booting: ${(snap.ms[0] / boot.ms[0]).toFixed(2)}; workload (after the prompt) from snapshot / booting: ${((totalMs(snap) - snap.ms[0]) / (totalMs(boot) - boot.ms[0])).toFixed(2)}`,
  );
  if (!agree) {
    console.error('bench:web: the pages disagree on the workload output');
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  server.close();
}
