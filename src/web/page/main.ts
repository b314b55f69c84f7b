// The page: starts the machine service in a Web Worker (which fetches the
// core and the default guest, showing progress here), puts the console in a
// terminal and lays out the panels, which poll the service's inspection views.
// The guest resumes from the snapshot of it booted that the build ships
// (guest/default.snap); without one, or when this build refuses it, it boots.
// Its /dev/vda is the site's lasting disk, mounted on /data once its agent is
// up (?disk=indexeddb: the IndexedDB one even where OPFS would do).

import { proxy, wrap } from 'comlink';
import type { MachineService, MachineSnapshot } from '../worker/machine-service.ts';
import { BootProgress, SNAPSHOT_STAGES, STAGES } from './boot-progress.ts';
import { openTerminal } from './terminal.ts';
import { CpuPanel } from './panels/cpu.ts';
import { CountersPanel } from './panels/counters.ts';
import { MmuPanel } from './panels/mmu.ts';
import { ProcessesPanel } from './panels/processes.ts';
import { ContainersPanel } from './panels/containers.ts';
import { TourPanel } from './panels/tour.ts';
import { TracePanel } from './panels/trace.ts';
import { PortsPanel } from './panels/ports.ts';
import { servePorts } from './ports.ts';
import { fromPageStart, mark } from '../timeline.ts';
import { BOOT_PARAM, SHIPPED_SNAPSHOT, type PageGlobals } from '../shipped.ts';

mark('page script');

async function main(): Promise<void> {
  // ?boot: boot the kernel instead of resuming (what the snapshot saves, for bench:web).
  const params = new URLSearchParams(location.search);
  const resume = !params.has(BOOT_PARAM);
  const progress = new BootProgress(document.getElementById('boot-stages')!, resume ? SNAPSHOT_STAGES : STAGES);
  // index.html started the worker already, so it loads the core and the guest while this script loaded.
  const worker = (window as PageGlobals).glassboxWorker;
  if (!worker) throw new Error("the page's worker was not started: index.html starts it before main.js");
  const machine = wrap<MachineService>(worker);
  // The machine in the devtools console (and for the page's tests): glassbox.exec('uname -a'), glassbox.runContainer(...).
  (window as PageGlobals).glassbox = machine;
  // Guest ports open in the page through its Service Worker, which relays them to the worker's guest.
  const ports = new PortsPanel();
  void servePorts(machine).then((result) => {
    ports.ready(result);
    if (result.ok) document.body.dataset.ports = 'ready';
  });

  const sizes = new Map<string, [number, number]>();
  const track = (file: string, loaded: number, total: number) => {
    sizes.set(file, [loaded, total]);
    const sum = [...sizes.values()].reduce((a, [l, t]) => [a[0] + l, a[1] + t], [0, 0]);
    progress.download(sum[0], sum[1]);
  };

  let agentUp = false;
  const term = openTerminal(
    document.getElementById('terminal')!,
    (data) => void machine.write(data),
    (cols, rows) => agentUp && void machine.exec(`stty -F /dev/ttyS0 cols ${cols} rows ${rows}`),
  );
  const decoder = new TextDecoder();
  const onConsole = proxy((bytes: Uint8Array) => {
    term.write(bytes);
    progress.console(decoder.decode(bytes, { stream: true }));
  });
  // Without its disk the tab still runs, only nothing outlasts it (and it boots: the snapshot has the disk).
  // The worker opens it while the downloads go on, and boots once it is open.
  const diskStatus = document.getElementById('disk-status')!;
  // ?disk-quota-left=BYTES: the disk's writes fail once that many more are written (a quota running out, for the page's test).
  const quotaLeft = params.has('disk-quota-left') ? Number(params.get('disk-quota-left')) : undefined;
  const diskOpened = machine.openDisk(params.get('disk') === 'indexeddb' ? 'indexeddb' : undefined, quotaLeft).then(
    () => true,
    (e: Error) => {
      diskStatus.textContent = `No lasting disk: ${e.message}`;
      return false;
    },
  );
  // The realtime clock: an interactive guest keeps wall time, so a container's `sleep 3600` lasts an hour.
  let booted = false;
  if (resume) {
    try {
      // The prompt the shell printed before the snapshot is not on this terminal: an empty line, typed before it runs, asks for a fresh one.
      await machine.boot({ clock: 'realtime', snapshot: SHIPPED_SNAPSHOT }, onConsole, proxy(track), '\n');
      mark('running');
      progress.enter(1);
      booted = true;
    } catch (e) {
      progress.restart(STAGES);
      progress.note(`(no snapshot to resume: ${(e as Error).message})`);
      sizes.clear();
    }
  }
  if (!booted) {
    await machine.boot({ clock: 'realtime' }, onConsole, proxy(track));
    mark('running');
    progress.enter(1);
  }
  // The start's moments (bench:web prints them), once the prompt is there.
  void progress.done.then(async () => (progress.root.dataset.timeline = JSON.stringify(fromPageStart(await machine.timeline()))));

  const hasDisk = await diskOpened;
  const counters = new CountersPanel();
  const show = (s: MachineSnapshot) => {
    cpu.update(s);
    counters.update(s.counters, s.power, s.paused);
  };
  const cpu = new CpuPanel(machine, show);
  const mmu = new MmuPanel(machine);
  const processes = new ProcessesPanel(machine);
  const containers = new ContainersPanel(machine);
  const trace = new TracePanel(machine);
  const refreshers: Record<string, () => Promise<void>> = { processes: () => processes.refresh(), containers: () => containers.refresh() };
  const tour = new TourPanel(machine, async (id) => refreshers[id]?.(), { openPort: (port) => ports.show(port) });
  document.getElementById('panels')!.append(tour.root, ports.root, containers.root, cpu.root, counters.root, mmu.root, processes.root, trace.root);

  const poll = async () => {
    show(await machine.snapshot());
    // What a reload now would lose of the disk's writes (IndexedDB's are stored behind them).
    if (hasDisk) document.body.dataset.diskUnstored = String(await machine.diskUnstored());
    const failed = hasDisk && (await machine.diskFailed());
    if (failed && document.body.dataset.diskFailed !== failed) {
      document.body.dataset.diskFailed = failed;
      diskStatus.textContent = `The lasting disk failed a write or read, which the guest saw as an I/O error: ${failed}`;
    }
    await trace.refresh();
  };
  setInterval(() => void poll(), 1000);
  void poll();

  await machine.agentReady();
  agentUp = true;
  document.body.dataset.agent = 'ready';
  if (hasDisk) {
    await machine.mountDisk().then(
      (d) => {
        const where = d.kind === 'opfs' ? "this site's OPFS" : d.kind === 'indexeddb' ? "this site's IndexedDB" : 'memory';
        diskStatus.textContent = `${d.mount} is a disk in ${where}${d.made ? ', new' : ''}: ${d.kind === 'memory' ? d.note : 'its files are there again after a reload.'}`;
        document.body.dataset.disk = d.kind;
      },
      (e: Error) => {
        diskStatus.textContent = `The lasting disk is not mounted: ${e.message}`;
        document.body.dataset.disk = 'failed';
      },
    );
  }
  await machine.exec(`stty -F /dev/ttyS0 cols ${term.term.cols} rows ${term.term.rows}`);
  void mmu.walk();
  void mmu.listSpaces();
  await processes.refresh();
  // Container usage is charted over time, and the ports they publish listed: one view a second (a few agent commands).
  const watch = async () => {
    await containers.refresh();
    ports.published(await machine.publishedPorts().catch(() => []));
    setTimeout(() => void watch(), 1000);
  };
  void watch();
}

main().catch((e) => {
  const box = document.getElementById('boot-error')!;
  box.textContent = `glassbox could not start: ${(e as Error).message}`;
  box.hidden = false;
});
