// Cgroups panel: each child cgroup of the guest's root with its memory use
// charted against its limit over time, and its OOM kills. (The container
// layer's own view replaces this once it is on main; until then the tour's
// containers are namespaces plus a cgroup made directly in the guest.)

import { el, panel } from '../dom.ts';
import { LIST_CGROUPS } from '../guest-scripts.ts';
import type { MachineProxy } from '../machine-proxy.ts';
import { Sparkline } from '../sparkline.ts';

interface Row { spark: Sparkline; text: HTMLElement; row: HTMLElement }

export class CgroupsPanel {
  readonly root: HTMLElement;
  private readonly list = el('div', { id: 'cgroup-list' }, el('p', { class: 'hint' }, 'No cgroups below the root yet: the tour makes one.'));
  private readonly rows = new Map<string, Row>();

  constructor(private readonly machine: MachineProxy) {
    this.root = panel('cgroups', 'Cgroups (memory)', this.list);
  }

  async refresh(): Promise<void> {
    const r = await this.machine.exec(LIST_CGROUPS);
    for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
      const [name, current, max, kills, procs] = line.split('\t');
      const limit = max === 'max' ? undefined : Number(max);
      let row = this.rows.get(name);
      if (!row) {
        if (!this.rows.size) this.list.replaceChildren();
        const canvas = el('canvas', { class: 'spark tall' });
        const text = el('div', { class: 'cg-text' });
        row = { spark: new Sparkline(canvas, '#b48ead', 120, limit), text, row: el('div', { class: 'cgroup', 'data-cgroup': name }, text, canvas) };
        this.rows.set(name, row);
        this.list.append(row.row);
      }
      row.spark.push(Number(current));
      const mib = (n: number) => (n / 1048576).toFixed(1) + ' MiB';
      row.row.dataset.oomKills = kills;
      row.text.replaceChildren(el('b', {}, name), ` ${mib(Number(current))} of ${limit ? mib(limit) : 'no limit'} · ${procs} processes · `, el('span', { class: Number(kills) ? 'oom' : '' }, `OOM kills: ${kills}`));
    }
  }
}
