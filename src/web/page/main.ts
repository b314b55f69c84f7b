// The page: downloads the core and the default guest (showing progress),
// boots it in a Web Worker, puts its console in a terminal and lays out the
// panels, which poll the worker's machine service.

import { proxy, transfer, wrap } from 'comlink';
import { loadCoreModule } from '../../core/load-browser.ts';
import type { MachineService } from '../worker/machine-service.ts';
import { BootProgress } from './boot-progress.ts';
import { fetchWithProgress } from './fetch-progress.ts';
import { openTerminal } from './terminal.ts';
import { CpuPanel } from './panels/cpu.ts';
import { CountersPanel } from './panels/counters.ts';
import { MmuPanel } from './panels/mmu.ts';
import { ProcessesPanel } from './panels/processes.ts';
import { CgroupsPanel } from './panels/cgroups.ts';
import { TourPanel } from './panels/tour.ts';
import { TracePanel } from './panels/trace.ts';

async function main(): Promise<void> {
  const progress = new BootProgress(document.getElementById('boot-stages')!);
  const machine = wrap<MachineService>(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));

  const sizes = new Map<string, [number, number]>();
  const track = (name: string) => (loaded: number, total: number) => {
    sizes.set(name, [loaded, total]);
    const sum = [...sizes.values()].reduce((a, [l, t]) => [a[0] + l, a[1] + t], [0, 0]);
    progress.download(sum[0], sum[1]);
  };
  const [core, kernel, initrd] = await Promise.all([
    loadCoreModule(new URL('./core.wasm', import.meta.url)),
    fetchWithProgress('guest/bzImage', track('kernel')),
    fetchWithProgress('guest/initramfs.cpio.gz', track('initrd')),
  ]);
  progress.enter(1);

  let agentUp = false;
  const term = openTerminal(
    document.getElementById('terminal')!,
    (data) => void machine.write(data),
    (cols, rows) => agentUp && void machine.exec(`stty -F /dev/ttyS0 cols ${cols} rows ${rows}`),
  );
  const decoder = new TextDecoder();
  await machine.boot(
    transfer({ core, kernel, initrd }, [kernel.buffer, initrd.buffer]),
    proxy((bytes: Uint8Array) => {
      term.write(bytes);
      progress.console(decoder.decode(bytes, { stream: true }));
    }),
  );

  const cpu = new CpuPanel(machine, () => void poll());
  const counters = new CountersPanel();
  const mmu = new MmuPanel(machine);
  const processes = new ProcessesPanel(machine);
  const cgroups = new CgroupsPanel(machine);
  const trace = new TracePanel(machine);
  const refreshers: Record<string, () => Promise<void>> = { processes: () => processes.refresh(), cgroups: () => cgroups.refresh() };
  const tour = new TourPanel(machine, async (id) => refreshers[id]?.());
  document.getElementById('panels')!.append(tour.root, cpu.root, counters.root, mmu.root, processes.root, cgroups.root, trace.root);

  async function poll(): Promise<void> {
    const s = await machine.snapshot();
    counters.update(s);
    await cpu.update(s);
    await trace.refresh();
  }
  setInterval(() => void poll(), 1000);
  void poll();

  await machine.agentReady();
  agentUp = true;
  document.body.dataset.agent = 'ready';
  await machine.exec(`stty -F /dev/ttyS0 cols ${term.term.cols} rows ${term.term.rows}`);
  void mmu.walk();
  await processes.refresh();
  // Cgroup usage is charted over time; the list is cheap to read (one exec a second).
  setInterval(() => void cgroups.refresh(), 1000);
}

main().catch((e) => {
  const box = document.getElementById('boot-error')!;
  box.textContent = `glassbox could not start: ${(e as Error).message}`;
  box.hidden = false;
});
