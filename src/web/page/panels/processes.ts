// Processes panel: the guest's user processes with their namespaces, read
// from /proc through the agent. Namespaces that differ from PID 1's are
// marked: that is what a container is made of.

import { el, panel } from '../dom.ts';
import { LIST_PROCESSES } from '../guest-scripts.ts';
import type { MachineProxy } from '../machine-proxy.ts';

const NS = ['pid', 'uts', 'mnt', 'net'];

export class ProcessesPanel {
  readonly root: HTMLElement;
  private readonly table = el('table', { id: 'process-table' });

  constructor(private readonly machine: MachineProxy) {
    const refresh = el('button', {}, 'Refresh');
    refresh.onclick = () => void this.refresh();
    this.root = panel('processes', 'Processes and namespaces', el('div', { class: 'controls' }, refresh), this.table);
  }

  async refresh(): Promise<void> {
    const r = await this.machine.exec(LIST_PROCESSES);
    const rows = r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
    const init = rows.find((row) => row[0] === '1');
    const head = el('tr', {}, el('th', {}, 'pid'), el('th', {}, 'command'), ...NS.map((n) => el('th', {}, n + ' ns')));
    this.table.replaceChildren(
      head,
      ...rows.map((row) => {
        const own = row.slice(2).some((ns, i) => init && ns !== init[i + 2]);
        return el('tr', own ? { class: 'isolated', 'data-comm': row[1] } : { 'data-comm': row[1] },
          el('td', {}, row[0]), el('td', {}, row[1]),
          ...row.slice(2).map((ns, i) => el('td', init && ns !== init[i + 2] ? { class: 'differs' } : {}, (ns.match(/\d+/) ?? [''])[0])));
      }),
    );
  }
}
