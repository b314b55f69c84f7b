// The guided tour: each step runs the real thing in the guest through the
// agent, shows what it printed, and points at the panel that shows the effect.

import { el, panel } from '../dom.ts';
import { detached } from '../guest-scripts.ts';
import type { MachineProxy } from '../machine-proxy.ts';

interface Step {
  id: string;
  title: string;
  explain: string;
  command: string;
  panel: string;
}

const OOM_LIMIT = '24M';

const STEPS: Step[] = [
  {
    id: 'vm',
    title: '1. A VM has its own kernel',
    explain: 'This Linux runs on an emulated i686: its kernel, its page tables (CR3 in the CPU panel), its devices. Nothing is shared with the host.',
    command: 'uname -a; cat /proc/cmdline; grep MemTotal /proc/meminfo',
    panel: 'cpu',
  },
  {
    id: 'container',
    title: '2. A container shares it',
    explain: 'A container is a process with its own namespaces, on the same kernel. This starts one (own pid, uts and mount namespaces, hostname tour-box); the processes panel marks its namespaces.',
    command: `${detached('exec unshare --pid --uts --mount --fork --mount-proc sh -c "hostname tour-box; exec sleep 3600"')} sleep 1; echo kernel inside: $(unshare --uts uname -r), outside: $(uname -r)`,
    panel: 'processes',
  },
  {
    id: 'namespace',
    title: '3. What a namespace hides',
    explain: 'In a new pid namespace with its own /proc, the shell is PID 1 and sees only its own processes.',
    command: `echo "outside: $(ls -d /proc/[0-9]* | wc -l) processes"; unshare --pid --fork --mount-proc sh -c 'echo "inside: $(ls -d /proc/[0-9]* | wc -l) processes, I am pid $$"; ps'`,
    panel: 'processes',
  },
  {
    id: 'oom',
    title: `4. What a cgroup limits: OOM kill at ${OOM_LIMIT}`,
    explain: `A cgroup made directly in the guest (memory.max ${OOM_LIMIT}) runs a shell that doubles a 256 KiB string every second until the kernel kills it; watch memory climb to the dashed limit and the OOM kill count rise.`,
    command: `mkdir -p /sys/fs/cgroup/tour-oom && echo ${OOM_LIMIT} > /sys/fs/cgroup/tour-oom/memory.max && ${detached('echo $$ > /sys/fs/cgroup/tour-oom/cgroup.procs; x=$(head -c 262144 /dev/zero | tr "\\0" a); while :; do sleep 1; x=$x$x; done')} echo started a memory hog in cgroup tour-oom`,
    panel: 'cgroups',
  },
];

export class TourPanel {
  readonly root: HTMLElement;
  private readonly output = el('pre', { class: 'tour-output', id: 'tour-output' });

  constructor(private readonly machine: MachineProxy, private readonly after: (panelId: string) => Promise<void>) {
    const steps = STEPS.map((s) => {
      const button = el('button', { 'data-step': s.id }, s.title);
      button.onclick = () => void this.run(s, button);
      return el('div', { class: 'step' }, button, el('p', {}, s.explain));
    });
    this.root = panel('tour', 'Guided tour', ...steps, this.output);
  }

  private async run(step: Step, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.output.textContent = `$ ${step.id}: running in the guest…`;
    try {
      const r = await this.machine.exec(step.command, 60_000);
      this.output.textContent = r.stdout + r.stderr + (r.exitCode ? `(exit ${r.exitCode})` : '');
      await this.after(step.panel);
      const target = document.getElementById(step.panel);
      target?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      target?.classList.add('pointed');
      setTimeout(() => target?.classList.remove('pointed'), 2500);
    } catch (e) {
      this.output.textContent = `failed: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  }
}
