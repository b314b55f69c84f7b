// Processes panel: the kernel view's process tree (src/inspect/kernel.ts):
// the guest's user processes with their PID inside their own PID namespace,
// their namespaces and cgroup. Namespaces that differ from PID 1's are
// marked: that is what a container is made of.

import type { GuestProcess, Namespace } from '../../../inspect/kernel.ts';
import { el, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

const NS: Namespace[] = ['pid', 'uts', 'mnt', 'net'];
/** kthreadd: PID 2 and its children are kernel threads, which have no userland to isolate. */
const KTHREADD = 2;

export class ProcessesPanel {
  readonly root: HTMLElement;
  private readonly table = el('table', { id: 'process-table' });

  constructor(private readonly machine: MachineProxy) {
    const refresh = el('button', {}, 'Refresh');
    refresh.onclick = () => void this.refresh();
    this.root = panel('processes', 'Processes and namespaces', el('div', { class: 'controls' }, refresh), this.table);
  }

  async refresh(): Promise<void> {
    const procs = (await this.machine.processes()).filter((p: GuestProcess) => p.pid !== KTHREADD && p.ppid !== KTHREADD);
    const init = procs.find((p) => p.pid === 1);
    const head = el('tr', {}, el('th', {}, 'pid'), el('th', {}, 'inside'), el('th', {}, 'command'), ...NS.map((n) => el('th', {}, n + ' ns')), el('th', {}, 'cgroup'));
    this.table.replaceChildren(
      head,
      ...procs.map((p) => {
        const differs = (n: Namespace) => init !== undefined && p.ns[n] !== init.ns[n];
        const own = NS.some(differs);
        return el(
          'tr',
          own ? { class: 'isolated', 'data-comm': p.name } : { 'data-comm': p.name },
          el('td', {}, String(p.pid)),
          el('td', {}, String(p.pidInNamespace)),
          el('td', {}, p.name),
          ...NS.map((n) => el('td', differs(n) ? { class: 'differs' } : {}, String(p.ns[n] ?? ''))),
          el('td', {}, p.cgroup),
        );
      }),
    );
  }
}
