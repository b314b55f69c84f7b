// Containers panel: the containers view (src/inspect/containers.ts) of the
// engine running in the worker: each container's state, its namespaces next
// to the guest's, its cgroup limits, and its memory, pids and CPU use charted
// over time. An OOM kill shows as memory reaching the dashed limit, the
// container exiting and its OOM-kill count rising.

import type { ContainerView } from '../../../inspect/containers.ts';
import { NAMESPACES } from '../../../inspect/kernel.ts';
import { el, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';
import { Sparkline } from '../sparkline.ts';

interface Card {
  root: HTMLElement;
  head: HTMLElement;
  limits: HTMLElement;
  namespaces: HTMLTableElement;
  memory?: Sparkline;
  memoryCanvas: HTMLCanvasElement;
  pids: Sparkline;
  cpu: Sparkline;
  values: HTMLElement;
  lastCpu?: { usec: number; at: number };
}

const mib = (n: number) => (n / 1048576).toFixed(1) + ' MiB';

export class ContainersPanel {
  readonly root: HTMLElement;
  private readonly list = el('div', { id: 'container-list' });
  private readonly empty = el('p', { class: 'hint' }, 'No containers yet: the tour starts some.');
  private readonly error = el('p', { class: 'error', hidden: '' });
  private readonly cards = new Map<string, Card>();

  constructor(private readonly machine: MachineProxy) {
    this.root = panel('containers', 'Containers', this.empty, this.error, this.list);
  }

  /** Reads the view again; a failure is shown in the panel (the next refresh may succeed). */
  async refresh(): Promise<void> {
    let views: ContainerView[];
    try {
      views = await this.machine.containers();
      this.error.hidden = true;
    } catch (e) {
      this.error.textContent = `reading the containers view failed: ${(e as Error).message}`;
      this.error.hidden = false;
      return;
    }
    for (const [id, card] of this.cards) {
      if (!views.some((v) => v.id === id)) {
        card.root.remove();
        this.cards.delete(id);
      }
    }
    for (const v of views) this.show(v, this.cards.get(v.id) ?? this.add(v));
    this.empty.hidden = views.length > 0;
  }

  private add(v: ContainerView): Card {
    const chart = (label: string, canvas: HTMLCanvasElement) => el('div', { class: 'ctr-chart' }, el('span', { class: 'label' }, label), canvas);
    const memoryCanvas = el('canvas', { class: 'spark tall' });
    const pidsCanvas = el('canvas', { class: 'spark' });
    const cpuCanvas = el('canvas', { class: 'spark' });
    const card: Card = {
      root: el('div', { class: 'container', 'data-container': v.name }),
      head: el('div', { class: 'ctr-head' }),
      limits: el('div', { class: 'ctr-limits' }),
      namespaces: el('table', { class: 'ctr-ns' }),
      memoryCanvas,
      pids: new Sparkline(pidsCanvas, '#88c0d0'),
      cpu: new Sparkline(cpuCanvas, '#a3be8c'),
      values: el('div', { class: 'ctr-values' }),
    };
    card.root.append(card.head, card.limits, card.namespaces, chart('memory', memoryCanvas), chart('pids', pidsCanvas), chart('CPU', cpuCanvas), card.values);
    this.list.append(card.root);
    this.cards.set(v.id, card);
    return card;
  }

  private show(v: ContainerView, card: Card): void {
    card.root.dataset.status = v.status;
    card.root.dataset.oomKills = String(v.oomKills);
    const exit = v.status === 'exited' ? ` (exit ${v.exitCode ?? '?'})` : '';
    card.head.replaceChildren(
      el('b', {}, v.name),
      ` ${v.image} · `,
      el('span', { class: `status ${v.status}` }, v.status + exit),
      ' · ',
      el('span', { class: v.oomKills ? 'oom' : '' }, `OOM kills: ${v.oomKills}`),
    );

    const g = v.cgroup;
    const limit = g?.memoryMax && g.memoryMax !== 'max' ? Number(g.memoryMax) : undefined;
    // The limits live in the container's own cgroup, which goes when it exits: keep showing the last ones read.
    if (g && v.status === 'running')
      card.limits.textContent = `cgroup ${g.path} · memory.max ${limit ? mib(limit) : (g.memoryMax ?? '–')} · pids.max ${g.pidsMax ?? '–'} · cpu.max ${g.cpuMax ?? '–'}`;
    // The chart's scale is the limit, once the container's own cgroup has shown it.
    if (!card.memory || (limit && !card.memory.hasFixedMax)) card.memory = new Sparkline(card.memoryCanvas, '#b48ead', 120, limit);
    card.memory.push(g?.memoryCurrent ?? 0);
    card.pids.push(g?.pidsCurrent ?? 0);
    const now = performance.now();
    if (g?.cpuUsageUsec != null) {
      if (card.lastCpu && now > card.lastCpu.at) card.cpu.push(Math.max(0, g.cpuUsageUsec - card.lastCpu.usec) / 1000 / ((now - card.lastCpu.at) / 1000));
      card.lastCpu = { usec: g.cpuUsageUsec, at: now };
    }
    const procs = v.processes.map((p) => `${p.name} (PID ${p.pidInContainer} inside, ${p.pidInGuest} in the guest)`).join(', ');
    card.values.textContent = `memory ${mib(g?.memoryCurrent ?? 0)} (peak ${g?.memoryPeak == null ? '–' : mib(g.memoryPeak)}) · ${g?.pidsCurrent ?? 0} processes · CPU ${card.cpu.last?.toFixed(0) ?? '–'} ms/s${g?.ioWriteBytes != null ? ` · disk read ${mib(g.ioReadBytes ?? 0)}, written ${mib(g.ioWriteBytes)}` : ''}${procs ? ` · ${procs}` : ''}`;

    const rows = NAMESPACES.filter((n) => v.namespaces[n]?.container !== undefined).map((n) => {
      const { container, guest } = v.namespaces[n]!;
      return el(
        'tr',
        { 'data-ns': n, class: container !== guest ? 'own' : '' },
        el('td', {}, n),
        el('td', { class: 'ctr' + (container !== guest ? ' differs' : '') }, String(container)),
        el('td', { class: 'guest' }, String(guest ?? '')),
      );
    });
    // Once no process is left, the namespaces are gone: keep showing the ones the container had.
    if (rows.length || !card.namespaces.rows.length) {
      card.namespaces.replaceChildren(el('tr', {}, el('th', {}, 'namespace'), el('th', {}, 'container'), el('th', {}, 'guest (PID 1)')), ...rows);
    }
  }
}
